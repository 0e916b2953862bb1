"""`Engine`: what the answering steps (`reportqa.pipeline`, `reportqa.trend`) need of the assistant.

`reportqa.service.Assistant` is one; the steps depend on this seam only, never on `reportqa.service`, so
the service imports them and none of them imports it back.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from reportqa.answer.extractive import ExtractiveAnswerer
    from reportqa.answer.llm import LLMAnswerer
    from reportqa.config import Config
    from reportqa.index import OpenIndex
    from reportqa.retrieve import Retriever
    from reportqa.types import Report


class Engine(Protocol):
    """The collection, its searches and its answerers, as the answering steps read them."""

    @property
    def config(self) -> Config: ...

    @property
    def index(self) -> OpenIndex: ...

    @property
    def reports(self) -> list[Report]: ...  # the collection's documents, oldest period first

    @property
    def retriever(self) -> Retriever: ...

    @property
    def extractive(self) -> ExtractiveAnswerer: ...

    @property
    def llm(self) -> LLMAnswerer: ...

    @property
    def generic_name_idf(self) -> float: ...  # names at or below this idf are too common to be a subject

    def specificity(self, name: str) -> float: ...  # how rare a name is in the reports (idf)

    def coverage_text(self) -> str: ...  # what the collection holds ("annual reports for 2014-15, ...")

    def resolve_year(self, year: str) -> str: ...  # a year filter as written, in canonical form

    def resolve_priority(self, priority: str | None) -> str | None: ...  # a priority filter's id
