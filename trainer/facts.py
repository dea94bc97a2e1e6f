"""Facts in text — numbers, dates, names, content words — as every training stage sees them.

Synthesis picks the sentences that carry facts, the filter checks that an answer's facts are
in its source entry, DPO swaps them for wrong ones, and the eval gate looks for them in what
a model generated. One definition keeps those four stages agreeing about what "a fact" is;
the failure this guards against is the one users of personal models complain about most:
confident wrong numbers, dates and names about their own lives.

Everything here is plain-text heuristics (English), deterministic and dependency-free.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Iterable

MONTHS: tuple[str, ...] = (
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
)
_MONTH_ALT = (
    "jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    "|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?"
)
_DATE_DM = re.compile(rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?({_MONTH_ALT})\b", re.I)
_DATE_MD = re.compile(r"\b([A-Z][a-z]{2,8})\.?\s+(\d{1,2})(?:st|nd|rd|th)?\b")  # "Sep 8", not "may 8"
_MONTH_NAME = re.compile(rf"(?:{_MONTH_ALT})", re.I)
_DATE_ISO = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
_NUMBER = re.compile(r"\d+(?:[.:,]\d+)*")
_WORD = re.compile(r"[a-z0-9]+(?:['’][a-z]+)?")
_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"”’)]*\s+(?=[\"“‘(]?[A-Z0-9£$*])|\n\s*\n|\n(?=\s*[-*\d]+[.)]?\s)")

#: English function words plus the glue the answer templates add ("I wrote", "entry",
#: "remember"): none of them is evidence that an answer is grounded in its source.
STOPWORDS: frozenset[str] = frozenset(
    """
    a about above after again against all also am an and any are aren't as at be because been
    before being below between both but by can can't could couldn't did didn't do does doesn't
    doing don't down during each few for from further get got had hadn't has hasn't have haven't
    having he he'd he'll he's her here here's hers herself him himself his how how's i i'd i'll
    i'm i've if in into is isn't it it's its itself just let's me more most mustn't my myself no
    nor not now of off on once only or other ought our ours ourselves out over own same shan't she
    she'd she'll she's should shouldn't so some such than that that's the their theirs them
    themselves then there there's these they they'd they'll they're they've this those through to
    too under until up very was wasn't we we'd we'll we're we've were weren't what what's when
    when's where where's which while who who's whom why why's will with won't would wouldn't you
    you'd you'll you're you've your yours yourself yourselves yes yeah ok okay really still even
    much many one two three thing things something anything lot lots well back went go going
    wrote write writing written entry entries journal memory memories remember remembered day
    days time times said say says know knew think thought recall recalled note noted mention
    mentioned mentions first last recently recent later earlier around usually often most
    question answer come comes came people person life month months week weeks year years
    happened happen happening doing done tell told like
    hi hey good hear thanks thank asking speak soon advice context try next missing miss misses
    fair general situation given change watch would want need sure something better get
    """.split()  # noqa: SIM905 - a word list reads better as text
)


_CITATION = re.compile(r"\s*\[\d{1,2}\]")


def strip_citations(text: str) -> str:
    """Drop memory citations like ``[2]``: their digits are not facts about the user."""
    return _CITATION.sub("", text)


def words(text: str) -> list[str]:
    """Lower-case word tokens (letters/digits, with an inner apostrophe)."""
    return _WORD.findall(text.lower().replace("’", "'"))


def stem(word: str) -> str:
    """A crude suffix strip so "running"/"runs"/"run" and "walked"/"walk" match."""
    for suffix in ("ings", "ing", "edly", "ed", "ies", "es", "s", "'s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)]
            break
    if len(word) > 3 and word[-1] == word[-2] and word[-1] not in "aeiouls":
        word = word[:-1]  # runn -> run, stopp -> stop
    return word


def content_words(text: str) -> list[str]:
    """Stemmed words that carry meaning: no stopwords, no bare numbers, at least 3 letters."""
    return [stem(w) for w in words(text) if len(w) >= 3 and w not in STOPWORDS and not w.isdigit()]


def normalise_number(raw: str) -> str:
    """``10,500`` -> ``10500``; ``6:45`` and ``5.5`` stay as they are."""
    if re.fullmatch(r"\d{1,3}(?:,\d{3})+", raw):
        return raw.replace(",", "")
    return raw.rstrip(".,:")


def numbers(text: str) -> set[str]:
    """Every number written with digits (times, prices, years, distances…)."""
    return {normalise_number(m) for m in _NUMBER.findall(text)}


def _month_number(name: str) -> int:
    low = name.lower()[:3]
    return next(i for i, m in enumerate(MONTHS, 1) if m.startswith(low))


def dates(text: str) -> set[tuple[int, int]]:
    """(month, day) of every calendar date written out ("8 September", "Sep 8", ISO)."""
    found: set[tuple[int, int]] = set()
    for m in _DATE_DM.finditer(text):
        day = int(m.group(1))
        if 1 <= day <= 31:
            found.add((_month_number(m.group(2)), day))
    for m in _DATE_MD.finditer(text):
        day = int(m.group(2))
        if _MONTH_NAME.fullmatch(m.group(1)) and 1 <= day <= 31:
            found.add((_month_number(m.group(1)), day))
    for m in _DATE_ISO.finditer(text):
        month, day = int(m.group(2)), int(m.group(3))
        if 1 <= month <= 12 and 1 <= day <= 31:
            found.add((month, day))
    return found


def long_date(day: dt.date) -> str:
    """``8 September 2025`` — the one spelling the templates use."""
    return f"{day.day} {day.strftime('%B %Y')}"


def month_label(day: dt.date) -> str:
    return day.strftime("%B %Y")


def names_in(text: str, names: Iterable[str]) -> list[str]:
    """Which of ``names`` occur in ``text`` as whole words (case-insensitive), longest first
    so "Water of Leith" wins over "Leith"."""
    low = " " + " ".join(words(text)) + " "
    found: list[str] = []
    for name in sorted(set(names), key=lambda n: (-len(n), n)):
        key = " " + " ".join(words(name)) + " "
        if key.strip() and key in low and not any(key in " " + " ".join(words(f)) + " " for f in found):
            found.append(name)
    return found


def sentences(text: str) -> list[str]:
    """Sentences and list items of a passage, whitespace-normalised, markup-light."""
    parts = _SENTENCE_END.split(text.strip())
    out: list[str] = []
    for part in parts:
        clean = " ".join(part.replace("**", "").replace("[[", "").replace("]]", "").split())
        clean = clean.lstrip("-* ").strip()
        if clean:
            out.append(clean)
    return out


def coverage(answer: str, support: str) -> float:
    """Share of the answer's content words found in ``support`` (1.0 when it has none)."""
    wanted = content_words(answer)
    if not wanted:
        return 1.0
    have = set(content_words(support))
    return sum(1 for w in wanted if w in have) / len(wanted)


def unsupported_numbers(answer: str, support: str) -> set[str]:
    """Numbers in the answer that the support text never mentions."""
    return numbers(answer) - numbers(support)


def _f1_tokens(text: str) -> list[str]:
    return [w for w in words(text) if w not in {"a", "an", "the"}]


def token_f1(prediction: str, reference: str) -> float:
    """SQuAD-style bag-of-words F1 between a generated and a reference answer."""
    pred, ref = _f1_tokens(prediction), _f1_tokens(reference)
    if not pred or not ref:
        return float(pred == ref)
    common = Counter(pred) & Counter(ref)
    same = sum(common.values())
    if same == 0:
        return 0.0
    precision, recall = same / len(pred), same / len(ref)
    return 2 * precision * recall / (precision + recall)


def key_facts(answer: str, support: str, known_names: Iterable[str]) -> list[str]:
    """The checkable facts of a reference answer: its numbers and known names that the
    source also contains (so a fact is never something the template itself invented)."""
    answer = strip_citations(answer)
    nums = sorted(numbers(answer) & numbers(support))
    support_names = set(names_in(support, known_names))
    people = [n for n in names_in(answer, known_names) if n in support_names]
    return [*nums, *people]


def fact_present(fact: str, text: str) -> bool:
    """Whether ``fact`` (a number or a name from :func:`key_facts`) appears in ``text``."""
    text = strip_citations(text)
    if _NUMBER.fullmatch(fact):
        return fact in numbers(text)
    key = " " + " ".join(words(fact)) + " "
    return key in " " + " ".join(words(text)) + " "
