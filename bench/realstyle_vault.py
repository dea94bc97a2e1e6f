"""A vault shaped like real Obsidian notes (not diary one-liners), for benchmarks at scale.

Run: ``python bench/realstyle_vault.py OUT_DIR --notes 10000 [--seed 1] [--manifest M.json]``
Import: ``from bench.realstyle_vault import generate; paths = generate(out_dir, 10_000, seed=1)``

Deterministic for a seed (same files, same bytes, same mtimes) and fast (10k notes, ~60 MB, in
well under a minute). Every note is 2–20 KB of markdown (daily notes 2–8 KB, topical notes
2–20 KB, sizes skewed small the way real vaults are) and uses what real notes use:

- headings ``#`` to ``####``, bullet lists (nested), numbered lists, task lists ``- [ ]``/``- [x]``;
- tables whose cells hold ``[[Target\\|alias]]`` links (the pipe escaped, as Obsidian writes it);
- fenced code blocks (python, bash, json, sql) with ``#not-a-tag`` inside, inline code;
- callouts ``> [!note] Title`` / ``> [!warning]-`` / ``> [!quote]`` spanning several lines;
- ``[[wikilinks]]``, ``[[note|alias]]``, ``[[note#heading]]``, ``![[image.png]]``,
  ``![[Pasted image 2024….png|300]]``, ``![[note#section]]`` embeds, external links, footnotes,
  ``==highlights==``, ``**bold**``, ``*italic*``, ``$math$``;
- ``#tags`` and ``#nested/tags`` inline, plus front matter on ~60% (title, tags, aliases,
  created/updated dates, status, type; ``private: true`` on ~4%, ``#private`` inline on ~1%);
- daily notes ``Daily/YYYY-MM-DD.md`` (~40%) and topical notes with free names in folders
  (``Projects/…``, ``Areas/Health``, ``Resources/Reading``, ``People``, ``Заметки``, ``笔记`` …),
  undated (mtime only); ``People/`` pages with ``type: person`` and ``aliases``;
- several scripts and languages: English (most notes), French/Spanish/German/Portuguese/Polish
  (accents), Russian (Cyrillic), Greek, Chinese and Japanese (CJK, no spaces), Arabic (RTL),
  Hindi (Devanagari). Some notes mix an English body with a section in another language.

Words follow a Zipf law per language: a head of real frequent words, then a long tail of
syllable-built words, so index size and term statistics grow like a real vault's.
``--manifest`` writes the people/places/orgs/topics used (with their type) as JSON, for entity
precision/recall work; the vault itself holds only ``.md`` files plus a few small attachments.
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import json
import os
import random
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

END_DATE = dt.date(2026, 10, 31)
BASE_MTIME = dt.datetime(2026, 11, 1, 9, 0).timestamp()

# --- vocabularies: frequent real words (the head) + syllables for the tail -----------------

_HEAD = {
    "en": [
        "the",
        "of",
        "and",
        "to",
        "a",
        "in",
        "is",
        "that",
        "it",
        "for",
        "was",
        "on",
        "with",
        "as",
        "I",
        "be",
        "this",
        "have",
        "at",
        "but",
        "not",
        "are",
        "from",
        "by",
        "you",
        "or",
        "had",
        "we",
        "they",
        "his",
        "her",
        "an",
        "which",
        "one",
        "all",
        "there",
        "can",
        "will",
        "would",
        "about",
        "so",
        "what",
        "when",
        "more",
        "up",
        "out",
        "if",
        "some",
        "time",
        "no",
        "into",
        "them",
        "only",
        "just",
        "other",
        "could",
        "my",
        "than",
        "then",
        "like",
        "also",
        "people",
        "new",
        "first",
        "work",
        "how",
        "now",
        "over",
        "after",
        "even",
        "most",
        "made",
        "need",
        "because",
        "well",
        "any",
        "these",
        "way",
        "use",
        "think",
        "day",
        "good",
        "find",
        "long",
        "little",
        "world",
        "still",
        "should",
        "through",
        "back",
        "thing",
        "much",
        "project",
        "note",
        "idea",
        "meeting",
        "build",
        "read",
        "write",
        "test",
        "plan",
        "week",
        "year",
        "morning",
        "evening",
        "team",
        "data",
        "design",
        "code",
        "system",
        "model",
        "paper",
        "book",
        "chapter",
        "question",
        "answer",
        "problem",
        "version",
        "release",
        "feature",
        "bug",
        "fix",
        "review",
        "draft",
        "list",
        "tomorrow",
        "today",
        "yesterday",
        "again",
        "really",
        "garden",
        "run",
        "walk",
        "coffee",
        "train",
        "city",
        "house",
        "kitchen",
        "music",
        "weather",
        "rain",
        "light",
        "early",
        "late",
    ],
    "fr": [
        "le",
        "de",
        "la",
        "et",
        "à",
        "les",
        "des",
        "en",
        "un",
        "une",
        "du",
        "est",
        "que",
        "pour",
        "qui",
        "dans",
        "pas",
        "sur",
        "au",
        "avec",
        "ce",
        "il",
        "par",
        "plus",
        "été",
        "très",
        "être",
        "fait",
        "année",
        "déjà",
        "où",
        "après",
        "même",
        "idée",
        "réunion",
        "équipe",
        "journée",
        "matin",
        "soirée",
        "problème",
        "système",
        "général",
        "à",
        "côté",
        "français",
        "café",
        "élève",
        "première",
        "dernière",
        "ça",
        "voilà",
        "projet",
        "livre",
        "écrire",
        "lire",
        "travail",
        "semaine",
        "demain",
        "hier",
        "toujours",
        "peut-être",
        "bientôt",
    ],
    "es": [
        "el",
        "de",
        "la",
        "que",
        "y",
        "en",
        "a",
        "los",
        "se",
        "del",
        "las",
        "un",
        "por",
        "con",
        "no",
        "una",
        "su",
        "para",
        "es",
        "al",
        "lo",
        "como",
        "más",
        "pero",
        "sus",
        "le",
        "ya",
        "o",
        "este",
        "sí",
        "porque",
        "esta",
        "entre",
        "cuando",
        "muy",
        "sin",
        "sobre",
        "también",
        "año",
        "niño",
        "mañana",
        "reunión",
        "análisis",
        "canción",
        "corazón",
        "después",
        "según",
        "está",
        "había",
        "días",
        "proyecto",
        "libro",
        "España",
        "pequeño",
        "señor",
        "compañía",
        "él",
        "tú",
        "música",
        "página",
        "teléfono",
        "fácil",
        "último",
    ],
    "de": [
        "der",
        "die",
        "und",
        "in",
        "den",
        "von",
        "zu",
        "das",
        "mit",
        "sich",
        "des",
        "auf",
        "für",
        "ist",
        "im",
        "dem",
        "nicht",
        "ein",
        "eine",
        "als",
        "auch",
        "es",
        "an",
        "werden",
        "aus",
        "er",
        "hat",
        "daß",
        "sie",
        "nach",
        "wird",
        "bei",
        "einer",
        "um",
        "am",
        "sind",
        "noch",
        "wie",
        "über",
        "größer",
        "Straße",
        "für",
        "Müller",
        "schön",
        "Übung",
        "Grüße",
        "heißen",
        "können",
        "müssen",
        "Mädchen",
        "Brücke",
        "Käse",
        "Besprechung",
        "Aufgabe",
        "Woche",
        "Zeitplan",
        "Entwurf",
        "Fehler",
        "Prüfung",
        "natürlich",
    ],
    "pt": [
        "o",
        "de",
        "a",
        "e",
        "do",
        "da",
        "em",
        "um",
        "para",
        "é",
        "com",
        "não",
        "uma",
        "os",
        "no",
        "se",
        "na",
        "por",
        "mais",
        "as",
        "dos",
        "como",
        "mas",
        "foi",
        "ao",
        "ele",
        "das",
        "tem",
        "à",
        "seu",
        "sua",
        "ou",
        "ser",
        "quando",
        "muito",
        "há",
        "nos",
        "já",
        "está",
        "eu",
        "também",
        "só",
        "pelo",
        "pela",
        "até",
        "isso",
        "ela",
        "entre",
        "era",
        "depois",
        "sem",
        "mesmo",
        "aos",
        "ter",
        "seus",
        "quem",
        "nas",
        "me",
        "esse",
        "eles",
        "você",
        "essa",
        "ação",
        "coração",
        "informação",
        "reunião",
        "próximo",
        "último",
        "lição",
        "avô",
        "avó",
        "são",
        "irmã",
    ],
    "pl": [
        "i",
        "w",
        "się",
        "na",
        "nie",
        "z",
        "do",
        "to",
        "że",
        "a",
        "o",
        "jak",
        "ale",
        "po",
        "co",
        "tak",
        "jest",
        "za",
        "od",
        "już",
        "tylko",
        "jego",
        "mi",
        "przez",
        "może",
        "być",
        "był",
        "jeszcze",
        "ze",
        "dla",
        "gdy",
        "żeby",
        "które",
        "który",
        "więc",
        "też",
        "bardzo",
        "będzie",
        "teraz",
        "źródło",
        "żółw",
        "łódź",
        "książka",
        "dzień",
        "święto",
        "spotkanie",
        "zadanie",
        "pytanie",
        "odpowiedź",
        "miłość",
    ],
    "ru": [
        "и",
        "в",
        "не",
        "на",
        "я",
        "что",
        "он",
        "с",
        "как",
        "а",
        "то",
        "все",
        "она",
        "так",
        "его",
        "но",
        "да",
        "ты",
        "к",
        "у",
        "же",
        "вы",
        "за",
        "бы",
        "по",
        "только",
        "ее",
        "мне",
        "было",
        "вот",
        "от",
        "меня",
        "еще",
        "нет",
        "о",
        "из",
        "ему",
        "теперь",
        "когда",
        "даже",
        "ну",
        "вдруг",
        "ли",
        "если",
        "уже",
        "или",
        "ни",
        "быть",
        "был",
        "него",
        "до",
        "вас",
        "нибудь",
        "опять",
        "уж",
        "вам",
        "ведь",
        "там",
        "потом",
        "себя",
        "ничего",
        "ей",
        "может",
        "они",
        "тут",
        "где",
        "есть",
        "надо",
        "ней",
        "для",
        "мы",
        "тебя",
        "их",
        "чем",
        "была",
        "сам",
        "чтоб",
        "без",
        "будто",
        "проект",
        "заметка",
        "встреча",
        "книга",
        "работа",
        "неделя",
        "сегодня",
        "завтра",
        "вчера",
        "идея",
        "вопрос",
        "ответ",
    ],
    "el": [
        "και",
        "το",
        "η",
        "να",
        "του",
        "της",
        "την",
        "σε",
        "με",
        "που",
        "ο",
        "τα",
        "από",
        "για",
        "δεν",
        "θα",
        "είναι",
        "τον",
        "στο",
        "οι",
        "των",
        "τη",
        "ένα",
        "στην",
        "μια",
        "αλλά",
        "ότι",
        "τους",
        "πιο",
        "στα",
        "όταν",
        "μου",
        "μας",
        "ήταν",
        "έχει",
        "όπως",
        "σας",
        "κάτι",
        "πολύ",
        "ή",
        "αν",
        "έργο",
        "σημείωση",
        "συνάντηση",
        "βιβλίο",
        "δουλειά",
        "εβδομάδα",
        "σήμερα",
        "αύριο",
        "χθες",
        "ιδέα",
        "ερώτηση",
    ],
    "ar": [
        "في",
        "من",
        "على",
        "أن",
        "إلى",
        "عن",
        "مع",
        "هذا",
        "هذه",
        "التي",
        "الذي",
        "كان",
        "ما",
        "لا",
        "قد",
        "كل",
        "بين",
        "بعد",
        "ذلك",
        "عند",
        "حتى",
        "أو",
        "لم",
        "هو",
        "هي",
        "كانت",
        "ثم",
        "إذا",
        "غير",
        "يوم",
        "اليوم",
        "غدا",
        "أمس",
        "مشروع",
        "ملاحظة",
        "اجتماع",
        "كتاب",
        "عمل",
        "أسبوع",
        "فكرة",
        "سؤال",
        "جواب",
        "المدينة",
        "البيت",
        "القهوة",
        "الصباح",
        "المساء",
        "الفريق",
        "الكود",
        "النظام",
    ],
    "hi": [
        "के",
        "है",
        "में",
        "की",
        "और",
        "को",
        "से",
        "का",
        "एक",
        "पर",
        "यह",
        "था",
        "भी",
        "कि",
        "हैं",
        "लिए",
        "नहीं",
        "तो",
        "ही",
        "या",
        "जो",
        "कर",
        "ने",
        "हो",
        "गया",
        "साथ",
        "कुछ",
        "अपने",
        "बाद",
        "वह",
        "इस",
        "रहा",
        "किया",
        "सकते",
        "होता",
        "आज",
        "कल",
        "परियोजना",
        "नोट",
        "बैठक",
        "किताब",
        "काम",
        "सप्ताह",
        "विचार",
        "सवाल",
        "जवाब",
        "शहर",
        "घर",
        "चाय",
        "सुबह",
        "शाम",
        "टीम",
    ],
    "zh": [
        "的",
        "是",
        "了",
        "我",
        "不",
        "在",
        "有",
        "人",
        "这",
        "他",
        "们",
        "中",
        "来",
        "上",
        "大",
        "为",
        "和",
        "国",
        "地",
        "到",
        "以",
        "说",
        "时",
        "要",
        "就",
        "出",
        "会",
        "可以",
        "我们",
        "今天",
        "明天",
        "昨天",
        "项目",
        "笔记",
        "会议",
        "工作",
        "问题",
        "时间",
        "已经",
        "因为",
        "所以",
        "但是",
        "如果",
        "一个",
        "没有",
        "什么",
        "自己",
        "这个",
        "觉得",
        "知道",
        "需要",
        "开始",
        "学习",
        "阅读",
        "代码",
        "系统",
        "设计",
        "团队",
    ],
    "ja": [
        "の",
        "に",
        "は",
        "を",
        "た",
        "が",
        "で",
        "て",
        "と",
        "し",
        "れ",
        "さ",
        "ある",
        "いる",
        "する",
        "です",
        "ます",
        "した",
        "こと",
        "もの",
        "これ",
        "それ",
        "ため",
        "よう",
        "さん",
        "今日",
        "明日",
        "昨日",
        "会議",
        "仕事",
        "問題",
        "時間",
        "東京",
        "読書",
        "勉強",
        "計画",
        "週",
        "プロジェクト",
        "ノート",
        "コード",
        "システム",
        "デザイン",
        "チーム",
        "コーヒー",
        "散歩",
        "電車",
    ],
}

_SYLLABLES = {
    "en": [
        "ka",
        "ro",
        "ti",
        "le",
        "na",
        "mo",
        "sa",
        "ver",
        "tin",
        "bel",
        "dor",
        "fen",
        "gal",
        "hum",
        "lor",
        "mar",
        "pel",
        "quin",
        "ster",
        "tor",
        "val",
        "wen",
        "ar",
        "en",
        "or",
        "un",
        "im",
        "ex",
        "con",
        "pro",
        "tra",
        "ble",
        "ment",
        "ing",
        "ly",
        "tion",
        "ous",
    ],
    "fr": [
        "ré",
        "té",
        "bé",
        "pé",
        "gé",
        "lé",
        "né",
        "ça",
        "çon",
        "eau",
        "oi",
        "au",
        "ain",
        "ien",
        "ère",
        "ès",
        "é",
        "è",
        "ê",
        "à",
        "ô",
        "û",
        "ette",
        "ment",
        "ier",
        "ais",
        "ra",
        "lo",
        "mi",
        "ne",
        "su",
    ],
    "es": [
        "ña",
        "ño",
        "ción",
        "dad",
        "ía",
        "ío",
        "ú",
        "á",
        "é",
        "ó",
        "ra",
        "lo",
        "mi",
        "te",
        "ca",
        "do",
        "ri",
        "ne",
        "sa",
        "ble",
        "mos",
    ],
    "de": [
        "ge",
        "be",
        "ver",
        "ung",
        "keit",
        "lich",
        "ä",
        "ö",
        "ü",
        "ß",
        "sch",
        "ch",
        "ter",
        "ber",
        "den",
        "lan",
        "stra",
        "mel",
        "zu",
    ],
    "pt": [
        "ção",
        "ões",
        "ã",
        "õ",
        "é",
        "ê",
        "ó",
        "á",
        "ra",
        "lo",
        "mi",
        "te",
        "ca",
        "do",
        "ri",
        "nha",
        "lho",
    ],
    "pl": [
        "ą",
        "ę",
        "ó",
        "ś",
        "ź",
        "ż",
        "ł",
        "ń",
        "ć",
        "prz",
        "szcz",
        "cz",
        "rz",
        "wy",
        "po",
        "za",
        "ko",
        "ra",
        "mi",
        "ny",
    ],
    "ru": [
        "ка",
        "ро",
        "ти",
        "ле",
        "ны",
        "ст",
        "ва",
        "ов",
        "ие",
        "жи",
        "ще",
        "ю",
        "я",
        "ё",
        "пре",
        "про",
        "ни",
        "ль",
        "ск",
        "ать",
        "ость",
    ],
    "el": [
        "κα",
        "ρο",
        "τι",
        "λε",
        "να",
        "ου",
        "ει",
        "ή",
        "ώ",
        "ά",
        "ί",
        "ό",
        "μα",
        "πο",
        "στ",
        "ση",
        "ες",
        "ος",
        "ια",
        "ντ",
    ],
    "ar": ["ال", "م", "ك", "ت", "ب", "ر", "س", "ل", "ن", "ي", "و", "ة", "ا", "ح", "ع", "ق", "ش"],
    "hi": ["का", "की", "के", "में", "र", "ना", "ता", "ती", "ते", "स्व", "प्र", "क्ष", "ज्ञ", "वि", "सं", "अ"],
    "zh": list("天地人和山水火木金土日月风云雨雪春夏秋冬东西南北花草树林书画字文心手口目耳电车路桥城市海河"),
    "ja": list("あいうえおかきくけこさしすせそたちつてとなにぬねのはひふへほまみむめもやゆよらりるれろわん"),
}

# (language, share of notes whose main language it is)
LANGS = (
    ("en", 0.58),
    ("fr", 0.05),
    ("es", 0.05),
    ("de", 0.05),
    ("pt", 0.03),
    ("pl", 0.02),
    ("ru", 0.05),
    ("el", 0.03),
    ("zh", 0.04),
    ("ja", 0.04),
    ("ar", 0.03),
    ("hi", 0.03),
)
_NOSPACE = {"zh", "ja"}
_END = {"zh": "。", "ja": "。", "hi": "।", "ar": "."}
_CAPITALISE = {"en", "fr", "es", "de", "pt", "pl", "ru", "el"}

PEOPLE = (
    ("Samantha Ortiz", ("Sam",)),
    ("Priya Raman", ()),
    ("Daniel Whitfield", ("Dan",)),
    ("Aisha Haddad", ()),
    ("Tomasz Kowalski", ("Tomek",)),
    ("Helen Lindqvist", ("Nell",)),
    ("Kofi Osei", ()),
    ("Mei Yamada", ()),
    ("Luca Bianchi", ()),
    ("Ingrid Strand", ()),
    ("Анна Петрова", ("Аня",)),
    ("Дмитрий Соколов", ("Дима",)),
    ("Γιώργος Παπαδόπουλος", ("Γιώργο",)),
    ("Ελένη Κωνσταντίνου", ()),
    ("田中 太郎", ("田中さん",)),
    ("王 芳", ()),
    ("محمد العلي", ()),
    ("فاطمة حسن", ()),
    ("प्रिया शर्मा", ()),
    ("राहुल वर्मा", ()),
    ("José Núñez", ("Pepe",)),
    ("Zoë Müller", ()),
    ("François Lefèvre", ()),
    ("Łucja Wójcik", ()),
    ("João Conceição", ()),
)
PLACES = (
    "Lisbon",
    "Kraków",
    "Edinburgh",
    "Москва",
    "Αθήνα",
    "東京",
    "北京",
    "القاهرة",
    "मुंबई",
    "São Paulo",
    "Zürich",
    "Montréal",
    "Reykjavík",
    "Café Luma",
    "the Meadows",
    "Kyoto",
)
ORGS = (
    "Acme Robotics",
    "Northwind Labs",
    "Mozilla",
    "the Co-op",
    "Université de Montréal",
    "Яндекс",
    "Τράπεζα Πειραιώς",
    "株式会社ミライ",
    "Fundação Gulbenkian",
    "Stadtwerke Köln",
)
TOPICS = (
    "Zettelkasten",
    "spaced repetition",
    "Kubernetes",
    "sourdough",
    "marathon training",
    "type theory",
    "Rust",
    "permaculture",
    "photography",
    "home lab",
    "knitting",
    "jazz guitar",
)
TAGS = (
    "project",
    "idea",
    "meeting",
    "reading",
    "book",
    "health/sleep",
    "health/running",
    "work/1on1",
    "work/review",
    "learning/rust",
    "learning/greek",
    "travel/2025/japan",
    "recipe",
    "finance/budget",
    "garden",
    "todo",
    "draft",
    "évaluation",
    "заметки",
    "読書",
    "status/active",
    "status/done",
    "area/home",
    "people",
)
FOLDERS = (
    "Projects",
    "Projects/Tweed",
    "Projects/Home lab",
    "Areas/Health",
    "Areas/Finance",
    "Resources/Reading",
    "Resources/Recipes",
    "Zettelkasten",
    "Inbox",
    "Archive/2024",
    "Travel/Japan 2025",
    "Work/Meetings",
    "Work/Notes de réunion",
    "Заметки",
    "Σημειώσεις",
    "笔记",
    "ملاحظات",
    "नोट्स",
)
HEADINGS = (
    "Overview",
    "Notes",
    "Open questions",
    "References",
    "Log",
    "Ideas",
    "Next steps",
    "Summary",
    "Tasks",
    "Decisions",
    "Reading list",
    "Resumen",
    "Résumé",
    "Заметки",
    "Σύνοψη",
    "まとめ",
    "总结",
    "ملخص",
    "सारांश",
)
CALLOUTS = ("note", "tip", "warning", "quote", "info", "todo", "example", "abstract")
TITLE_WORDS = (
    "Notes on",
    "Thoughts about",
    "How to set up",
    "Review of",
    "Plan for",
    "Reading:",
    "Meeting with",
    "Ideas for",
    "Retro:",
    "Recipe:",
    "Guide to",
    "Comparison of",
)


def _zipf_cum(n: int, s: float = 1.07) -> list[float]:
    return list(itertools.accumulate(1.0 / (r**s) for r in range(1, n + 1)))


@dataclass
class _Lang:
    code: str
    words: list[str]
    cum: list[float]


@dataclass
class _Note:
    rel: str
    title: str
    kind: str  # daily | topic | person
    lang: str
    day: dt.date | None
    headings: list[str] = field(default_factory=list)


class _Writer:
    def __init__(self, seed: int, tail: int = 4000) -> None:
        self.rng = random.Random(seed)
        self.langs: dict[str, _Lang] = {}
        for code, head in _HEAD.items():
            syl = _SYLLABLES[code]
            seen = set(head)
            tail_words: list[str] = []
            wrng = random.Random(f"{seed}-{code}")
            while len(tail_words) < tail:
                w = "".join(wrng.choices(syl, k=wrng.choice((2, 2, 3, 3, 4))))
                if w not in seen:
                    seen.add(w)
                    tail_words.append(w)
            words = list(head) + tail_words
            self.langs[code] = _Lang(code, words, _zipf_cum(len(words)))
        self.lang_codes = [c for c, _ in LANGS]
        self.lang_cum = list(itertools.accumulate(p for _, p in LANGS))
        self.notes: list[_Note] = []
        self.targets: list[str] = []  # link targets (note titles; some dangling)

    # -- prose --------------------------------------------------------------------------
    def words(self, lang: str, k: int) -> list[str]:
        lg = self.langs[lang]
        return self.rng.choices(lg.words, cum_weights=lg.cum, k=k)

    def inline(self) -> str:
        rng = self.rng
        r = rng.random()
        if r < 0.30:
            return f"[[{rng.choice(self.targets)}]]"
        if r < 0.40:
            t = rng.choice(self.notes)
            return f"[[{t.title}|{t.title.split(' ')[-1].lower()}]]"
        if r < 0.47:
            t = rng.choice(self.notes)
            h = rng.choice(t.headings) if t.headings and rng.random() < 0.8 else rng.choice(HEADINGS)
            return f"[[{t.title}#{h}]]"
        if r < 0.60:
            return "#" + rng.choice(TAGS)
        if r < 0.70:
            return rng.choice(PEOPLE)[0]
        if r < 0.76:
            return rng.choice(PLACES)
        if r < 0.80:
            return rng.choice(ORGS)
        if r < 0.86:
            return f"**{rng.choice(TOPICS)}**"
        if r < 0.89:
            return f"`{rng.choice(('git rebase -i', 'pip install -e .', 'SELECT 1', 'ls -la', 'x += 1'))}`"
        if r < 0.92:
            return f"=={rng.choice(TOPICS)}=="
        if r < 0.94:
            return f"[{rng.choice(TOPICS)}](https://example.org/{rng.randrange(10_000)})"
        if r < 0.96:
            return "$O(n \\log n)$"
        if r < 0.98:
            return f"*{rng.choice(TOPICS)}*"
        return f"[^{rng.randrange(1, 4)}]"

    def sentence(self, lang: str) -> str:
        rng = self.rng
        n = rng.randint(4, 22) if lang not in _NOSPACE else rng.randint(6, 20)
        ws = self.words(lang, n)
        if rng.random() < 0.45:
            for _ in range(1 if rng.random() < 0.7 else 2):
                ws.insert(rng.randrange(len(ws) + 1), self.inline())
        if lang in _NOSPACE:
            s = "".join(ws)
        else:
            if lang in _CAPITALISE:
                ws[0] = ws[0][:1].upper() + ws[0][1:]
            s = " ".join(ws)
        end = _END.get(lang) or rng.choices((".", "?", "!", ":"), (20, 2, 1, 1))[0]
        return s + end

    def paragraph(self, lang: str) -> str:
        sep = "" if lang in _NOSPACE else " "
        return sep.join(self.sentence(lang) for _ in range(self.rng.randint(2, 7)))

    def item(self, lang: str) -> str:
        ws = self.words(lang, self.rng.randint(2, 12))
        if self.rng.random() < 0.35:
            ws.insert(self.rng.randrange(len(ws) + 1), self.inline())
        return ("" if lang in _NOSPACE else " ").join(ws)

    # -- blocks -------------------------------------------------------------------------
    def block(self, lang: str) -> str:
        rng = self.rng
        r = rng.random()
        if r < 0.42:
            return self.paragraph(lang)
        if r < 0.54:
            lines = []
            for _ in range(rng.randint(2, 8)):
                lines.append(f"- {self.item(lang)}")
                if rng.random() < 0.3:
                    lines.extend(f"\t- {self.item(lang)}" for _ in range(rng.randint(1, 3)))
            return "\n".join(lines)
        if r < 0.61:
            return "\n".join(f"{i}. {self.item(lang)}" for i in range(1, rng.randint(3, 8)))
        if r < 0.69:
            return "\n".join(
                f"- [{'x' if rng.random() < 0.5 else ' '}] {self.item(lang)}"
                + (f" 📅 {self.some_day().isoformat()}" if rng.random() < 0.2 else "")
                for _ in range(rng.randint(2, 7))
            )
        if r < 0.76:
            return self.table(lang)
        if r < 0.83:
            return self.code()
        if r < 0.91:
            kind = rng.choice(CALLOUTS)
            fold = rng.choice(("", "", "-", "+"))
            head = f"> [!{kind}]{fold} {self.item(lang)[:40]}"
            body = [f"> {self.sentence(lang)}" for _ in range(rng.randint(1, 4))]
            return "\n".join([head, *body])
        if r < 0.96:
            img = rng.choice(
                (
                    f"![[Pasted image {self.some_day():%Y%m%d}{rng.randrange(240000):06d}.png]]",
                    f"![[diagram-{rng.randrange(500)}.png|{rng.choice((200, 300, 600))}]]",
                    f"![[scan-{rng.randrange(90):03d}.pdf]]",
                    f"![[{rng.choice(self.notes).title}#{rng.choice(HEADINGS)}]]",
                    f"![[photo {rng.randrange(1000)}.jpg]]",
                )
            )
            return img
        return "---" if rng.random() < 0.5 else f"> {self.sentence(lang)}"

    def table(self, lang: str) -> str:
        rng = self.rng
        cols = rng.choice(
            (("Name", "Link", "Status", "Due"), ("Item", "Qty", "Note"), ("Who", "Where", "When", "What"))
        )
        rows = ["| " + " | ".join(cols) + " |", "|" + "|".join(" --- " for _ in cols) + "|"]
        for _ in range(rng.randint(2, 9)):
            cells = []
            for c in cols:
                if c in ("Link", "Who"):
                    t = rng.choice(self.notes)
                    cells.append(
                        f"[[{t.title}\\|{t.title[:12]}]]" if rng.random() < 0.6 else f"[[{t.title}]]"
                    )
                elif c in ("Due", "When"):
                    cells.append(self.some_day().isoformat())
                elif c in ("Qty",):
                    cells.append(str(rng.randrange(1, 500)))
                elif c == "Status":
                    cells.append(rng.choice(("todo", "doing", "done", "blocked", "✅", "⏳")))
                elif c == "Where":
                    cells.append(rng.choice(PLACES))
                else:
                    cells.append(
                        " ".join(self.words(lang, rng.randint(1, 5)))
                        if lang not in _NOSPACE
                        else "".join(self.words(lang, 4))
                    )
            rows.append("| " + " | ".join(cells) + " |")
        return "\n".join(rows)

    def code(self) -> str:
        rng = self.rng
        lang = rng.choice(("python", "bash", "json", "sql", "dataviewjs", ""))
        n = rng.randrange(100)
        bodies = {
            "python": (
                f"def step_{n}(xs):\n    # #not-a-tag: [[not a link]]\n"
                f"    return [x * {n} for x in xs if x]\n"
            ),
            "bash": f'# #not-a-tag\nfor f in *.md; do wc -c "$f"; done | sort -n | tail -{n}\n',
            "json": f'{{"id": {n}, "tags": ["#not-a-tag"], "link": "[[nope]]"}}\n',
            "sql": f"SELECT title, count(*) FROM notes WHERE tag = '#not-a-tag' GROUP BY title LIMIT {n};\n",
            "dataviewjs": f'dv.table(["file"], dv.pages("#project").limit({n}).map(p => [p.file.link]))\n',
            "": f"plain block {n} with #not-a-tag and [[not-a-link]]\n",
        }
        return f"```{lang}\n{bodies[lang]}```"

    def some_day(self) -> dt.date:
        return END_DATE - dt.timedelta(days=self.rng.randrange(6 * 365))

    # -- notes --------------------------------------------------------------------------
    def front_matter(self, note: _Note, private: bool) -> str:
        rng = self.rng
        lines = ["---"]
        if note.kind == "person":
            lines.append("type: person")
        if rng.random() < 0.6 or note.kind == "topic":
            lines.append(f"title: {json.dumps(note.title, ensure_ascii=False)}")
        tags = rng.sample(TAGS, rng.randint(0, 4))
        if tags:
            if rng.random() < 0.5:
                lines.append("tags:")
                lines.extend(f"  - {t}" for t in tags)
            else:
                lines.append(f"tags: [{', '.join(tags)}]")
        if note.kind == "person":
            aliases = next(a for n, a in PEOPLE if n == note.title)
            if aliases:
                lines.append("aliases:")
                lines.extend(f"  - {a}" for a in aliases)
        elif rng.random() < 0.15:
            lines.append(f"aliases: [{json.dumps(note.title.lower(), ensure_ascii=False)}]")
        if note.day is not None:
            lines.append(f"date: {note.day.isoformat()}")
        elif rng.random() < 0.5:
            created = self.some_day()
            lines.append(f"created: {created.isoformat()} {rng.randrange(24):02d}:{rng.randrange(60):02d}")
            lines.append(f"updated: {created + dt.timedelta(days=rng.randrange(60))}")
        if rng.random() < 0.2:
            lines.append(f"status: {rng.choice(('active', 'done', 'someday'))}")
        if private:
            lines.append("private: true")
        lines.append("---")
        return "\n".join(lines) + "\n"

    def body(self, note: _Note, target: int) -> str:
        rng = self.rng
        lang = note.lang
        parts: list[str] = []
        size = 0
        if note.kind == "topic" and rng.random() < 0.7:
            parts.append(f"# {note.title}")
        second = rng.choice(self.lang_codes) if rng.random() < 0.15 else None
        while size < target:
            if rng.random() < 0.22 or not parts:
                level = rng.choice((2, 2, 2, 3, 3, 4, 1))
                h = note.headings[len(parts) % len(note.headings)] if note.headings else rng.choice(HEADINGS)
                parts.append("#" * level + " " + h)
            use = second if second and rng.random() < 0.3 else lang
            b = self.block(use)
            parts.append(b)
            size += len(b.encode("utf-8")) + 2
        return "\n\n".join(parts) + "\n"


def _size(rng: random.Random, lo: int, hi: int) -> int:
    """Log-uniform size in bytes between lo and hi: most notes small, a long tail of big ones."""
    return int(lo * (hi / lo) ** (rng.random() ** 1.6))


def generate(
    out_dir: Path | str, notes: int = 1000, seed: int = 1, *, manifest: Path | None = None
) -> list[Path]:
    """Write ``notes`` markdown files under ``out_dir`` (created; must be empty)."""
    out = Path(out_dir)
    if out.exists() and any(out.iterdir()):
        raise FileExistsError(f"{out} is not empty; give a new folder")
    out.mkdir(parents=True, exist_ok=True)
    w = _Writer(seed)
    rng = w.rng

    # Plan every note first so links can point at real titles and headings.
    n_people = min(len(PEOPLE), max(1, notes // 40))
    n_daily = int((notes - n_people) * 0.4)
    n_topic = notes - n_people - n_daily
    # twelve years of days, more for a vault with more daily notes than that (20k notes: 8k)
    span = max(12 * 365, n_daily)
    days = sorted(set(END_DATE - dt.timedelta(days=d) for d in rng.sample(range(span), n_daily)))
    plan: list[_Note] = []
    for name, _aliases in PEOPLE[:n_people]:
        plan.append(_Note(f"People/{name}.md", name, "person", "en", None, rng.sample(HEADINGS, 3)))
    for day in days:
        lang = rng.choices(w.lang_codes, cum_weights=w.lang_cum)[0]
        plan.append(
            _Note(f"Daily/{day.isoformat()}.md", day.isoformat(), "daily", lang, day, rng.sample(HEADINGS, 3))
        )
    titles: set[str] = {n.title for n in plan}
    for i in range(n_topic):
        lang = rng.choices(w.lang_codes, cum_weights=w.lang_cum)[0]
        if lang == "en":
            t = f"{rng.choice(TITLE_WORDS)} {rng.choice(TOPICS + PLACES + ORGS)}"
        elif lang in _NOSPACE:
            t = "".join(w.words(lang, rng.randint(2, 4)))
        else:
            t = " ".join(w.words(lang, rng.randint(1, 4)))
            t = t[:1].upper() + t[1:]
        t = (
            t.replace("/", "-").replace("#", "").replace("|", "").replace("[", "").replace("]", "").strip()
            or f"note {i}"
        )
        base, k = t, 2
        while t in titles:
            t, k = f"{base} {k}", k + 1
        titles.add(t)
        folder = rng.choice(FOLDERS) if rng.random() < 0.9 else ""
        rel = f"{folder}/{t}.md" if folder else f"{t}.md"
        plan.append(_Note(rel, t, "topic", lang, None, rng.sample(HEADINGS, rng.randint(2, 5))))
    w.notes = plan
    w.targets = [n.title for n in plan] + [f"Missing page {i}" for i in range(max(5, notes // 50))]

    paths: list[Path] = []
    for note in plan:
        private = rng.random() < 0.04
        lo, hi = (2048, 8192) if note.kind == "daily" else (2048, 20480)
        target = _size(rng, lo, hi)
        fm = (
            w.front_matter(note, private)
            if (note.kind != "daily" and rng.random() < 0.75) or rng.random() < 0.35
            else ""
        )
        text = fm + w.body(note, target - len(fm.encode("utf-8")))
        if not private and rng.random() < 0.01:
            text += "\n#private\n"
        p = out / note.rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8")
        ts = BASE_MTIME if note.day is None else dt.datetime.combine(note.day, dt.time(21, 0)).timestamp()
        os.utime(p, (ts, ts))
        paths.append(p)
    att = out / "attachments"
    att.mkdir(exist_ok=True)
    for i in range(5):  # a few small non-markdown files, as real vaults have
        (att / f"diagram-{i}.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes([i]) * 64)
    if manifest is not None:
        ents = (
            [{"name": n, "aliases": list(a), "type": "person"} for n, a in PEOPLE]
            + [{"name": n, "type": "place"} for n in PLACES]
            + [{"name": n, "type": "org"} for n in ORGS]
            + [{"name": n, "type": "topic"} for n in TOPICS]
            + [{"name": h, "type": "not-an-entity"} for h in HEADINGS]
        )
        Path(manifest).write_text(
            json.dumps({"seed": seed, "notes": notes, "entities": ents}, ensure_ascii=False, indent=1),
            encoding="utf-8",
        )
    return paths


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("--notes", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--manifest", type=Path, help="write the entities used (with types) as JSON")
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    paths = generate(args.out, args.notes, args.seed, manifest=args.manifest)
    size = sum(p.stat().st_size for p in paths)
    print(
        f"{len(paths)} notes, {size / 1e6:.1f} MB in {time.perf_counter() - t0:.1f} s → {args.out}",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
