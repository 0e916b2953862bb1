"""The regression gate: gated metrics per split against a committed baseline, each with a tolerance.

Baseline file (JSON, sorted keys, written only by `reportqa eval --update-baseline`):

    {"version": 1, "tolerance": 0.02, "tolerances": {"year_accuracy": 0.03},
     "splits": {"dev": {"items": 90, "fingerprint": "...", "metrics": {"hit@5": 0.9, ...}}, "test": {...}}}

A gated metric fails when it falls below its baseline value by more than its tolerance (absolute).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reportqa.errors import InputError
from reportqa.evaluation.scoring import GATED

VERSION = 1
DEFAULT_TOLERANCE = 0.02
EPS = 1e-9


@dataclass(frozen=True)
class Check:
    split: str
    metric: str
    baseline: float
    current: float | None
    tolerance: float

    @property
    def delta(self) -> float | None:
        return None if self.current is None else round(self.current - self.baseline, 4)

    @property
    def failed(self) -> bool:
        return self.current is not None and self.current < self.baseline - self.tolerance - EPS


@dataclass
class GateResult:
    checks: list[Check] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def failures(self) -> list[Check]:
        return [c for c in self.checks if c.failed]

    @property
    def passed(self) -> bool:
        return not self.failures


def missing_baseline_message(path: Path) -> tuple[str, str]:
    return (f"no baseline at {path}: the gate has nothing to compare with",
            "create it from this run with `reportqa eval --update-baseline` (and commit it)")


def load_baseline(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        message, hint = missing_baseline_message(path)
        raise InputError(message, hint) from None
    except (OSError, ValueError) as exc:
        raise InputError(
            f"{path}: unreadable baseline ({str(exc).splitlines()[0]})",
            "restore it from git, or write a new one with `reportqa eval --update-baseline`",
        ) from exc
    if not isinstance(data, dict) or not isinstance(data.get("splits"), dict):
        raise InputError(f"{path}: not a reportqa eval baseline (no 'splits')",
                         "write a new one with `reportqa eval --update-baseline`")
    return data


def _value(summary: Mapping[str, Any], split: str, metric: str) -> float | None:
    try:
        v = summary[split]["all"][metric]["value"]
    except KeyError:
        return None
    return None if v is None else float(v)


def compare(
    summary: Mapping[str, Any], baseline: Mapping[str, Any], fingerprints: Mapping[str, str]
) -> GateResult:
    """Gated metrics of every split that ran and that the baseline holds."""
    result = GateResult()
    default_tol = float(baseline.get("tolerance", DEFAULT_TOLERANCE))
    tolerances = baseline.get("tolerances") or {}
    for split in sorted(s for s in summary if s != "all"):
        held = baseline["splits"].get(split)
        if held is None:
            result.notes.append(
                f"the baseline has no '{split}' split: not gated (add it with --update-baseline)"
            )
            continue
        if held.get("fingerprint") and fingerprints.get(split) and held["fingerprint"] != fingerprints[split]:
            result.notes.append(
                f"{split}: the questions differ from the baseline's ({held.get('items')} items then, "
                f"{_value(summary, split, 'items') or 0:.0f} now); compared anyway, "
                "accept with --update-baseline"
            )
        for metric in GATED:
            base = held.get("metrics", {}).get(metric)
            if base is None:
                continue
            current = _value(summary, split, metric)
            if current is None:
                result.notes.append(
                    f"{split}: {metric} is not measurable in this run (baseline {base}); not gated"
                )
            tolerance = float(tolerances.get(metric, default_tol))
            result.checks.append(Check(split, metric, float(base), current, tolerance))
    return result


def new_baseline(summary: Mapping[str, Any], fingerprints: Mapping[str, str], counts: Mapping[str, int],
                 previous: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The baseline for this run; splits that did not run are kept from `previous`, and so are tolerances."""
    splits: dict[str, Any] = dict((previous or {}).get("splits", {}))
    for split in sorted(s for s in summary if s != "all"):
        metrics = {m: _value(summary, split, m) for m in GATED}
        splits[split] = {
            "items": counts.get(split, 0),
            "fingerprint": fingerprints.get(split, ""),
            "metrics": {k: v for k, v in metrics.items() if v is not None},
        }
    return {
        "version": VERSION,
        "tolerance": float((previous or {}).get("tolerance", DEFAULT_TOLERANCE)),
        "tolerances": dict((previous or {}).get("tolerances", {})),
        "gated": list(GATED),
        "splits": {k: splits[k] for k in sorted(splits)},
    }


def write_baseline(path: Path, data: Mapping[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".partial")
    tmp.write_text(json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")
    tmp.replace(path)
