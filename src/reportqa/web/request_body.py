"""A public API request's body: read with a size cap (413), parsed as JSON with a cap on nesting and no lone
surrogates (400: the parser's own recursion, ints over Python's digit limit and text no response could
encode again included), and validated against its model (422, naming the field but never echoing the
input). The models of the widget's requests other than the question itself (`web.api.AskRequest`): a
history turn and a feedback verdict.
"""

from __future__ import annotations

import json
from typing import Any, Literal, TypeVar

from fastapi import Request
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from reportqa.web.api_errors import ApiError, first_problem

MAX_TURN_CHARS = 4000  # any turn, before the finer caps (a user turn: api.max_question_chars)
MAX_FEEDBACK_CITATIONS = 20
MAX_JSON_DEPTH = 6  # the deepest request, {"history": [{"role": ...}]}, nests 3 levels


class HistoryTurn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    role: Literal["user", "assistant"]
    content: str = Field(max_length=MAX_TURN_CHARS)


class FeedbackCitation(BaseModel):
    model_config = ConfigDict(extra="forbid")
    marker: int = Field(ge=0, le=1000)
    title: str = Field(default="", max_length=400)
    year: str = Field(default="", max_length=40)
    section: str = Field(default="", max_length=400)
    quote: str = Field(default="", max_length=4000)


class FeedbackRequest(BaseModel):
    """A widget visitor's Useful / Not useful on one answer, stored like the workspace's feedback."""

    model_config = ConfigDict(extra="forbid")
    question: str = Field(min_length=1, max_length=MAX_TURN_CHARS)
    answer: str = Field(max_length=20_000)
    status: Literal["answered", "partial", "not_found", "refused"]
    helpful: bool = Field(strict=True)
    citations: list[FeedbackCitation] = Field(default_factory=list, max_length=MAX_FEEDBACK_CITATIONS)


async def read_capped(request: Request, limit: int) -> bytes:
    """The request's body, or a 413 ApiError once it (or its declared Content-Length) passes `limit` bytes."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise ApiError(413, "the request is too large", f"send at most {limit} bytes")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise ApiError(413, "the request is too large", f"send at most {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def parse_json(body: bytes, shape: str) -> Any:
    """The body as JSON, or a 400 ApiError: not UTF-8, not JSON, nested too deeply for the parser, a number
    too long to read, or text holding a lone surrogate (which no response could encode again)."""
    try:
        data = json.loads(body.decode("utf-8"))
    except RecursionError:
        raise ApiError(400, "the request body is nested too deeply", shape) from None
    except (UnicodeDecodeError, ValueError):  # JSONDecodeError, and ints over Python's digit limit
        raise ApiError(400, "the request body is not JSON", shape) from None
    problem = json_problem(data)
    if problem == "depth":
        raise ApiError(400, "the request body is nested too deeply",
                       f"no field of the API nests deeper than {MAX_JSON_DEPTH} levels; {shape}")
    if problem == "surrogate":
        raise ApiError(400, "the request holds text that is not valid Unicode (a lone surrogate)",
                       "send text as UTF-8; \\ud800-\\udfff escapes must come in pairs")
    return data


def json_problem(data: Any) -> str | None:
    """"depth" when parsed JSON nests deeper than MAX_JSON_DEPTH, "surrogate" when a string (key or value)
    holds a lone surrogate, else None. Iterative: no recursion however deep the input."""
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return "surrogate"
        elif isinstance(item, dict | list):
            if depth > MAX_JSON_DEPTH:
                return "depth"
            children = [*item.keys(), *item.values()] if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
    return None


M = TypeVar("M", bound=BaseModel)


def validated(model: type[M], data: Any) -> M:
    """`data` as a `model`, or a 422 ApiError naming the first problem (400 when nested too deeply)."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ApiError(422, "the request is not valid", first_problem(exc.errors())) from None
    except RecursionError:
        raise ApiError(400, "the request body is nested too deeply", "send the documented fields") from None
