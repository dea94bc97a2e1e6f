"""Entity mentions in one entry: explicit markup first, proper-noun heuristics second.

No model download is possible at run time, so entities come from what the user marked up
([[links]], #tags, @mentions, front-matter ``people``/``aliases``) and from capitalised
phrases in prose. Resolution to canonical names (aliases) happens in the graph, which knows
the whole vault.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from journal_me.vault import Entry

# Importing this module compiles and reads nothing (the CLI's search imports it): the word
# lists (journal_me/data/entity_*.txt) and the patterns are made on first use.
_DATA = Path(__file__).resolve().parent.parent / "data"
_CONNECTORS = frozenset({"of", "de", "la", "le", "van", "von", "du", "the", "on", "upon"})
_TITLES = frozenset({"dr", "mr", "mrs", "ms", "miss", "prof", "auntie", "aunt", "uncle", "nan"})


@functools.cache
def _words(name: str) -> frozenset[str]:
    """A word list of journal_me/data/ (one word or phrase a line, ``#`` comments), lower case."""
    text = (_DATA / name).read_text(encoding="utf-8")
    return frozenset(
        line.strip().lower() for line in text.splitlines() if line.strip() and not line.startswith("#")
    )


def _common() -> frozenset[str]:
    """Words capitalised for grammar, not because they name something."""
    return _words("entity_common.txt")


def _stop() -> frozenset[str]:
    return _words("entity_stoplist.txt")


def _given() -> frozenset[str]:
    return _words("entity_given_names.txt")


def _place_hints() -> frozenset[str]:
    return _words("entity_place_hints.txt")


def _place_names() -> frozenset[str]:
    return _words("entity_place_names.txt")


def _function_words() -> frozenset[str]:
    return _words("entity_function_words.txt")


def _noun_case_words() -> frozenset[str]:
    return _words("entity_noun_case_words.txt")


def _org_hints() -> frozenset[str]:
    return _words("entity_org_hints.txt")


# The blocks of the scripts that have capitals: Latin, Greek, Cyrillic, Armenian, Georgian and
# their extensions (other scripts have no capitalised names to find).
_CASED_BLOCKS: tuple[tuple[int, int], ...] = (
    (0x41, 0x58F),
    (0x10A0, 0x10FF),
    (0x1C80, 0x1CBF),
    (0x1E00, 0x1FFF),
    (0x2C00, 0x2D2F),
    (0xA640, 0xA69F),
    (0xA720, 0xA7FF),
    (0xFF21, 0xFF5A),
)


def _char_class(keep: Callable[[str], bool]) -> str:
    """The characters of the cased blocks that ``keep`` keeps, as a regex class body of ranges."""
    out: list[str] = []
    for lo, hi in _CASED_BLOCKS:
        start: int | None = None
        for i in range(lo, hi + 2):
            if i <= hi and keep(chr(i)):
                start = i if start is None else start
            elif start is not None:
                first, last = re.escape(chr(start)), re.escape(chr(i - 1))
                out.append(first if start == i - 1 else f"{first}-{last}")
                start = None
    return "".join(out)


@functools.cache
def _phrase_re() -> re.Pattern[str]:
    """Capitalised words in a row, in any script with capitals ("Montréal", "Zoë", "Kraków"
    were cut to "Montr", "Zo", "Krak"), on one line: a name does not go on past a line
    break ("Invoice" above "Bill To" is no "Invoice Bill To")."""
    upper = _char_class(lambda c: c.isupper() or c.istitle())
    # letters of scripts with case only: "Lindqvist" ends before "夏" or "の" written after it
    cased = _char_class(lambda c: c.isupper() or c.istitle() or c.islower())
    word = rf"[{upper}][{cased}'’\-]*[{cased}]|[{upper}]"
    gap = r"[ \t\u00a0]+"
    return re.compile(
        rf"(?<![\w@#])((?:{word})(?:{gap}(?:(?:of|de|la|le|van|von|du|the|on){gap})?(?:{word}))*)"
    )


# What may come just before a sentence-initial word: the text's start, closing punctuation,
# a line break, a list marker or blockquote ("- ", "> ", "2. ") — with whitespace between.
_SENTENCE_PUNCT = frozenset('.!?:;…"“(-–—|')  # "|": a table cell ("| Status | Due |")
_LINE_MARKERS = frozenset("*+>")  # "-" is in _SENTENCE_PUNCT already


def _space_before(text: str, pos: int) -> int:
    """The start of the run of whitespace that ends at ``pos``."""
    while pos > 0 and text[pos - 1].isspace():
        pos -= 1
    return pos


def _at_sentence_start(text: str, pos: int) -> bool:
    r"""Whether the word at ``pos`` opens a sentence, a line or a list item.

    Looks back only over the whitespace and marker just before ``pos``, so extraction stays
    linear in the text's length (a regex anchored at the end of ``text[:pos]`` rescanned the
    whole prefix for every capitalised phrase: quadratic). Same answers as
    ``(?:^|[.!?:;…"“(\-–—]\s*|\n\s*[-*+>]?\s*|\n\s*\d+[.)]\s*)$`` on the prefix.
    """
    i = _space_before(text, pos)
    if "\n" in text[i:pos]:
        return True  # a new line (list markers and numbers optional)
    if i == 0:
        return pos == 0  # the text's start; spaces alone before it are not a line break
    c = text[i - 1]
    if c in _SENTENCE_PUNCT:
        return True
    if c in _LINE_MARKERS:
        return "\n" in text[_space_before(text, i - 1) : i - 1]
    if c == ")":
        j = i - 1
        while j > 0 and text[j - 1].isdecimal():
            j -= 1
        return j < i - 1 and "\n" in text[_space_before(text, j) : j]
    return False


# Bounds on what counts as a name: the longest heuristic name in the sample vault has five
# words ("Fig Print on Tariff Street"); explicit ones ([[links]], @mentions) may be longer.
MAX_PHRASE_WORDS = 6
MAX_PHRASE_CHARS = 80
MAX_NAME_CHARS = 200

# The source of a sentence-initial capitalised word: counted only for names the vault
# knows from pages, aliases and links (see EntityGraph.counts).
WEAK_HEURISTIC = "heuristic-weak"


@dataclass(frozen=True)
class Mention:
    """A surface form seen in an entry, with how we know it and a type guess."""

    name: str
    kind: str  # person | place | org | topic | tag
    source: str  # link | link-alias | tag | mention | people | heuristic | heuristic-weak
    alias: str | None = None  # [[target|alias]]: alias is another name of target


@functools.lru_cache(maxsize=65536)
def guess_type(name: str) -> str:
    # an all-capitals word is an acronym or code ("PATH", "BILL"), not a given name or a hint
    words = [w.lower().strip(".'’") for w in name.split() if not (len(w) > 1 and w.isupper())]
    given = _given()
    if any(w in _org_hints() for w in words):
        return "org"
    if any(w in _place_names() for w in words) or any(
        w in _place_hints() and (len(words) >= 2 or len(w) > 2) for w in words
    ):
        return "place"  # an abbreviation alone ("St", "Rd") names no place; "the Meadows" does
    if len(words) == 1 and words[0] in given and words[0] not in _TITLES:
        return "person"
    if (
        len(words) in (2, 3)
        and words[0] in given
        and all(w[:1].isalpha() for w in words)
        and not (_CONNECTORS & set(words))
    ):
        return "person"
    return "topic"


@functools.cache
def _person_after_re() -> re.Pattern[str]:
    return re.compile(
        r"^(?:'s)?\s+(?:said|says|told|tells|asked|asks|rang|rings|texted|texts|messaged|called|"
        r"thinks|thought|wants|wanted|laughed|cried|replied|agreed|admitted|sent|hugged|smiled|"
        r"and I|and me)\b"
    )


def _candidates(text: str) -> list[tuple[str, bool, bool]]:
    """(phrase, looks_like_person, weak): weak ones are single capitalised words at a
    sentence start ("Biscuit hid…"), entities only when the vault already knows the name."""
    out: list[tuple[str, bool, bool]] = []
    common, stop, function = _common(), _stop(), _function_words()
    person_after = _person_after_re()
    # an entry in a language that capitalises nouns: one capitalised word is no name on its own
    nouns_capitalised = _capitalises_nouns(text)
    articles = _noun_case_words() if nouns_capitalised else frozenset()
    for m in _phrase_re().finditer(text):
        phrase = m.group(1).strip(" -'’")
        words = phrase.split()
        # drop leading/trailing common words ("The", "My") and connectors
        lo, hi = 0, len(words)  # indices, not slices: a phrase can be a whole line long
        while lo < hi and (
            words[lo].lower() in common
            or words[lo].lower() in _CONNECTORS
            or words[lo].lower() in stop
            or (nouns_capitalised and words[lo].lower() in articles)
        ):
            lo += 1
        while hi > lo and (words[hi - 1].lower() in _CONNECTORS or words[hi - 1].lower() in common):
            hi -= 1
        if hi > lo and words[hi - 1].lower() in function:
            continue  # a capitalised preposition ends a UI label, not a name: "Bill To:", "Log In"
        words = words[lo:hi]
        if not words or " ".join(words).lower() in stop:
            continue
        phrase = " ".join(words).replace("’", "'")
        if phrase.endswith("'s"):
            phrase = phrase[:-2]
        if len(phrase) < 2 or (phrase.isupper() and len(phrase) > 5):
            continue
        if len(words) > MAX_PHRASE_WORDS or len(phrase) > MAX_PHRASE_CHARS:
            continue  # a Title Case heading or a shouted line, not a name
        at_start = _at_sentence_start(text, m.start()) and words[0] == m.group(1).split()[0]
        if at_start and len(words) > 1 and words[0].lower().endswith(("ed", "ing")) and len(words[0]) > 4:
            words = words[1:]  # "Texted Sam", "Meeting Priya": a verb opening the sentence
            phrase = phrase.split(" ", 1)[1]  # still without the "'s" ("Borrowed Dad's car")
        after = text[m.end() : m.end() + 30]
        # a single capitalised word at a sentence start is too weak on its own, unless a
        # person verb follows ("Dev said…", "Sam rang…")
        # a person verb after an adverb is no name ("Frequently asked questions")
        verb = bool(person_after.match(after)) and not (
            len(words) == 1 and words[0].lower().endswith("ly") and words[0].lower() not in _given()
        )
        weak = len(words) == 1 and (
            (at_start and not verb) or (nouns_capitalised and words[0].lower() not in _given())
        )
        person = verb
        out.append((phrase, person, weak))
    return out


def _capitalises_nouns(text: str) -> bool:
    """Whether the text reads as German (or another language that capitalises every noun):
    its function words (journal_me/data/entity_noun_case_words.txt) are 5 % of the words
    of its first 4,000 characters."""
    words = re.findall(r"[^\W\d_]+", text[:4000].lower())
    if len(words) < 8:
        return False
    hits = sum(map(_noun_case_words().__contains__, words))
    return hits >= 3 and hits >= 0.05 * len(words)


@functools.lru_cache(maxsize=4096)
def _whole_word(surface: str) -> re.Pattern[str]:
    """``surface`` not inside a longer word: "sam" in "Sam's" or "(Sam)", not in "same"."""
    head = r"(?<!\w)" if re.match(r"\w", surface) else ""
    tail = r"(?!\w)" if re.match(r"\w", surface[-1]) else ""
    return re.compile(head + re.escape(surface) + tail)


def names_in(text: str, names: Mapping[str, str]) -> list[str]:
    """The canonical names (``names``: lower surface form -> canonical) whose surface forms
    occur in ``text`` as whole words, in ``names`` order, each once."""
    low = text.lower()
    found = [c for s, c in names.items() if s and s in low and _whole_word(s).search(low)]
    return list(dict.fromkeys(found))


@functools.cache
def _heading_line_re() -> re.Pattern[str]:
    return re.compile(r"^([ ]{0,3}#{1,6}[ \t].*?)[ \t]*$", re.MULTILINE)


def extract_mentions(entry: Entry) -> list[Mention]:
    """All entity mentions in an entry, deduplicated, explicit ones first."""
    from journal_me.markup import CODE_SPAN_RE, WIKILINK_RE, to_plain

    found: dict[tuple[str, str], Mention] = {}

    def add(m: Mention) -> None:
        if len(m.name) > MAX_NAME_CHARS or (m.alias is not None and len(m.alias) > MAX_NAME_CHARS):
            return  # a pasted paragraph in [[...]] or @…: not a name to keep in the graph
        key = (m.name.lower(), m.kind if m.kind == "tag" else "entity")
        if key not in found or (found[key].source == WEAK_HEURISTIC and m.source != WEAK_HEURISTIC):
            found[key] = m

    for target, alias in entry.links:
        target = target.split("/")[-1].strip()
        add(Mention(target, guess_type(target), "link", alias))
        if alias:
            add(Mention(alias, guess_type(target), "link-alias", target))
    for person in entry.people:
        add(Mention(person, "person", "people"))
    for mention in entry.mentions:
        add(Mention(mention, "person", "mention"))
    for tag in entry.tags:
        add(Mention(f"#{tag}", "tag", "tag"))
    plain = CODE_SPAN_RE.sub(" ", _strip_code_blocks(entry.body))
    # a heading ends like a sentence: "## Editor" then "### Strict line breaks" is not a name
    plain = _heading_line_re().sub(r"\1 .", plain)
    plain = WIKILINK_RE.sub(" , ", plain)
    plain = to_plain(plain)
    casing = _Casing(plain)
    given = _given()
    common_words: set[str] = set()  # the words of phrases the entry writes in another case
    candidates = _candidates(plain)
    for phrase, _person, _weak in candidates:
        if " " in phrase and casing.other_case(phrase):
            common_words.update(phrase.lower().split())
    for phrase, looks_like_person, weak in candidates:
        kind = "person" if looks_like_person else guess_type(phrase)
        if " " in phrase:
            if phrase.lower().split()[0] in common_words:
                continue  # "Command Palette" written "Command palette" too
        elif (
            kind != "person"
            and phrase.lower() not in given
            and (phrase.lower() in common_words or casing.other_case(phrase))
        ):
            # a common word written in another case too, or what is left of a common
            # phrase ("the Command palette"); a given name is one all the same ("Lily")
            continue
        add(Mention(phrase, kind, WEAK_HEURISTIC if weak else "heuristic"))
    return list(found.values())


class _Casing:
    """Whether an entry also writes a capitalised phrase in lower case ("## Command Palette",
    then "open the Command palette"; "Sync" and "pick the folders to sync"): a common phrase
    in Title Case or at a sentence start, not a name. The entry's words are read once (in C);
    a phrase is looked for in the text only when all its lower-cased words occur."""

    def __init__(self, plain: str) -> None:
        from journal_me.markup import TAG_RE

        # a tag is no lower-case writing of a word: "#work/halden" beside "Last day at Halden"
        self.plain = TAG_RE.sub(" ", plain.replace("’", "'"))
        self.words = set(re.findall(r"[\w'\-]+", self.plain))
        self.memo: dict[str, bool] = {}

    def other_case(self, phrase: str) -> bool:
        found = self.memo.get(phrase)
        if found is None:
            parts = phrase.split()
            lows = [p.lower() for p in parts]
            if not all(w in self.words for w in lows[1:] or lows):
                found = False
            elif len(parts) == 1:
                found = lows[0] != parts[0]
            else:
                tail = " ".join([parts[0], *lows[1:]])
                found = (tail != phrase and tail in self.plain) or " ".join(lows) in self.plain
            self.memo[phrase] = found
        return found


def _strip_code_blocks(body: str) -> str:
    out: list[str] = []
    fence: str | None = None
    for line in body.split("\n"):
        stripped = line.lstrip()
        if fence:
            if stripped.startswith(fence):
                fence = None
            out.append("")
            continue
        if stripped.startswith("```") or stripped.startswith("~~~"):
            fence = stripped[:3]
            out.append("")
            continue
        if line.startswith("    ") or line.startswith("\t"):
            out.append("")
            continue
        out.append(line)
    return "\n".join(out)
