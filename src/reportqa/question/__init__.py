"""The question side: text -> `Query` (one typed value every later stage reads)."""

from reportqa.question.query import FIGURE_KINDS, Query, read_query

__all__ = ["FIGURE_KINDS", "Query", "read_query"]
