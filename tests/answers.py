"""Answers the tests build by hand: a citation as the composer makes one (`citation`)."""

from __future__ import annotations

from reportqa.types import Citation

TITLE_22 = "2022-2023 MOPAC Annual Report"


def citation(marker: int, quote: str = "q", report: str = "mopac-2022-23", title: str = TITLE_22,
             year: str = "2022-23") -> Citation:
    """Citation `marker` of an annual report (the 2022-23 one unless named), its quote at a made-up span."""
    return Citation(marker=marker, passage_id=f"{report}-p{marker}", report_id=report, title=title, year=year,
                    section="S", priority="general", quote=quote, start=10 * marker, end=10 * marker + 5,
                    kind="annual report")
