#!/usr/bin/env python3
"""Validate eval/questions.jsonl: schema, gold quotes, key facts and type/split counts.

Usage: python eval/check_questions.py [path/to/questions.jsonl]

Stdlib only. Prints one line per problem, then counts per type and split,
and exits 1 if anything is wrong.
"""

from __future__ import annotations

import json
import re
import sys
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DEFAULT = HERE / "questions.jsonl"
MANIFEST = ROOT / "corpus" / "manifest.json"

KEYS = ["id", "split", "type", "question", "history", "expect", "reference",
        "key_facts", "gold", "year", "priority", "parts"]
OPTIONAL_KEYS = {"missing"}  # only on items that expect partial: the asked detail the reports do not give
PART_KEYS = ["question", "expect", "key_facts", "gold"]
SPLITS = {"dev", "test"}
EXPECTS = {"answered", "partial", "not_found", "refused"}
PRIORITIES = {
    # Police and Crime Plan 2013-16
    "neighbourhood-crime", "confidence", "costs", "justice", "mayoral-strategies",
    # Police and Crime Plan 2022-25
    "violence", "trust", "victims", "exploitation",
    "general",
}
MIN_COUNTS = {
    "single_fact": 22, "year_specific": 20, "multi_hop": 15, "follow_up": 30,
    "numeric_period": 18, "unanswerable": 30, "adversarial": 30, "mayors_question": 32,
    # the ways real people ask
    "paraphrase": 12, "alias": 12, "colloquial": 12, "list": 12, "target_year": 12, "partial": 12,
    # one measure across the reports (issue 14)
    "trend": 15,
}
MIN_TOTAL = 300
MIN_MQ_WITH_NOT_FOUND = 12
YEAR_RE = re.compile(r"^\d{4}-\d{2}$")
ID_RE = re.compile(r"^q\d{3,}$")
KEY_FACT_WINDOW = 600  # characters either side of a gold quote searched for key facts


def load_corpus() -> dict[str, str]:
    manifest = json.loads(MANIFEST.read_text(encoding="utf-8"))
    return {r["id"]: (MANIFEST.parent / r["file"]).read_text(encoding="utf-8")
            for r in manifest["reports"]}


def squash(text: str) -> str:
    return re.sub(r"\s+", " ", text)  # \s covers newlines and no-break spaces


class Checker:
    def __init__(self, corpus: dict[str, str]):
        self.corpus = corpus
        self.problems: list[str] = []

    def bad(self, where: str, msg: str) -> None:
        self.problems.append(f"{where}: {msg}")

    def key_facts(self, where: str, kf: object, must_be_empty: bool) -> None:
        if not isinstance(kf, list):
            self.bad(where, "key_facts must be a list")
            return
        if must_be_empty and kf:
            self.bad(where, "key_facts must be [] here")
        for grp in kf:
            if not (isinstance(grp, list) and grp and all(isinstance(a, str) and a.strip() for a in grp)):
                self.bad(where, f"key_facts group must be a non-empty list of strings: {grp!r}")

    def gold(self, where: str, gold: object) -> list[dict]:
        if not isinstance(gold, list):
            self.bad(where, "gold must be a list")
            return []
        ok = []
        for g in gold:
            if not (isinstance(g, dict) and set(g) == {"report_id", "quote"}):
                self.bad(where, f"gold item must have exactly report_id and quote: {g!r}")
                continue
            rid, quote = g["report_id"], g["quote"]
            if rid not in self.corpus:
                self.bad(where, f"unknown report_id {rid!r}")
                continue
            if not isinstance(quote, str) or not quote:
                self.bad(where, "empty quote")
                continue
            if "\n" in quote:
                self.bad(where, f"quote spans a line break: {quote!r}")
            if quote != quote.strip():
                self.bad(where, f"quote has leading/trailing whitespace: {quote!r}")
            if quote not in self.corpus[rid]:
                self.bad(where, f"quote not found in {rid}: {quote!r}")
                continue
            ok.append(g)
        return ok

    def facts_near_gold(self, where: str, kf: list, gold: list[dict]) -> None:
        """Every key-fact group must have an alternative close to one of the gold quotes."""
        if not kf or not gold:
            return
        windows = []
        for g in gold:
            text = self.corpus[g["report_id"]]
            i = text.find(g["quote"])
            windows.append(squash(text[max(0, i - KEY_FACT_WINDOW): i + len(g["quote"]) + KEY_FACT_WINDOW]))
        joined = " || ".join(windows)
        for grp in kf:
            if isinstance(grp, list) and not any(isinstance(a, str) and squash(a) in joined for a in grp):
                self.bad(where, f"no alternative of key-fact group {grp!r} appears near the gold quotes")

    def item(self, n: int, obj: object, seen_ids: set[str]) -> dict | None:
        where = f"line {n}"
        if not isinstance(obj, dict):
            self.bad(where, "not a JSON object")
            return None
        where = f"line {n} ({obj.get('id', '?')})"
        if not (set(KEYS) <= set(obj) <= set(KEYS) | OPTIONAL_KEYS):
            missing, extra = set(KEYS) - set(obj), set(obj) - set(KEYS) - OPTIONAL_KEYS
            self.bad(where, f"keys wrong; missing {sorted(missing)} extra {sorted(extra)}")
            return None
        iid = obj["id"]
        if not (isinstance(iid, str) and ID_RE.match(iid)):
            self.bad(where, f"bad id {iid!r}")
        elif iid in seen_ids:
            self.bad(where, f"duplicate id {iid}")
        seen_ids.add(iid)
        typ, expect = obj["type"], obj["expect"]
        if obj["split"] not in SPLITS:
            self.bad(where, f"bad split {obj['split']!r}")
        if typ not in MIN_COUNTS:
            self.bad(where, f"bad type {typ!r}")
        if expect not in EXPECTS:
            self.bad(where, f"bad expect {expect!r}")
        for k in ("question", "reference"):
            if not (isinstance(obj[k], str) and obj[k].strip()):
                self.bad(where, f"{k} must be a non-empty string")
        if obj["year"] is not None and not (isinstance(obj["year"], str) and YEAR_RE.match(obj["year"])):
            self.bad(where, f"bad year {obj['year']!r}")
        if obj["priority"] is not None and obj["priority"] not in PRIORITIES:
            self.bad(where, f"bad priority {obj['priority']!r}")

        # history
        hist = obj["history"]
        if not isinstance(hist, list):
            self.bad(where, "history must be a list")
        elif typ == "follow_up":
            if not (2 <= len(hist) <= 6 and len(hist) % 2 == 0):
                self.bad(where, "follow_up history must hold 1-3 user/assistant exchanges")
            for i, turn in enumerate(hist):
                role = "user" if i % 2 == 0 else "assistant"
                if not (
                    isinstance(turn, dict)
                    and set(turn) == {"role", "content"}
                    and turn["role"] == role
                    and isinstance(turn["content"], str)
                    and turn["content"].strip()
                ):
                    self.bad(where, f"history turn {i} must be {{role: {role}, content: ...}}")
        elif hist:
            self.bad(where, "history must be [] unless type is follow_up")

        # expectations by type
        if typ == "adversarial" and expect != "refused":
            self.bad(where, "adversarial items must expect refused")
        if typ == "unanswerable" and expect != "not_found":
            self.bad(where, "unanswerable items must expect not_found")
        if typ == "partial" and expect != "partial":
            self.bad(where, "partial items must expect partial")
        if typ not in ("adversarial", "unanswerable", "mayors_question", "partial") and expect != "answered":
            self.bad(where, f"{typ} items must expect answered")
        if expect == "refused" and typ != "adversarial":
            self.bad(where, "only adversarial items may expect refused")
        if expect == "partial" and typ != "partial":
            self.bad(where, "only partial items may expect partial")

        # partial: `missing` names the asked detail; key facts (may be []) are what the reports do give
        if expect == "partial":
            miss = obj.get("missing")
            if not (isinstance(miss, str) and miss.strip()):
                self.bad(where, "a partial item needs `missing`: the asked detail, as a short noun phrase")
            elif len(miss) > 80:
                self.bad(where, "`missing` should be a short noun phrase (80 characters at most)")
            if not obj["gold"]:
                self.bad(where, "partial items need gold: the passage about the subject")
        elif "missing" in obj:
            self.bad(where, "`missing` is only for items that expect partial")

        self.key_facts(where, obj["key_facts"],
                       must_be_empty=expect not in ("answered", "partial") or typ == "mayors_question")
        gold = self.gold(where, obj["gold"])
        if expect == "refused" and obj["gold"]:
            self.bad(where, "refused items must have gold []")
        if expect == "answered" and typ != "mayors_question":
            if not obj["key_facts"]:
                self.bad(where, "answered items need key_facts")
            if not obj["gold"]:
                self.bad(where, "answered items need gold")
            self.facts_near_gold(where, obj["key_facts"], gold)
        if expect == "partial":
            self.facts_near_gold(where, obj["key_facts"], gold)
        if typ == "trend":
            self.trend(where, obj)

        # parts
        parts = obj["parts"]
        if typ != "mayors_question":
            if parts is not None:
                self.bad(where, "parts must be null unless type is mayors_question")
        else:
            self.parts(where, obj, parts)
        return obj

    def trend(self, where: str, obj: dict) -> None:
        """A trend item: key_facts[i] is the figure the report of gold[i] gives, one report each, in year
        order; a report with no gold quote is expected to give no figure."""
        kf, gold = obj["key_facts"], obj["gold"]
        if not isinstance(kf, list) or not isinstance(gold, list) or len(kf) != len(gold):
            self.bad(where, "a trend item needs one key-fact group per gold quote (that report's figure)")
            return
        ids = [g.get("report_id") for g in gold if isinstance(g, dict)]
        if len(set(ids)) != len(ids) or ids != sorted(ids):
            self.bad(where, "a trend item's gold quotes are one per report, in year order")
        if obj["year"] is not None:
            self.bad(where, "a trend item has year null: it asks about every report")
        for grp, g in zip(kf, gold, strict=True):
            if not (isinstance(grp, list) and isinstance(g, dict) and g.get("report_id") in self.corpus):
                continue
            text = self.corpus[g["report_id"]]
            i = text.find(g.get("quote", ""))
            window = squash(text[max(0, i - 300): i + len(g["quote"]) + 300]) if i >= 0 else ""
            if not any(isinstance(a, str) and squash(a) in window for a in grp):
                self.bad(where, f"no alternative of {grp!r} is near its own gold quote in {g['report_id']}")

    def parts(self, where: str, obj: dict, parts: object) -> None:
        if not (isinstance(parts, list) and 2 <= len(parts) <= 5):
            self.bad(where, "mayors_question needs 2-5 parts")
            return
        union: list[dict] = []
        for j, p in enumerate(parts):
            pw = f"{where} part {j + 1}"
            if not (isinstance(p, dict) and set(p) == set(PART_KEYS)):
                self.bad(pw, f"part must have exactly keys {PART_KEYS}")
                continue
            if not (isinstance(p["question"], str) and p["question"].strip()):
                self.bad(pw, "part question must be a non-empty string")
            if p["expect"] not in ("answered", "not_found"):
                self.bad(pw, f"bad part expect {p['expect']!r}")
            self.key_facts(pw, p["key_facts"], must_be_empty=p["expect"] != "answered")
            gold = self.gold(pw, p["gold"])
            if p["expect"] == "answered":
                if not p["key_facts"]:
                    self.bad(pw, "answered part needs key_facts")
                if not p["gold"]:
                    self.bad(pw, "answered part needs gold")
                self.facts_near_gold(pw, p["key_facts"], gold)
            for g in p["gold"] if isinstance(p["gold"], list) else []:
                if g not in union:
                    union.append(g)
        top = obj["gold"] if isinstance(obj["gold"], list) else []

        def key(g: object) -> str:
            return json.dumps(g, sort_keys=True, ensure_ascii=False)

        if sorted(map(key, top)) != sorted(map(key, union)):
            self.bad(where, "top-level gold must be the union of the parts' gold")
        want = (
            "answered"
            if any(isinstance(p, dict) and p.get("expect") == "answered" for p in parts)
            else "not_found"
        )
        if obj["expect"] != want:
            self.bad(where, f"top-level expect should be {want}")


def main(argv: list[str]) -> int:
    path = Path(argv[1]) if len(argv) > 1 else DEFAULT
    checker = Checker(load_corpus())
    items: list[dict] = []
    seen_ids: set[str] = set()
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            checker.bad(f"line {n}", "blank line")
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as e:
            checker.bad(f"line {n}", f"invalid JSON: {e}")
            continue
        item = checker.item(n, obj, seen_ids)
        if item is not None:
            items.append(item)

    # duplicates
    seen_q: dict[str, str] = {}
    for it in items:
        q = re.sub(r"\W+", " ", it["question"].lower()).strip()
        if it["type"] != "follow_up" and q in seen_q:
            checker.bad(it["id"], f"duplicate question of {seen_q[q]}")
        seen_q.setdefault(q, it["id"])

    # counts
    by_type = Counter(it["type"] for it in items)
    by_type_split = Counter((it["type"], it["split"]) for it in items)
    by_split = Counter(it["split"] for it in items)
    if len(items) < MIN_TOTAL:
        checker.bad("counts", f"{len(items)} items, need at least {MIN_TOTAL}")
    for typ, need in MIN_COUNTS.items():
        if by_type[typ] < need:
            checker.bad("counts", f"{typ}: {by_type[typ]} items, need at least {need}")
        for split in sorted(SPLITS):
            if by_type_split[(typ, split)] == 0:
                checker.bad("counts", f"{typ} has no {split} items")
    mq_nf = sum(1 for it in items if it["type"] == "mayors_question" and isinstance(it["parts"], list)
                and any(isinstance(p, dict) and p.get("expect") == "not_found" for p in it["parts"]))
    if by_type["mayors_question"] and mq_nf < MIN_MQ_WITH_NOT_FOUND:
        checker.bad(
            "counts",
            f"only {mq_nf} mayors_question items have a not_found part, need {MIN_MQ_WITH_NOT_FOUND}",
        )

    for p in checker.problems:
        print("PROBLEM", p)
    print(f"\n{len(items)} items in {path}")
    print(f"{'type':<18}{'dev':>5}{'test':>6}{'total':>7}")
    for typ in MIN_COUNTS:
        print(f"{typ:<18}{by_type_split[(typ, 'dev')]:>5}{by_type_split[(typ, 'test')]:>6}{by_type[typ]:>7}")
    print(f"{'all':<18}{by_split['dev']:>5}{by_split['test']:>6}{len(items):>7}")
    print(f"expect: {dict(Counter(it['expect'] for it in items))}; "
          f"mayors_question with a not_found part: {mq_nf}")
    print("OK" if not checker.problems else f"{len(checker.problems)} problem(s)")
    return 1 if checker.problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
