"""Progress of long work (ingest, eval): bars with counts and an ETA on a terminal, one line per stage
otherwise, nothing when quiet.

Library code takes a `Progress` and calls `say(message)` for a stage without a count, or
`with progress.stage(label, total) as advance: ... advance(n)` for counted work. `Progress.for_cli(quiet)`
picks the rendering: rich bars when stderr is a terminal, else one line when each stage ends.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TextIO

Advance = Callable[[int], None]


class Progress:
    """Silent: the base class drops everything (what a library call gets by default)."""

    def say(self, message: str) -> None:
        del message

    @contextmanager
    def stage(self, label: str, total: int) -> Iterator[Advance]:
        del label, total
        yield lambda n: None

    @staticmethod
    def for_cli(quiet: bool, stream: TextIO | None = None) -> Progress:
        out = stream or sys.stderr
        if quiet:
            return Progress()
        return BarProgress(out) if out.isatty() else LineProgress(out)

    @staticmethod
    def from_callable(say: Callable[[str], None] | Progress | None) -> Progress:
        """A plain message callback (the older API) as a Progress: stages become one line when they end."""
        if say is None:
            return Progress()
        if isinstance(say, Progress):
            return say
        return _CallbackProgress(say)


class _CallbackProgress(Progress):
    def __init__(self, say: Callable[[str], None]) -> None:
        self._say = say

    def say(self, message: str) -> None:
        self._say(message)

    @contextmanager
    def stage(self, label: str, total: int) -> Iterator[Advance]:
        t0 = time.perf_counter()
        done = [0]

        def advance(n: int) -> None:
            done[0] += n

        yield advance
        self._say(f"{label}: {done[0]}/{total} in {time.perf_counter() - t0:.1f}s")


class LineProgress(_CallbackProgress):
    """Output that is not a terminal (a log, a pipe): one line per message and per finished stage."""

    def __init__(self, stream: TextIO) -> None:
        super().__init__(lambda m: print(m, file=stream, flush=True))


class BarProgress(Progress):
    """A terminal: a rich bar per stage, with the count, the elapsed time and the time remaining."""

    def __init__(self, stream: TextIO) -> None:
        from rich.console import Console

        self.console = Console(file=stream, stderr=stream is sys.stderr)

    def say(self, message: str) -> None:
        self.console.print(message, markup=False, highlight=False)

    @contextmanager
    def stage(self, label: str, total: int) -> Iterator[Advance]:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )
        from rich.progress import (
            Progress as RichProgress,
        )

        columns: list[Any] = [
            TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
            TimeElapsedColumn(), TextColumn("eta"), TimeRemainingColumn(),
        ]
        with RichProgress(*columns, console=self.console, transient=False) as bar:
            task = bar.add_task(label, total=total)
            yield lambda n: bar.advance(task, n)
