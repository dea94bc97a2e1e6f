"""Entity mentions in one entry: explicit markup first, proper-noun heuristics second.

No model download is possible at run time, so entities come from what the user marked up
([[links]], #tags, @mentions, front-matter ``people``/``aliases``) and from capitalised
phrases in prose. Resolution to canonical names (aliases) happens in the graph, which knows
the whole vault.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources

from journal_me.markup import CODE_SPAN_RE, WIKILINK_RE, to_plain
from journal_me.vault import Entry

# Words that start sentences or are capitalised for grammar, not because they name something.
_COMMON = {
    w.lower()
    for w in [
        "I",
        "I'm",
        "I've",
        "I'd",
        "I'll",
        "Im",
        "Ive",
        "A",
        "An",
        "The",
        "This",
        "That",
        "These",
        "Those",
        "There",
        "Then",
        "Than",
        "Today",
        "Tomorrow",
        "Yesterday",
        "Tonight",
        "Morning",
        "Evening",
        "Afternoon",
        "Night",
        "It",
        "It's",
        "Its",
        "He",
        "She",
        "We",
        "They",
        "You",
        "Your",
        "My",
        "Our",
        "His",
        "Her",
        "Their",
        "Me",
        "Us",
        "Them",
        "And",
        "But",
        "Or",
        "So",
        "If",
        "When",
        "While",
        "Because",
        "Although",
        "Though",
        "After",
        "Before",
        "Since",
        "Until",
        "Also",
        "Still",
        "Just",
        "Only",
        "Maybe",
        "Perhaps",
        "Anyway",
        "Really",
        "Actually",
        "Apparently",
        "Honestly",
        "What",
        "Why",
        "How",
        "Who",
        "Where",
        "Which",
        "Whatever",
        "Whoever",
        "Not",
        "No",
        "Yes",
        "Ok",
        "Okay",
        "OK",
        "Oh",
        "Ah",
        "Um",
        "Well",
        "Good",
        "Great",
        "Bad",
        "Some",
        "Most",
        "Many",
        "Much",
        "More",
        "Less",
        "Every",
        "Each",
        "All",
        "Any",
        "Both",
        "Either",
        "Neither",
        "One",
        "Two",
        "Three",
        "Four",
        "Five",
        "Six",
        "Seven",
        "Eight",
        "Nine",
        "Ten",
        "First",
        "Second",
        "Third",
        "Last",
        "Next",
        "New",
        "Old",
        "Little",
        "Big",
        "Small",
        "Long",
        "Short",
        "Here",
        "Now",
        "Later",
        "Soon",
        "Again",
        "Once",
        "Twice",
        "Never",
        "Always",
        "Often",
        "Sometimes",
        "Usually",
        "Almost",
        "Thank",
        "Thanks",
        "Please",
        "Sorry",
        "Hello",
        "Hi",
        "Dear",
        "Note",
        "Notes",
        "Update",
        "Plan",
        "Plans",
        "Goal",
        "Goals",
        "Todo",
        "Done",
        "Monday",
        "Tuesday",
        "Wednesday",
        "Thursday",
        "Friday",
        "Saturday",
        "Sunday",
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
        "Mon",
        "Tue",
        "Wed",
        "Thu",
        "Fri",
        "Sat",
        "Sun",
        "Jan",
        "Feb",
        "Mar",
        "Apr",
        "Jun",
        "Jul",
        "Aug",
        "Sep",
        "Sept",
        "Oct",
        "Nov",
        "Dec",
        "Christmas",
        "Easter",
        "Spring",
        "Summer",
        "Autumn",
        "Winter",
        "Weekend",
        "Week",
        "Month",
        "Year",
        "Day",
        "Hour",
        "Minute",
        "Mr",
        "Mrs",
        "Ms",
        "Dr",
        "Went",
        "Got",
        "Had",
        "Did",
        "Was",
        "Were",
        "Is",
        "Are",
        "Be",
        "Been",
        "Have",
        "Has",
        "Do",
        "Does",
        "Can",
        "Could",
        "Would",
        "Should",
        "Will",
        "Shall",
        "Might",
        "Must",
        "Let",
        "Lets",
        "Let's",
        "Felt",
        "Feel",
        "Feeling",
        "Thought",
        "Think",
        "Said",
        "Says",
        "Told",
        "Asked",
        "Made",
        "Make",
        "Took",
        "Take",
        "Came",
        "Come",
        "Saw",
        "See",
        "Need",
        "Needed",
        "Want",
        "Wanted",
        "Tried",
        "Try",
        "Started",
        "Start",
        "Finished",
        "Finish",
        "Walked",
        "Ran",
        "Run",
        "Read",
        "Wrote",
        "Write",
        "Slept",
        "Woke",
        "Spent",
        "Bought",
        "Found",
        "Lost",
        "Left",
        "Kept",
        "Called",
        "Rang",
        "Met",
        "Love",
        "Loved",
        "Hate",
        "Hated",
        "Like",
        "Liked",
        "Whole",
        "Half",
        "Quick",
        "Quickly",
        "Slowly",
        "Finally",
        "Eventually",
        "Later",
        "Earlier",
        "Meanwhile",
        "Otherwise",
        "Except",
        "Re",
        "Fw",
        "Fwd",
        "TL",
        "DR",
        "PS",
        "P.S",
        "NB",
        "Ugh",
        "Hmm",
        "Wow",
        "Yay",
        "Lol",
        "Also",
        "Anyway",
        "Day",
        "Days",
        "Weeks",
        "Months",
        "Years",
    ]
}
_CONNECTORS = {"of", "de", "la", "le", "van", "von", "du", "the", "on", "upon"}
_PLACE_HINTS = {
    "street",
    "st",
    "road",
    "rd",
    "lane",
    "avenue",
    "park",
    "hill",
    "hills",
    "canal",
    "river",
    "bridge",
    "station",
    "square",
    "gardens",
    "garden",
    "beach",
    "loch",
    "lake",
    "valley",
    "studio",
    "wall",
    "cafe",
    "café",
    "pub",
    "inn",
    "arms",
    "market",
    "hall",
    "library",
    "museum",
    "centre",
    "center",
    "hospital",
    "leith",
    "edinburgh",
    "manchester",
    "sheffield",
    "bristol",
    "london",
    "leeds",
    "glasgow",
    "city",
    "town",
    "village",
    "island",
    "shore",
    "seat",
    "walk",
    "path",
    "way",
    "hotel",
    "house",
    "tower",
    "church",
    "castle",
    "meadows",
}
_ORG_HINTS = {
    "labs",
    "lab",
    "ltd",
    "inc",
    "insurance",
    "council",
    "university",
    "uni",
    "physio",
    "company",
    "group",
    "bank",
    "nhs",
    "clinic",
    "school",
    "college",
    "studios",
    "trust",
    "club",
    "society",
    "team",
    "agency",
    "partners",
    "foundation",
    "institute",
}

_CAP_WORD = r"[A-Z][a-zA-Z'’\-]*[a-zA-Z]|[A-Z]"
_PHRASE_RE = re.compile(
    rf"(?<![\w@#])((?:{_CAP_WORD})(?:\s+(?:(?:of|de|la|le|van|von|du|the|on)\s+)?(?:{_CAP_WORD}))*)"
)
# What may come just before a sentence-initial word: the text's start, closing punctuation,
# a line break, a list marker or blockquote ("- ", "> ", "2. ") — with whitespace between.
_SENTENCE_PUNCT = frozenset('.!?:;…"“(-–—')
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


def _load_words(name: str) -> frozenset[str]:
    text = resources.files("journal_me.data").joinpath(name).read_text(encoding="utf-8")
    return frozenset(
        line.strip().lower() for line in text.splitlines() if line.strip() and not line.startswith("#")
    )


# Data, not code (issue 10): journal_me/data/entity_*.txt.
_STOP = _load_words("entity_stoplist.txt")
_GIVEN = _load_words("entity_given_names.txt")
_TITLES = frozenset({"dr", "mr", "mrs", "ms", "miss", "prof", "auntie", "aunt", "uncle", "nan"})


def guess_type(name: str) -> str:
    words = [w.lower().strip(".'’") for w in name.split()]
    if any(w in _ORG_HINTS for w in words):
        return "org"
    if any(w in _PLACE_HINTS for w in words):
        return "place"
    if len(words) == 1 and words[0] in _GIVEN and words[0] not in _TITLES:
        return "person"
    if (
        len(words) in (2, 3)
        and words[0] in _GIVEN
        and all(w[:1].isalpha() for w in words)
        and not (_CONNECTORS & set(words))
    ):
        return "person"
    return "topic"


_PERSON_AFTER_RE = re.compile(
    r"^(?:'s)?\s+(?:said|says|told|tells|asked|asks|rang|rings|texted|texts|messaged|called|"
    r"thinks|thought|wants|wanted|laughed|cried|replied|agreed|admitted|sent|hugged|smiled|"
    r"and I|and me)\b"
)
_PERSON_BEFORE_RE = re.compile(r"\b(?:with|told|asked|texted|rang|called|met|messaged|hugged|and)\s+$")


def _candidates(text: str) -> list[tuple[str, bool, bool]]:
    """(phrase, looks_like_person, weak): weak ones are single capitalised words at a
    sentence start ("Biscuit hid…"), entities only when the vault already knows the name."""
    out: list[tuple[str, bool, bool]] = []
    for m in _PHRASE_RE.finditer(text):
        phrase = m.group(1).strip(" -'’")
        words = phrase.split()
        # drop leading/trailing common words ("The", "My") and connectors
        lo, hi = 0, len(words)  # indices, not slices: a phrase can be a whole line long
        while lo < hi and (
            words[lo].lower() in _COMMON or words[lo].lower() in _CONNECTORS or words[lo].lower() in _STOP
        ):
            lo += 1
        while hi > lo and (words[hi - 1].lower() in _CONNECTORS or words[hi - 1].lower() in _COMMON):
            hi -= 1
        words = words[lo:hi]
        if not words or " ".join(words).lower() in _STOP:
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
            phrase = " ".join(words)
        after = text[m.end() : m.end() + 30]
        # a single capitalised word at a sentence start is too weak on its own, unless a
        # person verb follows ("Dev said…", "Sam rang…")
        weak = at_start and len(words) == 1 and not _PERSON_AFTER_RE.match(after)
        before = text[max(0, m.start() - 12) : m.start()]
        person = bool(_PERSON_AFTER_RE.match(after)) or (
            len(words) == 1 and bool(_PERSON_BEFORE_RE.search(before)) and bool(_PERSON_AFTER_RE.match(after))
        )
        out.append((phrase, person, weak))
    return out


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


_HEADING_LINE_RE = re.compile(r"^([ ]{0,3}#{1,6}[ \t].*?)[ \t]*$", re.MULTILINE)


def extract_mentions(entry: Entry) -> list[Mention]:
    """All entity mentions in an entry, deduplicated, explicit ones first."""
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
    plain = _HEADING_LINE_RE.sub(r"\1 .", plain)
    plain = WIKILINK_RE.sub(" , ", plain)
    plain = to_plain(plain)
    for phrase, looks_like_person, weak in _candidates(plain):
        kind = "person" if looks_like_person else guess_type(phrase)
        add(Mention(phrase, kind, WEAK_HEURISTIC if weak else "heuristic"))
    return list(found.values())


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
