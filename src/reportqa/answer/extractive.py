"""The offline, deterministic default answerer: sentences taken from the retrieved passages.

It chooses the sentences that answer the question, orders them (asked year first, else the most recent
report), marks each with [n], names the report year of every figure, and says plainly when the
evidence does not answer the question.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from reportqa.text import content_words, numbers_in, tokenize
from reportqa.types import Answer, Citation, Hit, Passage, Sentence

MONEY_WORDS = {"cost", "budget", "fund", "spend", "invest", "money", "price", "paid", "pay", "worth", "valu", "save", "rais"}
COUNT_CUES = re.compile(
    r"\b(how (many|much|often|far|big|large|long)|number|figures?|percentage|proportion|share|rate|reductions?|increases?|"
    r"fall|fell|rise|rose|grow|grew|change[ds]?|compare[ds]?|total|budget|cost|amount|by how)\b",
    re.I,
)
MONEY_CUES = re.compile(r"\b(how much (money|funding|did .{0,40} (cost|get|receive|spend|invest|raise|save))|budget|cost|funding|invest)", re.I)
GENERIC = {"mopac", "london", "mayor", "report", "met", "mps", "polic", "year", "annual", "crime", "say", "said", "many", "much", "number", "total", "what", "happen", "work", "did", "do", "new", "use", "includ"}
# Words about the question itself rather than its subject: never required of an answer.
META = {"accord", "report", "annual", "summari", "per", "state", "mention", "describ", "compar", "figur", "give",
        "differ", "chang", "show", "find", "look", "want", "know", "call", "stand", "mean", "acronym", "name",
        "put", "pick", "choos", "see", "set", "start", "run", "come", "hold", "overal", "main", "key", "kind",
        "type", "way", "exact", "actual", "latest", "recent", "current", "part", "explain", "detail", "inform",
        "provid", "plan", "mayor", "doc", "document", "public", "publish", "publ"}


_NUMBER_WORDS = re.compile(
    r"\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|hundred|thousand|million|half|"
    r"quarter|third|double|twice|once|dozens?|hundreds|thousands)\b",
    re.I,
)
_MONEY_Q = re.compile(
    r"\bhow much (money|funding|cash|did (it|they|this|that|the .{1,40}) (cost|get|receive|raise|save|spend|invest|pay|take))"
    r"|\bhow much (has|have|had|was|were|is|did) .{0,60}\b(invested|spent|paid|raised|saved|allocated|funded|cost|worth)"
    r"|\b(budget|salary|salaries|remuneration|cost|costs|price|value|spend|spending|paid)\b.{0,40}\?\s*$"
    r"|\bhow much\b.{0,60}\b(cost|costs|budget|funding|money|paid|spent|invest(ed|ment)?|raised|saved)\b",
    re.I,
)
_PERCENT_Q = re.compile(r"\bwhat (percentage|proportion|share|per ?cent|fraction)\b|\bwhat (was|is) the .{0,30}\brate\b", re.I)
_COUNT_Q = re.compile(r"\bhow many\b|\bnumber of\b|\bhow often\b", re.I)
_COUNTED = re.compile(r"\bhow many (?:of (?:the|those|these) )?((?:[a-z-]+ ){0,2}?[a-z-]+?)(?= (?:did|do|does|were|was|are|is|has|have|had|will|would|could|can|went|in|of|across|at|on|for|from|by|to)\b|\?|$)", re.I)


@dataclass(frozen=True)
class Requirements:
    """What kind of answer the question asks for, read from its wording."""

    entities: tuple[str, ...] = ()
    money: bool = False
    percent: bool = False
    count: bool = False
    counted: tuple[str, ...] = ()


def requirements(question: str) -> Requirements:
    from reportqa.conversation import entities

    ents = tuple(e for e in entities(question) if content_words(e) - GENERIC - META)
    counted: tuple[str, ...] = ()
    m = _COUNTED.search(question)
    if m:
        words = [w for w in tokenize(m.group(1)) if w not in GENERIC and w not in META and not w[0].isdigit()]
        counted = tuple(words[-1:])  # the head noun: "how many written submissions" -> "submiss"
    return Requirements(
        entities=ents,
        money=bool(_MONEY_Q.search(question)),
        percent=bool(_PERCENT_Q.search(question)),
        count=bool(_COUNT_Q.search(question)),
        counted=counted,
    )


@dataclass(frozen=True)
class Scored:
    hit: Hit
    sentence: Sentence
    score: float
    coverage: float  # idf-weighted share of the question's words found in the sentence or its passage
    missing: tuple[str, ...]  # question words found in neither
    own: float = 0.0  # share found in the sentence itself


class Stats:
    """Document frequencies over the collection, for weighting question words."""

    def __init__(self, passages: Sequence[Passage]) -> None:
        self.n = len(passages)
        df: dict[str, int] = {}
        for p in passages:
            for w in set(tokenize(p.section + " " + p.clean)):
                df[w] = df.get(w, 0) + 1
        self.df = df

    def idf_at_share(self, share: float) -> float:
        """The idf of a word found in `share` of the passages."""
        return math.log(1 + (self.n + 1) / (share * self.n + 0.5))

    def idf(self, word: str) -> float:
        return math.log(1 + (self.n + 1) / (self.df.get(word, 0) + 0.5))


def label(p: Passage) -> str:
    return f"the {p.year} report" if p.kind != "plan page" else f"the Police and Crime Plan {p.year} page"


def citation(marker: int, p: Passage, s: Sentence) -> Citation:
    from reportqa.answer.verify import citation_span

    return citation_span(marker, p, s.start, s.end)


class ExtractiveAnswerer:
    name = "extractive"

    def __init__(self, stats: Stats, threshold: float = 0.55, max_sentences: int = 3) -> None:
        self.stats = stats
        self.threshold = threshold
        self.max_sentences = max_sentences

    # -- scoring -----------------------------------------------------------------------
    def _weights(self, question: str) -> dict[str, float]:
        words = [w for w in tokenize(question) if not w[0].isdigit() and not w.startswith("£") and w not in META]
        return {w: self.stats.idf(w) * (0.3 if w in GENERIC else 1.0) for w in words}

    def score(self, question: str, hits: Sequence[Hit], focus: str = "") -> list[Scored]:
        weights = self._weights(question)
        focus_w = {t: w for t, w in self._weights(focus).items() if t in weights} if focus else {}
        focus_total = sum(focus_w.values()) or 1.0
        total = sum(weights.values()) or 1.0
        qnums = {n for n in numbers_in(question) if not re.fullmatch(r"(19|20)\d\d|\d\d", n)}
        wants_figure = bool(COUNT_CUES.search(question))
        wants_money = bool(MONEY_CUES.search(question))
        out: list[Scored] = []
        for h in hits:
            p = h.passage
            context = _with_prefixes(content_words(p.section + " " + p.clean))
            for s in p.sentences:
                words = _with_prefixes(content_words(s.text))
                have = words | context
                got = sum(w for t, w in weights.items() if _has(words, t))
                got += 0.6 * sum(w for t, w in weights.items() if _has(context, t) and not _has(words, t))
                missing = [t for t in weights if not _has(have, t)]
                nums = numbers_in(s.text)
                if wants_money and "£" in s.text:
                    for t in list(missing):
                        if t in MONEY_WORDS:
                            got += weights[t]
                            missing.remove(t)
                cov = min(got / total, 1.0)
                own = sum(w for t, w in weights.items() if _has(words, t)) / total
                sc = cov
                if wants_figure and nums:
                    sc += 0.15
                if wants_figure and not nums:
                    sc -= 0.2
                if qnums and qnums & nums:
                    sc += 0.1
                sc += 0.1 / h.rank
                if focus_w:  # a follow-up's own words matter more than the topic carried over
                    sc += 0.3 * sum(w for t, w in focus_w.items() if _has(words, t)) / focus_total
                if len(s.text) < 25:
                    sc -= 0.2
                out.append(Scored(h, s, sc, cov, tuple(missing), own))
        out.sort(key=lambda x: (-x.score, x.hit.rank, x.sentence.start))
        return out

    # -- answering ---------------------------------------------------------------------
    def answer(
        self,
        question: str,
        hits: Sequence[Hit],
        asked_years: Sequence[str] = (),
        coverage_text: str = "",
        focus: str = "",
        require_years: Sequence[str] = (),
    ) -> Answer:
        if not hits:
            return self.not_found(question, hits, coverage_text)
        scored = self.score(question, hits, focus)
        weights = self._weights(question)
        attribute = self._attribute_words(question, weights)
        if require_years:
            rx = years_regex(require_years)
            scored = [x for x in scored if rx.search(x.sentence.text)]
        best = scored[0] if scored else None
        if best is None or not self._answers(best, attribute):
            return self.not_found(question, hits, coverage_text)
        chosen = [best]
        follow = self._complement(best, weights)
        if follow is not None:
            chosen.append(follow)
        if len(asked_years) > 1:
            for year in asked_years:
                if any(c.hit.passage.year == year for c in chosen):
                    continue
                for s in scored:
                    if s.hit.passage.year == year and self._answers(s, attribute) and s.score >= 0.5 * best.score:
                        chosen.append(s)
                        break
        for s in scored[1:]:
            if len(chosen) >= self.max_sentences:
                break
            if s.score < 0.85 * best.score or s.own < 0.5 or not self._answers(s, attribute):
                continue
            if any(_same(s.sentence.text, c.sentence.text) for c in chosen):
                continue
            if any(c.hit.passage.id == s.hit.passage.id and _antecedent(c.hit.passage, c.sentence) == s.sentence for c in chosen):
                continue
            chosen.append(s)
        return self.compose(question, chosen, asked_years)

    def _complement(self, best: Scored, weights: dict[str, float]) -> Scored | None:
        """The next sentence or list item, when it holds what the best sentence leaves out.

        "...toolkit to take a stand against VAWG." + "Developed by arts and education charity Tender, ..."
        "...comparing the 12-month period to May 2016 and the 12 months to January 2024:" + "burglary fell by 18 per cent."
        """
        p = best.hit.passage
        idx = p.sentences.index(best.sentence)
        left = {t: w for t, w in weights.items() if not _has(_with_prefixes(content_words(best.sentence.text)), t)}
        total = sum(left.values())
        candidates = []
        for nxt in p.sentences[idx + 1 : idx + 12]:
            same_block = nxt.block == best.sentence.block
            if not same_block and not best.sentence.text.rstrip().endswith(":"):
                break
            words = _with_prefixes(content_words(nxt.text))
            gain = sum(w for t, w in left.items() if _has(words, t)) / total if total else 0.0
            candidates.append((gain, -abs(nxt.block - best.sentence.block), nxt))
            if same_block:
                break  # only the very next sentence of a paragraph
        if not candidates:
            return None
        gain, _, nxt = max(candidates, key=lambda c: (c[0], c[1]))
        if gain < 0.3:
            return None
        return Scored(best.hit, nxt, best.score * 0.9, best.coverage, (), gain)

    def _attribute_words(self, question: str, weights: dict[str, float]) -> Requirements:
        return requirements(question)

    def _answers(self, s: Scored, req: Requirements) -> bool:
        """Does this sentence answer the question? Coverage, then the answer type the question asks for."""
        if s.coverage < self.threshold:
            return False
        p = s.hit.passage
        text = s.sentence.text
        lead = _antecedent(p, s.sentence)
        near = (lead.text + " " + text) if lead is not None else text
        context = _with_prefixes(content_words(p.section + " " + p.clean))
        for entity in req.entities:
            if not all(_has(context, w) for w in content_words(entity) - GENERIC - META):
                return False  # a named place, body or programme the passage never mentions
        if req.money and "£" not in text:
            return False
        if req.percent and not re.search(r"\d\s?(%|per cent|percent)|percentage point", text):
            return False
        if req.count and not (re.search(r"\d", text) or _NUMBER_WORDS.search(text)):
            return False
        near_words = _with_prefixes(content_words(near))
        return all(_has(near_words, w) for w in req.counted)

    def compose(self, question: str, chosen: list[Scored], asked_years: Sequence[str]) -> Answer:
        years = {c.hit.passage.year for c in chosen}
        if not asked_years and len(years) > 1:
            # no year asked: lead with the most recent report, then what other years say
            chosen = sorted(chosen, key=lambda c: (-int(c.hit.passage.year[:4]), -c.score))
        parts: list[str] = []
        cits: list[Citation] = []
        markers: dict[str, int] = {}
        lead_year = chosen[0].hit.passage.year
        for i, c in enumerate(chosen):
            p = c.hit.passage
            m = markers.setdefault(p.id + str(c.sentence.start), len(markers) + 1)
            sent = c.sentence
            lead = _antecedent(p, sent)
            if lead is not None:
                sent = Sentence(text=lead.text + " " + sent.text, start=lead.start, end=sent.end, block=sent.block)
            cits.append(citation(m, p, sent))
            text = sent.text.rstrip()
            if i == 0:
                intro = f"According to {label(p)} ({p.title}):"
            elif p.year != lead_year:
                intro = f"In {label(p)}:"
            else:
                intro = ""
            parts.append((intro + " " if intro else "") + f"{text} [{m}]")
        notes = []
        if not asked_years and len(years) > 1:
            notes.append("No year was asked: the answer leads with the most recent report; other years are marked.")
        return Answer(
            status="answered",
            text="\n".join(parts),
            citations=tuple(cits),
            question=question,
            backend=self.name,
            notes=tuple(notes),
        )

    def not_found(self, question: str, hits: Sequence[Hit], coverage_text: str, reason: str = "") -> Answer:
        related: list[Citation] = []
        if hits:
            scored = self.score(question, hits)
            seen: set[str] = set()
            for s in scored:
                if s.hit.passage.id in seen:
                    continue
                seen.add(s.hit.passage.id)
                related.append(citation(len(related) + 1, s.hit.passage, s.sentence))
                if len(related) == 3:
                    break
        text = "The reports don't say. " + (reason + " " if reason else "")
        text += "I could not find this in the MOPAC reports I have"
        text += f" ({coverage_text})." if coverage_text else "."
        if related:
            text += " The closest passages are listed as related, in case they help."
        return Answer(status="not_found", text=text, related=tuple(related), question=question, backend=self.name)


_PRONOUN_START = re.compile(r"^(It|Its|This|These|They|Their|That|Those|He|She|The (service|scheme|programme|project|fund|partnership|pilot|board|panel|commission|campaign))\b")


def _antecedent(p: Passage, s: Sentence) -> Sentence | None:
    """The sentence before a sentence that opens with a pronoun, in the same block."""
    if not _PRONOUN_START.match(s.text):
        return None
    idx = p.sentences.index(s)
    if idx > 0 and p.sentences[idx - 1].block == s.block:
        return p.sentences[idx - 1]
    return None


def years_regex(years: Sequence[str]) -> re.Pattern[str]:
    """'2014-15' written any way a report writes it: 2014/15, 2014-15, 2014–15, 2014/2015, 2014 – 15."""
    alts = []
    for y in years:
        a, b = int(y[:4]), int(y[5:7])
        alts.append(rf"{a}\s?[/\-–]\s?(?:20)?{b:02d}\b")
    return re.compile("|".join(alts))


def _with_prefixes(words: set[str]) -> set[str]:
    """Words plus their five-letter prefixes marked with '~', so 'visitor' meets 'visit' and 'visiting'."""
    return words | {"~" + w[:5] for w in words if len(w) >= 5}


def _has(have: set[str], word: str) -> bool:
    return word in have or (len(word) >= 5 and "~" + word[:5] in have)


def _same(a: str, b: str) -> bool:
    wa, wb = content_words(a), content_words(b)
    return bool(wa) and len(wa & wb) / len(wa | wb) > 0.7


def _shares_measure(a: Scored, b: Scored) -> bool:
    wa, wb = content_words(a.sentence.text), content_words(b.sentence.text)
    return len(wa & wb) >= 3
