"""The LLM answering path: an OpenAI-compatible endpoint, its answer checked before anyone sees it.

The model's `[n]` markers and figures are verified against the passages it was given
(`reportqa.answer.verify`); an answer that fails, or an endpoint that fails, gives way to the
extractive answer with a note saying why. llama-index's global `Settings` are never touched.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from reportqa.answer.verify import citation_for, first_use_order, renumber, verify_text
from reportqa.config import LLMConfig
from reportqa.errors import BackendError
from reportqa.prompts import NOT_FOUND, PROMPT_VERSION, answer_messages, rewrite_messages
from reportqa.types import Answer, Citation, Hit, Turn

log = logging.getLogger(__name__)

FALLBACK_BACKEND = "extractive (fallback)"
REWRITE_MAX_TOKENS = 80
_HINT = (
    "check that the LLM server is running and REPORTQA_LLM__URL points at it; "
    "the extractive backend needs no LLM"
)
# reads a language model's reply (its own wording of "not found"), never the product's prose
_NOT_FOUND_RE = re.compile(
    r"\b(reports?|passages?) (don't|do not|does not|doesn't) (say|answer|contain|mention)\b", re.I
)


@dataclass(frozen=True)
class LLMResult:
    text: str
    raw: Any  # the endpoint's reply as a dict, for debugging
    elapsed: float  # seconds


class LLMAnswerer:
    """Answers from retrieved passages through an OpenAI-compatible chat endpoint."""

    name = "llm"

    def __init__(self, config: LLMConfig) -> None:
        self.config = config

    @property
    def url(self) -> str:
        return self.config.url or "(no URL configured)"

    def _client(self, max_tokens: int) -> Any:
        if not self.config.url:
            raise BackendError(
                "no LLM endpoint is configured", "set REPORTQA_LLM__URL, e.g. http://127.0.0.1:8080/v1"
            )
        from llama_index.llms.openai_like import OpenAILike

        key = self.config.api_key.get_secret_value() if self.config.api_key else "not-needed"
        return OpenAILike(
            model=self.config.model,
            api_base=self.config.url,
            api_key=key,
            is_chat_model=True,
            is_function_calling_model=False,
            timeout=self.config.timeout,
            max_retries=0,
            temperature=self.config.temperature,
            max_tokens=max_tokens,
            reuse_client=True,
        )

    @cached_property
    def _answer_llm(self) -> Any:
        return self._client(self.config.max_tokens)

    @cached_property
    def _rewrite_llm(self) -> Any:
        return self._client(min(REWRITE_MAX_TOKENS, self.config.max_tokens))

    def _chat(self, llm: Any, messages: list[tuple[str, str]]) -> LLMResult:
        from llama_index.core.llms import ChatMessage, MessageRole

        chat = [ChatMessage(role=MessageRole(role), content=content) for role, content in messages]
        t0 = time.perf_counter()
        try:
            response = llm.chat(chat)
        except Exception as exc:  # every failure of the endpoint becomes one clear BackendError
            raise self._backend_error(exc) from exc
        elapsed = time.perf_counter() - t0
        text = (response.message.content or "").strip()
        raw = response.raw.model_dump() if hasattr(response.raw, "model_dump") else response.raw
        if not text:
            raise BackendError(f"the LLM at {self.url} returned an empty reply", _HINT)
        log.info("llm reply in %.2fs (prompt %s, %d chars)", elapsed, PROMPT_VERSION, len(text))
        return LLMResult(text=text, raw=raw, elapsed=elapsed)

    def _backend_error(self, exc: Exception) -> BackendError:
        import openai

        if isinstance(exc, BackendError):
            return exc
        if isinstance(exc, openai.APITimeoutError):  # before APIConnectionError, its base class
            message = f"the LLM at {self.url} did not answer within {self.config.timeout:g} s"
        elif isinstance(exc, openai.APIConnectionError):
            cause = _first_line(exc.__cause__) if exc.__cause__ else "connection failed"
            message = f"could not connect to the LLM at {self.url}: {cause}"
        elif isinstance(exc, openai.APIStatusError):
            message = f"the LLM at {self.url} answered HTTP {exc.status_code}: {_first_line(exc)}"
        else:
            message = f"the LLM call to {self.url} failed: {type(exc).__name__}: {_first_line(exc)}"
        return BackendError(message, _HINT)

    def generate(self, question: str, hits: Sequence[Hit], history: Sequence[Turn] = ()) -> LLMResult:
        """Ask the model to answer from the hits' passages, numbered 1..len(hits) in order."""
        messages = answer_messages(question, [h.passage for h in hits], history)
        return self._chat(self._answer_llm, messages)

    def rewrite_followup(self, question: str, history: Sequence[Turn]) -> str:
        """A standalone version of a follow-up question; the question itself on any failure."""
        if not history:
            return question
        try:
            reply = self._chat(self._rewrite_llm, rewrite_messages(question, history)).text
        except BackendError as exc:
            log.info("follow-up rewrite skipped: %s", exc.message)
            return question
        line = reply.strip().splitlines()[0].strip().strip("\"'“”‘’").strip() if reply.strip() else ""
        line = re.sub(r"^(standalone question|question)\s*:\s*", "", line, flags=re.I)
        if not line or len(line) > 3 * len(question) + 200 or "<" in line:
            return question
        return line


def _first_line(exc: object) -> str:
    text = str(exc).strip()
    return text.splitlines()[0][:200] if text else type(exc).__name__


def is_not_found(text: str) -> bool:
    """Whether a model's reply says the passages do not answer (the prompt's `NOT_FOUND`, or in its words)."""
    return NOT_FOUND.lower() in text.replace("’", "'").lower() or bool(_NOT_FOUND_RE.search(text))


def answer_with_llm(
    question: str,
    hits: Sequence[Hit],
    history: Sequence[Turn],
    llm: LLMAnswerer,
    fallback: Callable[[], Answer],
) -> Answer:
    """The LLM's answer if it passes verification; otherwise `fallback()` with a note saying why."""
    passages = [h.passage for h in hits]
    try:
        result = llm.generate(question, hits, history)
    except BackendError as exc:
        log.info("LLM failed, using the extractive answer: %s", exc.message)
        return _fell_back(fallback, exc.message)
    v = verify_text(result.text, passages)
    timings = {"llm": result.elapsed}
    if not v.used_markers and is_not_found(v.text):
        return _not_found(question, hits, fallback, v.dropped_markers, timings)
    if not v.ok:
        log.info("LLM answer failed verification: %s", v.reason())
        return _fell_back(fallback, f"LLM answer failed verification: {v.reason()}")
    order = first_use_order(v.text)
    mapping = {old: new for new, old in enumerate(order, start=1)}
    citations: list[Citation] = []
    for old in order:
        said = [s.text for s in v.sentences if old in s.markers]
        citations.append(citation_for(mapping[old], passages[old - 1], said))
    notes: tuple[str, ...] = ()
    if v.dropped_markers:
        notes = (f"{v.dropped_markers} citation marker(s) pointing to no passage were removed.",)
    return Answer(
        status="answered",
        text=renumber(v.text, mapping),
        citations=tuple(citations),
        question=question,
        backend=llm.name,
        notes=notes,
        dropped_markers=v.dropped_markers,
        timings=timings,
    )


def _fell_back(fallback: Callable[[], Answer], note: str) -> Answer:
    fb = fallback()
    return fb.model_copy(update={"backend": FALLBACK_BACKEND, "notes": fb.notes + (note,)})


def _not_found(
    question: str,
    hits: Sequence[Hit],
    fallback: Callable[[], Answer],
    dropped: int,
    timings: dict[str, float],
) -> Answer:
    fb = fallback()
    if fb.status == "not_found":
        text, related = fb.text, fb.related
    else:
        text = NOT_FOUND + " The passages I found do not answer this; the closest are listed as related."
        related = tuple(citation_for(i, h.passage, question) for i, h in enumerate(hits[:3], start=1))
    return Answer(
        status="not_found",
        text=text,
        related=related,
        question=question,
        backend="llm",
        notes=("The LLM found no answer in the retrieved passages.",),
        dropped_markers=dropped,
        timings=timings,
    )
