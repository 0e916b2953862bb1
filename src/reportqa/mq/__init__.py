"""Mayor's Questions as tabled, drafted part by part from the reports.

`analyse(text)` separates the asks from the preamble, the courtesies ("Will the Mayor please tell me...")
and quoted earlier answers, splits them on their markers ("(a)", "ii)", "1.", bullets), question marks and
"and what ..." joins, and rewrites every part as a standalone question (`analysis`, `resolve`, `grammar`,
`markers`). `draft_mq(asker, text)` asks each part through the `Asker` it is given, beside the question's
title and preamble, and composes one draft in the house style (`draft`, `compose`); `render` writes it as
Markdown or Word; `command` is `reportqa draft`.
"""

from __future__ import annotations

from reportqa.mq.analysis import analyse
from reportqa.mq.command import register
from reportqa.mq.compose import DRAFT_NOTICE, DraftPart, MQDraft
from reportqa.mq.draft import (
    DRAFT_THRESHOLD_FILE,
    Asker,
    context_subject,
    draft_from_answers,
    draft_mq,
    draft_subject,
    draft_threshold,
    question_context,
    with_subject,
)
from reportqa.mq.gaps import gap_phrase, gap_sentence, garbled
from reportqa.mq.grammar import breakdown, programmes
from reportqa.mq.model import MQAnalysis, MQPart
from reportqa.mq.render import docx_from_markdown, evidence, select, to_docx, to_markdown

__all__ = [
    "DRAFT_NOTICE", "DRAFT_THRESHOLD_FILE", "Asker", "DraftPart", "MQAnalysis", "MQDraft", "MQPart",
    "analyse", "breakdown", "context_subject", "docx_from_markdown", "draft_from_answers", "draft_mq",
    "draft_subject", "draft_threshold", "evidence", "gap_phrase", "gap_sentence", "garbled", "programmes",
    "question_context",
    "register", "select", "to_docx", "to_markdown", "with_subject",
]
