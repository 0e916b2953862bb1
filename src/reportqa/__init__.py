"""reportqa: question answering with verified citations over MOPAC's published reports.

Imports nothing heavy: the Assistant loads its model and index on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = ["Answer", "Assistant", "Citation", "Config", "Filters", "Hit", "Passage", "ReportQAError"]

if TYPE_CHECKING:
    from reportqa.config import Config
    from reportqa.errors import ReportQAError
    from reportqa.service import Assistant
    from reportqa.types import Answer, Citation, Filters, Hit, Passage


def __getattr__(name: str) -> Any:
    if name == "Assistant":
        from reportqa.service import Assistant

        return Assistant
    if name == "Config":
        from reportqa.config import Config

        return Config
    if name == "ReportQAError":
        from reportqa.errors import ReportQAError

        return ReportQAError
    if name in ("Answer", "Citation", "Filters", "Hit", "Passage"):
        from reportqa import types

        return getattr(types, name)
    raise AttributeError(name)
