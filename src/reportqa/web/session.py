"""One officer's conversation in the workspace, and the draft files written for it.

Below `web.ui` and `web.mq_view`, which both keep a Session and write drafts: it imports neither.
"""

from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from reportqa.mq import MQDraft
    from reportqa.types import Answer


@dataclass
class Session:
    """One officer's conversation: the questions, the answers and the scope each was asked in, in order."""

    turns: list[tuple[str, Answer]] = field(default_factory=list)
    scopes: list[str] = field(default_factory=list)  # scope_text of each turn: "" when unfiltered
    draft: MQDraft | None = None
    mq: MQDraft | None = None  # the Mayor's Question tab's draft, as drafted (before the officer's ticks)
    workdir: str = ""

    def history(self) -> list[dict[str, str]]:
        out = []
        for q, a in self.turns:
            out += [{"role": "user", "content": q}, {"role": "assistant", "content": a.text}]
        return out

    def folder(self) -> Path:
        if not self.workdir:
            self.workdir = tempfile.mkdtemp(prefix="reportqa-ws-")
        return Path(self.workdir)


def write_draft_files(session: Session, text: str, stem: str = "conversation-draft",
                      title: str = "") -> tuple[Path, Path]:
    """The draft as Markdown (exactly the text) and as .docx (`reportqa.mq.docx_from_markdown`)."""
    from reportqa.mq import docx_from_markdown

    folder = session.folder()
    md_path, docx_path = folder / f"{stem}.md", folder / f"{stem}.docx"
    md_path.write_text(text, encoding="utf-8")
    docx_from_markdown(text, docx_path, title=title)
    return md_path, docx_path


def retitled(text: str, title: str) -> str:
    """The draft text under a new `# ` title line, the rest as the officer left it."""
    title = " ".join(title.split())
    if not title:
        return text
    if re.match(r"# ", text):
        return re.sub(r"^# .*$", lambda _: f"# {title}", text, count=1, flags=re.M)
    return f"# {title}\n\n{text}"
