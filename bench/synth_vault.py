"""Synthetic journal vault for benchmarks: N markdown entries shaped like a real journal.

Run: ``python bench/synth_vault.py OUT_DIR [--entries 10000] [--seed 1] [--words 300]``
Import: ``from bench.synth_vault import generate; paths = generate(out_dir, 10_000, seed=1)``

Deterministic for a seed (same files, same bytes, same mtimes) and fast (~10k entries in a few
seconds). The prose is built from sentence patterns over per-theme vocabularies plus a long
tail of rare words, so term frequencies are roughly Zipf-like. Entries carry what the indexer
and the entity graph read in real vaults, used inconsistently the way people do:

- dates over several years (``--years``), several entries on some days (``-2``/``-evening``);
- folders: ``journal/YYYY/``, ``journal/YYYY/MM/`` for older years, a few in the root, trip
  folders nested three deep, ``notes/`` with free names (date from front matter or mtime);
- YAML front matter on about a third (title, date, tags, mood, people, sometimes private);
- inline ``#tags`` and ``#nested/tags``, ``[[wikilinks]]`` and ``[[Full Name|nick]]``,
  ``@mentions``, capitalised names in prose for the proper-noun heuristics;
- ``people/`` pages (``type: person``, ``aliases``) so aliases merge in the graph;
- some private entries (front matter ``private: true`` or ``#private``), headings, lists, and
  a rare fenced code block with ``#not-a-tag`` inside.

Every file counts towards ``entries``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import os
import random
import sys
import time
from dataclasses import dataclass
from pathlib import Path

END_DATE = dt.date(2026, 10, 31)
# Fixed mtime for every file (files without a date in name or front matter use it).
BASE_MTIME = dt.datetime(2026, 11, 1, 9, 0).timestamp()

FIRST_NAMES = (
    "Samantha",
    "Priya",
    "Daniel",
    "Graham",
    "Helen",
    "Marcus",
    "Aisha",
    "Tomasz",
    "Ruth",
    "Oliver",
    "Nadia",
    "Callum",
    "Fiona",
    "Jonah",
    "Leila",
    "Ewan",
    "Mei",
    "Rosa",
    "Hamish",
    "Ingrid",
    "Kofi",
    "Beatrix",
    "Dev",
    "Imogen",
    "Luca",
    "Saoirse",
    "Victor",
    "Yusuf",
    "Clara",
    "Brendan",
    "Anouk",
    "Felix",
    "Martha",
    "Ravi",
    "Greta",
    "Solomon",
    "Tilly",
    "Arjun",
    "Moira",
    "Hugo",
)
LAST_NAMES = (
    "Ortiz",
    "Raman",
    "Whitfield",
    "Okafor",
    "Lindqvist",
    "Brodie",
    "Haddad",
    "Kowalski",
    "Ferreira",
    "MacLeod",
    "Novak",
    "Sutherland",
    "Achterberg",
    "Bianchi",
    "Osei",
    "Drummond",
    "Yamada",
    "Castellano",
    "Gallagher",
    "Petrova",
    "Mbeki",
    "Fairbairn",
    "Lachance",
    "Moreau",
    "Strand",
    "Quinlan",
    "Thorne",
    "Vasquez",
    "Abernethy",
    "Kerr",
)
NICKNAMES = {
    "Samantha": "Sam",
    "Daniel": "Dan",
    "Helen": "Nell",
    "Marcus": "Marc",
    "Oliver": "Ollie",
    "Jonah": "Jo",
    "Hamish": "Hame",
    "Beatrix": "Bea",
    "Imogen": "Immy",
    "Victor": "Vic",
    "Brendan": "Bren",
    "Martha": "Mattie",
    "Solomon": "Sol",
    "Tilly": "Tils",
    "Hugo": "Hugs",
}
PLACES = (
    "Leith Walk",
    "the Meadows",
    "Arthur's Seat",
    "Portobello Beach",
    "Cafe Luma",
    "Union Canal",
    "Calton Hill",
    "Stockbridge Market",
    "Waverley Station",
    "Bruntsfield Links",
    "the Botanic Garden",
    "Inverleith Park",
    "Dean Village",
    "Cramond Island",
    "Pentland Hills",
    "Glasgow",
    "Manchester",
    "Lisbon",
    "Berlin",
    "Skye",
    "Hawick",
    "North Berwick",
    "the Cameo",
    "Lighthouse Books",
    "Edinburgh Climbing Arena",
    "Royal Infirmary",
    "Castle Terrace",
    "Marchmont",
    "Easter Road",
    "Water of Leith",
)
ORGS = (
    "Halden Insurance",
    "Brightwater Labs",
    "Northlight Studio",
    "the Claims Portal",
    "Leith Running Club",
    "City Council",
    "Napier University",
    "Greenside Physio",
    "the Allotment Society",
    "Tideway Bank",
)

# theme -> (tags, nouns, transitive verbs in the past tense, adjectives)
THEMES: dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {
    "work": (
        ("work", "work/meetings", "work/review", "career", "claims-portal"),
        (
            "deadline",
            "standup",
            "roadmap",
            "release",
            "migration",
            "spreadsheet",
            "budget",
            "promotion",
            "appraisal",
            "inbox",
            "presentation",
            "quarterly review",
            "bug report",
            "design doc",
            "client call",
            "contract",
            "rota",
            "handover",
            "launch",
            "backlog",
            "offsite",
            "interview",
            "job offer",
            "manager",
            "pay rise",
            "on-call shift",
        ),
        (
            "reviewed",
            "rewrote",
            "shipped",
            "presented",
            "postponed",
            "finished",
            "debugged",
            "argued about",
            "planned",
            "signed off",
            "cancelled",
            "drafted",
            "rescheduled",
            "delegated",
            "escalated",
            "tidied up",
        ),
        (
            "tedious",
            "chaotic",
            "productive",
            "political",
            "overdue",
            "rushed",
            "quiet",
            "frustrating",
            "promising",
            "draining",
            "urgent",
            "pointless",
        ),
    ),
    "running": (
        ("running", "health/running", "parkrun", "training"),
        (
            "intervals",
            "long run",
            "tempo session",
            "hill repeats",
            "parkrun",
            "10k",
            "half marathon",
            "training plan",
            "trainers",
            "shin splints",
            "cool-down",
            "pace",
            "route",
            "stretching",
            "foam roller",
            "race bib",
            "personal best",
            "hamstring",
        ),
        (
            "ran",
            "jogged through",
            "skipped",
            "logged",
            "timed",
            "struggled through",
            "finished",
            "planned",
            "walked",
            "raced",
            "stretched out",
            "abandoned",
        ),
        (
            "brutal",
            "easy",
            "windy",
            "muddy",
            "steady",
            "sluggish",
            "glorious",
            "sore",
            "breathless",
            "hilly",
            "flat",
            "fast",
        ),
    ),
    "cooking": (
        ("cooking", "food", "recipes"),
        (
            "risotto",
            "sourdough",
            "curry",
            "lentil soup",
            "roast chicken",
            "dumplings",
            "lasagne",
            "shakshuka",
            "pancakes",
            "chilli",
            "bread starter",
            "spice rack",
            "casserole",
            "pie crust",
            "ramen",
            "salad",
            "birthday cake",
            "jam",
        ),
        (
            "cooked",
            "burnt",
            "baked",
            "ruined",
            "improvised",
            "shared",
            "froze",
            "tasted",
            "prepped",
            "reheated",
            "served",
            "perfected",
        ),
        (
            "delicious",
            "salty",
            "bland",
            "crispy",
            "stodgy",
            "fragrant",
            "spicy",
            "comforting",
            "undercooked",
            "rich",
            "simple",
            "messy",
        ),
    ),
    "family": (
        ("family", "mum", "dad", "family/visits"),
        (
            "phone call",
            "birthday",
            "visit",
            "argument",
            "photo album",
            "inheritance",
            "anniversary",
            "wedding",
            "christening",
            "funeral",
            "sunday lunch",
            "garden party",
            "childhood home",
            "old letters",
            "hospital appointment",
            "card",
        ),
        (
            "remembered",
            "missed",
            "organised",
            "dreaded",
            "enjoyed",
            "avoided",
            "sorted out",
            "talked through",
            "laughed about",
            "cried about",
            "forgave",
            "posted",
        ),
        (
            "awkward",
            "tender",
            "tense",
            "loud",
            "warm",
            "sad",
            "funny",
            "long",
            "overdue",
            "lovely",
            "strained",
            "gentle",
        ),
    ),
    "friends": (
        ("friends", "social", "pub"),
        (
            "pub quiz",
            "dinner party",
            "board game night",
            "gig",
            "hen do",
            "brunch",
            "housewarming",
            "group chat",
            "karaoke",
            "picnic",
            "film night",
            "secret",
            "favour",
            "falling-out",
            "catch-up",
            "wedding speech",
        ),
        (
            "hosted",
            "missed",
            "joined",
            "left early from",
            "planned",
            "laughed through",
            "skipped",
            "loved",
            "survived",
            "organised",
            "cancelled",
            "gatecrashed",
        ),
        (
            "hilarious",
            "awkward",
            "rowdy",
            "cosy",
            "late",
            "boozy",
            "honest",
            "warm",
            "exhausting",
            "silly",
            "memorable",
            "disappointing",
        ),
    ),
    "health": (
        ("health", "health/sleep", "mood/low", "mood/good", "therapy"),
        (
            "sleep",
            "insomnia",
            "headache",
            "therapy session",
            "dentist",
            "physio",
            "back pain",
            "blood test",
            "meditation",
            "anxiety",
            "migraine",
            "caffeine",
            "prescription",
            "diet",
            "allergy",
            "cold",
            "panic attack",
            "breathing exercise",
        ),
        (
            "tracked",
            "ignored",
            "booked",
            "cancelled",
            "survived",
            "tried",
            "noticed",
            "managed",
            "forgot",
            "finished",
            "started",
            "reduced",
        ),
        (
            "restless",
            "better",
            "worse",
            "anxious",
            "calm",
            "groggy",
            "rested",
            "foggy",
            "tired",
            "hopeful",
            "shaky",
            "clear",
        ),
    ),
    "garden": (
        ("garden", "allotment"),
        (
            "tomatoes",
            "courgettes",
            "compost",
            "greenhouse",
            "seedlings",
            "slugs",
            "roses",
            "potatoes",
            "beans",
            "raised bed",
            "watering can",
            "shed",
            "weeds",
            "apple tree",
            "herbs",
            "rhubarb",
            "frost",
            "wheelbarrow",
        ),
        (
            "planted",
            "watered",
            "pruned",
            "harvested",
            "dug",
            "weeded",
            "repotted",
            "lost",
            "mulched",
            "fenced",
            "sowed",
            "picked",
        ),
        (
            "overgrown",
            "green",
            "wilted",
            "tidy",
            "waterlogged",
            "thriving",
            "sunny",
            "bare",
            "muddy",
            "fragrant",
            "patchy",
            "lush",
        ),
    ),
    "reading": (
        ("books", "reading", "book-club"),
        (
            "novel",
            "memoir",
            "poetry collection",
            "library book",
            "audiobook",
            "chapter",
            "ending",
            "book club",
            "short story",
            "essay",
            "biography",
            "second-hand book",
            "reading list",
            "bookmark",
            "sequel",
            "translation",
        ),
        (
            "finished",
            "abandoned",
            "borrowed",
            "reread",
            "underlined",
            "recommended",
            "started",
            "devoured",
            "skimmed",
            "returned",
            "reviewed",
            "quoted",
        ),
        (
            "gripping",
            "slow",
            "beautiful",
            "bleak",
            "clever",
            "overrated",
            "moving",
            "dense",
            "funny",
            "forgettable",
            "strange",
            "perfect",
        ),
    ),
    "travel": (
        ("travel", "trips", "holiday"),
        (
            "train",
            "flight",
            "ferry",
            "hostel",
            "itinerary",
            "suitcase",
            "passport",
            "map",
            "museum",
            "market",
            "harbour",
            "hike",
            "sunset",
            "old town",
            "tram",
            "rental car",
            "boarding pass",
            "souvenir",
        ),
        (
            "booked",
            "missed",
            "caught",
            "explored",
            "photographed",
            "packed",
            "lost",
            "wandered around",
            "planned",
            "crossed",
            "climbed",
            "cancelled",
        ),
        (
            "crowded",
            "stunning",
            "expensive",
            "sleepy",
            "foreign",
            "sunny",
            "stormy",
            "delayed",
            "peaceful",
            "noisy",
            "unforgettable",
            "cramped",
        ),
    ),
    "money": (
        ("money", "budget", "admin"),
        (
            "rent",
            "mortgage",
            "savings",
            "tax return",
            "electricity bill",
            "pension",
            "loan",
            "overdraft",
            "council tax",
            "deposit",
            "receipts",
            "subscription",
            "bank statement",
            "insurance renewal",
            "payslip",
            "car repair",
        ),
        (
            "paid",
            "budgeted",
            "worried about",
            "cancelled",
            "filed",
            "saved",
            "checked",
            "disputed",
            "moved",
            "claimed",
            "postponed",
            "sorted",
        ),
        (
            "expensive",
            "manageable",
            "overdue",
            "tight",
            "annoying",
            "reasonable",
            "scary",
            "confusing",
            "fine",
            "unexpected",
            "high",
            "boring",
        ),
    ),
    "music": (
        ("music", "guitar", "choir"),
        (
            "guitar",
            "chords",
            "choir practice",
            "concert",
            "playlist",
            "record",
            "piano",
            "rehearsal",
            "open mic",
            "song",
            "vinyl",
            "harmony",
            "setlist",
            "metronome",
        ),
        (
            "practised",
            "played",
            "learned",
            "butchered",
            "recorded",
            "sang",
            "listened to",
            "tuned",
            "wrote",
            "rehearsed",
            "performed",
            "heard",
        ),
        (
            "loud",
            "beautiful",
            "out of tune",
            "haunting",
            "catchy",
            "rough",
            "joyful",
            "nervous",
            "sloppy",
            "tight",
            "raw",
            "soft",
        ),
    ),
    "home": (
        ("home", "flat", "move", "diy"),
        (
            "flat",
            "boiler",
            "landlord",
            "leaky roof",
            "bookshelf",
            "sofa",
            "kitchen",
            "washing machine",
            "neighbours",
            "boxes",
            "lease",
            "paint",
            "curtains",
            "damp",
            "viewing",
            "new flat",
            "keys",
            "cat",
        ),
        (
            "fixed",
            "painted",
            "cleaned",
            "moved",
            "measured",
            "viewed",
            "unpacked",
            "assembled",
            "complained about",
            "rearranged",
            "sold",
            "hoovered",
        ),
        (
            "damp",
            "cosy",
            "cramped",
            "bright",
            "cold",
            "spotless",
            "chaotic",
            "quiet",
            "draughty",
            "homely",
            "bare",
            "noisy",
        ),
    ),
}
THEME_NAMES = tuple(THEMES)

TIMES = (
    "This morning",
    "Tonight",
    "After lunch",
    "Before work",
    "Late last night",
    "At dawn",
    "On the way home",
    "Around four",
    "Over breakfast",
    "In the evening",
    "Earlier",
    "Just now",
    "By midday",
    "After dinner",
)
FEELINGS = (
    "happy",
    "tired",
    "anxious",
    "proud",
    "lonely",
    "grateful",
    "restless",
    "hopeful",
    "angry",
    "content",
    "overwhelmed",
    "relieved",
    "sad",
    "calm",
    "guilty",
    "excited",
    "nostalgic",
    "flat",
    "embarrassed",
    "curious",
)
FILLERS = (
    "I don't know what to make of it.",
    "Maybe tomorrow will be better.",
    "Writing it down helps.",
    "Nothing else to report.",
    "That's the whole story, really.",
    "I should have said something.",
    "It still bothers me.",
    "I'm glad I went.",
    "Must remember this.",
    "Too tired to write more.",
    "Funny how things turn out.",
    "The rain never stopped.",
    "The sun came out for an hour.",
    "Biscuit slept on my feet.",
)
WEATHER = (
    "Grey and drizzly all day.",
    "Cold, bright and windy.",
    "Sticky heat, windows open.",
    "Snow on the hills.",
    "Fog rolled in off the firth.",
    "A proper summer evening.",
)

# Sentence patterns. Slots: {p} person, {q} another person, {l} place, {n}/{m} nouns,
# {v} verb, {a} adjective, {f} feeling, {t} time phrase, {r} rare word.
PATTERNS = (
    "{t}, I {v} the {n} with {p}.",
    "{t} I {v} the {n} at {l}, which felt {a}.",
    "{p} said the {n} was {a}, and I didn't argue.",
    "I keep thinking about the {n}; it left me {f}.",
    "Spent most of the day on the {n} and the {m}.",
    "{p} and {q} came round and we {v} the {m} together.",
    "Not sure why, but the {n} made me feel {f}.",
    "Note to self: sort out the {n} before the weekend.",
    "The {n} was {a} and the {m} was worse.",
    "Met {p} at {l} and we talked about the {n} for an hour.",
    "I {v} the {n} again, and honestly it was {a}.",
    "Felt {f} after the {n}, so I walked home past {l}.",
    "{p} texted about the {n}, which was {a} of them.",
    "We finally {v} the {m}, three weeks late.",
    "Part of me wanted to skip the {n} and stay in.",
    "Somebody at {l} mentioned the {r}, and now I can't stop thinking about it.",
    "Bought a {r} on a whim; {p} thinks it's ridiculous.",
    "I told {p} I was {f} about the {n}.",
    "It was {a}, the whole {n}, from start to finish.",
    "Asked {p} whether the {n} was worth it; still no answer.",
    "Another {a} {n}, another {a} evening.",
    "If I'm honest the {n} is the thing I'm {f} about.",
)
LIST_ITEMS = (
    "call {p} about the {n}",
    "{v} the {m}",
    "pick up the {r} from {l}",
    "book the {n}",
    "reply to {p}",
    "{v} the {n} properly",
    "ask {q} about the {m}",
)
MOODS = ("good", "low", "ok", "tired", "great", "anxious", "calm", "flat", "hopeful")

_SYLLABLES = (
    "ba",
    "be",
    "bo",
    "bri",
    "ca",
    "cor",
    "da",
    "del",
    "fa",
    "fen",
    "ga",
    "gor",
    "ha",
    "hel",
    "ka",
    "kel",
    "la",
    "lin",
    "ma",
    "mor",
    "na",
    "nel",
    "pa",
    "per",
    "ra",
    "ron",
    "sa",
    "sel",
    "ta",
    "tor",
    "va",
    "ven",
    "wa",
    "wil",
    "za",
    "zen",
    "quo",
    "tri",
    "spa",
    "stro",
    "plo",
    "gla",
)


@dataclass(frozen=True)
class Person:
    first: str
    last: str
    nick: str | None

    @property
    def full(self) -> str:
        return f"{self.first} {self.last}"


def _rare_words(rng: random.Random, count: int) -> list[str]:
    """A long tail of made-up nouns (dishes, bands, brands): the rare terms of a vocabulary."""
    out: list[str] = []
    seen: set[str] = set()
    while len(out) < count:
        word = "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 4)))
        if word not in seen:
            seen.add(word)
            out.append(word)
    return out


def _zipf_cum(n: int, s: float) -> list[float]:
    """Cumulative Zipf weights (rank i has weight 1/(i+1)^s), for ``choices(cum_weights=)``."""
    return list(itertools.accumulate(1.0 / (i + 1) ** s for i in range(n)))


class _Writer:
    """Holds the seeded pools and writes one entry at a time."""

    def __init__(self, seed: int, words: int) -> None:
        self.rng = random.Random(seed)
        rng = self.rng
        self.words = words
        firsts = list(FIRST_NAMES)
        lasts = list(LAST_NAMES)
        rng.shuffle(firsts)
        rng.shuffle(lasts)
        self.people = [Person(f, lasts[i % len(lasts)], NICKNAMES.get(f)) for i, f in enumerate(firsts)]
        self.people_cum = _zipf_cum(len(self.people), 1.0)
        self.places = list(PLACES)
        rng.shuffle(self.places)
        self.places_cum = _zipf_cum(len(self.places), 0.9)
        self.rare = _rare_words(rng, 4000)
        self.rare_cum = _zipf_cum(len(self.rare), 1.05)
        self.themes = list(THEME_NAMES)
        rng.shuffle(self.themes)
        self.themes_cum = _zipf_cum(len(self.themes), 0.6)

    # -- pieces ----------------------------------------------------------------------------
    def person(self) -> Person:
        return self.rng.choices(self.people, cum_weights=self.people_cum)[0]

    def place(self) -> str:
        return self.rng.choices(self.places, cum_weights=self.places_cum)[0]

    def rare_word(self) -> str:
        return self.rng.choices(self.rare, cum_weights=self.rare_cum)[0]

    def say_person(self, p: Person) -> str:
        """How a person is written: first name mostly, sometimes linked or @mentioned."""
        r = self.rng.random()
        if r < 0.50:
            return p.first
        if r < 0.62 and p.nick:
            return p.nick
        if r < 0.72:
            return f"[[{p.full}]]"
        if r < 0.80 and p.nick:
            return f"[[{p.full}|{p.nick}]]"
        if r < 0.86:
            return f"@{(p.nick or p.first)}"
        return p.full

    def say_place(self, place: str) -> str:
        if self.rng.random() < 0.2 and not place.startswith("the "):
            return f"[[{place}]]"
        return place

    def sentence(self, theme: str, cast: list[Person], place: str) -> str:
        rng = self.rng
        _tags, nouns, verbs, adjs = THEMES[theme]
        pattern = rng.choice(PATTERNS)
        p = rng.choice(cast) if cast else self.person()
        q = p
        while q == p:
            q = rng.choice(cast) if len(cast) > 1 else self.person()
        text = pattern.format(
            p=self.say_person(p),
            q=self.say_person(q),
            l=self.say_place(place if rng.random() < 0.7 else self.place()),
            n=rng.choice(nouns),
            m=rng.choice(nouns),
            v=rng.choice(verbs),
            a=rng.choice(adjs),
            f=rng.choice(FEELINGS),
            t=rng.choice(TIMES),
            r=self.rare_word() if "{r}" in pattern else "",
        )
        return text[0].upper() + text[1:]

    def list_block(self, theme: str, cast: list[Person], place: str) -> str:
        rng = self.rng
        _tags, nouns, verbs, _adjs = THEMES[theme]
        items = []
        for _ in range(rng.randint(2, 5)):
            items.append(
                "- "
                + rng.choice(LIST_ITEMS).format(
                    p=self.say_person(rng.choice(cast) if cast else self.person()),
                    q=self.say_person(self.person()),
                    n=rng.choice(nouns),
                    m=rng.choice(nouns),
                    v=rng.choice(verbs),
                    r=self.rare_word(),
                    l=place,
                )
            )
        return "\n".join(items)

    # -- one entry -------------------------------------------------------------------------
    def entry(self, day: dt.date, *, front_matter: bool, private: bool, title_heading: bool) -> str:
        rng = self.rng
        picked = rng.choices(self.themes, cum_weights=self.themes_cum, k=rng.randint(1, 3))
        themes = list(dict.fromkeys(picked))
        cast = list(dict.fromkeys(self.person() for _ in range(rng.randint(0, 4))))
        place = self.place()
        target = max(40, int(rng.gauss(self.words, self.words * 0.3)))
        paragraphs: list[str] = []
        count = 0
        inline_tags: list[str] = []
        while count < target:
            theme = rng.choice(themes)
            if rng.random() < 0.08:
                block = self.list_block(theme, cast, place)
            else:
                sentences = [self.sentence(theme, cast, place) for _ in range(rng.randint(3, 7))]
                if rng.random() < 0.25:
                    sentences.append(rng.choice(FILLERS))
                if rng.random() < 0.1:
                    sentences.insert(0, rng.choice(WEATHER))
                if rng.random() < 0.3:
                    tag = rng.choice(THEMES[theme][0])
                    inline_tags.append(tag)
                    sentences.append(f"#{tag}")
                block = " ".join(sentences)
            paragraphs.append(block)
            count += block.count(" ") + 1
        if rng.random() < 0.01:
            paragraphs.append("```\n# not-a-tag, just a comment in code\nx = [[1, 2]]\n```")
        if private and rng.random() < 0.5 and not front_matter:
            paragraphs.append("#private")
        body = "\n\n".join(paragraphs) + "\n"
        title = f"{rng.choice(THEMES[themes[0]][1]).capitalize()} and {rng.choice(FEELINGS)} days"
        if title_heading:
            body = f"# {title}\n\n{body}"
        if not front_matter:
            return body
        lines = ["---"]
        if rng.random() < 0.7:
            lines.append(f'title: "{title}"')
        if rng.random() < 0.6:
            lines.append(f"date: {day.isoformat()}")
        fm_tags = list(dict.fromkeys(rng.choice(THEMES[t][0]) for t in themes))
        style = rng.random()
        if style < 0.5:
            lines.append("tags: [" + ", ".join(fm_tags) + "]")
        elif style < 0.8:
            lines.append("tags:")
            lines.extend(f"  - {t}" for t in fm_tags)
        else:
            lines.append("tags: " + " ".join(fm_tags))
        if rng.random() < 0.4:
            lines.append(f"mood: {rng.choice(MOODS)}")
        if cast and rng.random() < 0.4:
            lines.append("people: [" + ", ".join(p.first for p in cast) + "]")
        if private:
            lines.append("private: true")
        lines.append("---")
        return "\n".join(lines) + "\n" + body

    def person_page(self, p: Person) -> str:
        aliases = [a for a in (p.nick, p.first) if a]
        place = self.place()
        return (
            f"---\ntype: person\naliases: [{', '.join(aliases)}]\ndate: 2020-01-01\n---\n"
            f"# {p.full}\n\nKnown {p.first} since {place}. "
            f"{self.sentence(self.rng.choice(self.themes), [p], place)}\n"
        )


def _rel_for(day: dt.date, end: dt.date, rng: random.Random, used: set[str]) -> str:
    r = rng.random()
    if r < 0.05:
        folder = ""
    elif r < 0.07:
        folder = f"journal/{day.year}/trips/{rng.choice(('lisbon', 'skye', 'berlin'))}"
    elif day.year <= end.year - 3:
        folder = f"journal/{day.year}/{day.month:02d}"
    else:
        folder = f"journal/{day.year}"
    base = f"{folder}/{day.isoformat()}" if folder else day.isoformat()
    rel = f"{base}.md"
    n = 2
    while rel in used:
        rel = f"{base}-evening.md" if n == 2 else f"{base}-{n}.md"
        n += 1
    used.add(rel)
    return rel


def generate(
    out_dir: Path | str,
    entries: int = 10_000,
    seed: int = 1,
    *,
    words: int = 300,
    years: int = 6,
    end: dt.date = END_DATE,
) -> list[Path]:
    """Write ``entries`` markdown files under ``out_dir`` (created; must be empty)."""
    out = Path(out_dir)
    if out.exists() and any(out.iterdir()):
        raise FileExistsError(f"{out} is not empty; give a new folder")
    out.mkdir(parents=True, exist_ok=True)
    w = _Writer(seed, words)
    rng = w.rng
    start = end - dt.timedelta(days=int(365.25 * years))
    span = (end - start).days
    files: list[tuple[str, str]] = []
    n_people = min(len(w.people), max(0, entries // 50))
    for p in w.people[:n_people]:
        files.append((f"people/{p.full}.md", w.person_page(p)))
    used: set[str] = set()
    days = sorted(start + dt.timedelta(days=rng.randrange(span + 1)) for _ in range(entries - n_people))
    for i, day in enumerate(days):
        private = rng.random() < 0.04
        kind = rng.random()
        if kind < 0.04:
            # a free-named note: date from front matter (or from mtime when it has none)
            theme = rng.choice(THEME_NAMES)
            rel = f"notes/{rng.choice(THEMES[theme][1])} {i}.md"
            fm = rng.random() < 0.8
            text = w.entry(day, front_matter=fm, private=private, title_heading=not fm)
            if fm and "\ndate:" not in text:
                text = text.replace("---\n", f"---\ndate: {day.isoformat()}\n", 1)
        else:
            rel = _rel_for(day, end, rng, used)
            text = w.entry(
                day, front_matter=rng.random() < 0.35, private=private, title_heading=rng.random() < 0.15
            )
        files.append((rel, text))
    paths: list[Path] = []
    made: set[Path] = set()
    for rel, text in files:
        path = out / rel
        if path.parent not in made:
            path.parent.mkdir(parents=True, exist_ok=True)
            made.add(path.parent)
        path.write_text(text, encoding="utf-8")
        os.utime(path, (BASE_MTIME, BASE_MTIME))
        paths.append(path)
    return paths


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--entries", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--words", type=int, default=300, help="mean words per entry")
    parser.add_argument("--years", type=int, default=6)
    args = parser.parse_args(argv)
    t0 = time.perf_counter()
    paths = generate(args.out_dir, args.entries, args.seed, words=args.words, years=args.years)
    size = sum(p.stat().st_size for p in paths)
    print(
        f"wrote {len(paths)} files ({size / 1e6:.1f} MB) to {args.out_dir} in {time.perf_counter() - t0:.1f}s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
