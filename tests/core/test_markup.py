"""Parsing: front matter, #tags, [[links]], @mentions, dates, titles, passages."""

from __future__ import annotations

import datetime as dt
import random
import re
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from journal_me import markup
from journal_me.markup import coerce_list, inline_markup, is_attachment, normalise_tag, split_passages
from journal_me.vault import EntryReadError, parse_entry

FAST = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])

MTIME = dt.datetime(2024, 7, 9, 12, 0).timestamp()


def parse(text: str | bytes, rel: str = "note.md", mtime: float = MTIME):  # type: ignore[no-untyped-def]
    raw = text.encode("utf-8") if isinstance(text, str) else text
    return parse_entry(rel, raw, path=Path("/vault") / rel, mtime=mtime)


# -- strategies ----------------------------------------------------------------------------
_letters = st.sampled_from(list("abcdefghijklmnopqrstuvwxyzéüßø"))
_tag_chars = st.sampled_from(list("abcdefghijklmnopqrstuvwxyz0123456789_-é"))


@st.composite
def tag_segments(draw: st.DrawFn) -> str:
    """One segment of a tag: starts with a letter or digit, has some non-digit overall."""
    first = draw(st.one_of(_letters, st.sampled_from(list("0123456789"))))
    rest = draw(st.text(_tag_chars, max_size=8))
    seg = (first + rest).rstrip("-")
    assume(seg)
    return seg


@st.composite
def tags(draw: st.DrawFn) -> str:
    """A valid tag body (no '#'), possibly nested: ``work/halden``."""
    parts = draw(st.lists(tag_segments(), min_size=1, max_size=3))
    tag = "/".join(parts)
    assume(any(not c.isdigit() for c in tag.replace("/", "")))
    assume(not tag.replace("/", "").replace("-", "").replace("_", "").isdigit())
    return tag


digit_tags = st.integers(min_value=0, max_value=99999).map(str)
words = (
    st.text(st.sampled_from(list("abcdefghij klmnop")), min_size=1, max_size=30).map(str.strip).filter(bool)
)
link_targets = st.text(st.sampled_from(list("abcdefgh ABCDEFG-_.'0123")), min_size=1, max_size=20).filter(
    lambda s: s.strip() and not s.strip().startswith(".")
)
aliases = st.text(st.sampled_from(list("abcdefgh ABCD-'")), min_size=1, max_size=15).filter(
    lambda s: s.strip()
)


# -- tags ----------------------------------------------------------------------------------
@FAST
@given(st.lists(tags(), min_size=1, max_size=6), st.lists(digit_tags, max_size=3), words)
def test_inline_tags_are_found_and_digit_tags_are_not(
    found: list[str], numbers: list[str], prose: str
) -> None:
    body = (
        f"{prose} " + " ".join(f"#{t}" for t in found) + " and " + " ".join(f"#{n}" for n in numbers) + ".\n"
    )
    result = set(inline_markup(body).tags)
    expected = {normalise_tag(t) for t in found}
    assert expected == result
    for n in numbers:
        assert n not in result


@FAST
@given(st.lists(tags(), min_size=1, max_size=4), st.lists(tags(), min_size=1, max_size=4), words)
def test_tags_in_code_are_ignored(prose_tags: list[str], code_tags: list[str], prose: str) -> None:
    code_only = {normalise_tag(t) for t in code_tags} - {normalise_tag(t) for t in prose_tags}
    body = "\n".join(
        [
            f"{prose} " + " ".join(f"#{t}" for t in prose_tags),
            "",
            "inline `" + " ".join(f"#{t}" for t in code_tags) + "` span and ``double #" + code_tags[0] + "``",
            "",
            "```python",
            *(f"x = 1  #{t}" for t in code_tags),
            "```",
            "",
            "~~~",
            "#" + code_tags[-1],
            "~~~",
            "",
            "    #" + code_tags[0] + " indented code",
            "",
        ]
    )
    result = set(inline_markup(body).tags)
    assert {normalise_tag(t) for t in prose_tags} <= result
    assert not (code_only & result)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("#2024 was a year", ()),
        ("#2024-05 too", ()),
        ("#y2024 is a tag", ("y2024",)),
        ("#2024b is a tag", ("2024b",)),
        ("nested #work/halden and #Work/Halden", ("work/halden",)),
        ("trailing #run/ and #walk-", ("run", "walk")),
        ("not&#39;entity and a#b and #real", ("real",)),
        ("in a [link](https://example.com/#frag) and https://x.org/#frag2", ()),
        ("## A heading\n\ntext #tag", ("tag",)),
        ("#tag at the start", ("tag",)),
        ("escaped \\#notatag but #real", ("real",)),
        ("in **#bold** and *#em*", ("bold", "em")),
        ("- list #item\n- other #item2", ("item", "item2")),
        ("> quoted #quote", ("quote",)),
    ],
)
def test_tag_examples(text: str, expected: tuple[str, ...]) -> None:
    assert inline_markup(text).tags == expected


# -- links and mentions --------------------------------------------------------------------
@FAST
@given(link_targets, st.one_of(st.none(), aliases), st.one_of(st.none(), words), words)
@example("Samantha Ortiz", "Sam", None, "met")
@example("Samantha Ortiz", None, "Wedding plans", "met")
@example("note", "alias", "heading", "x")
def test_wikilinks(target: str, alias: str | None, heading: str | None, prose: str) -> None:
    assume(not is_attachment(target.strip()))  # ![[x.png]]-style files are not links
    link = "[[" + target + (f"#{heading}" if heading else "") + (f"|{alias}" if alias else "") + "]]"
    body = f"{prose} {link} {prose}\n"
    links = inline_markup(body).links
    # the text of a link to a heading names that part of the note, not the note: no alias
    assert links == ((target.strip(), alias.strip() if alias and not heading else None),)


def test_wikilinks_in_code_are_ignored_and_block_refs_are_stripped() -> None:
    body = (
        "See [[Dev]] and [[Tidewater Labs#Team|the team]] and [[Sam^abc123]].\n\n"
        "`[[Nope]]`\n\n```\n[[Nope2]]\n```\n"
    )
    assert inline_markup(body).links == (
        ("Dev", None),
        ("Tidewater Labs", None),  # "the team" names a heading of the note, not the note
        ("Sam", None),
    )


def test_wikilink_text_does_not_become_a_tag() -> None:
    assert inline_markup("[[Notes#Heading]] and [[a|#b]]").tags == ()


@FAST
@given(st.from_regex(r"[A-Za-z][a-z0-9_]{0,10}", fullmatch=True), words)
def test_mentions(name: str, prose: str) -> None:
    body = f"{prose} with @{name}, then mail@example.com and `@code`\n"
    assert inline_markup(body).mentions == (name,)


# -- front matter --------------------------------------------------------------------------
@FAST
@given(
    st.lists(tags(), min_size=1, max_size=5, unique_by=normalise_tag),
    st.sampled_from(["list", "flow", "comma"]),
)
def test_front_matter_tags_list_or_comma_string(fm_tags: list[str], style: str) -> None:
    if style == "list":
        block = "tags:\n" + "".join(f"  - '{t}'\n" for t in fm_tags)
    elif style == "flow":
        block = "tags: [" + ", ".join(f"'{t}'" for t in fm_tags) + "]\n"
    else:
        block = "tags: '" + ", ".join(f"#{t}" for t in fm_tags) + "'\n"
    entry = parse(f"---\n{block}---\nBody text #inline here.\n")
    assert entry.meta_error is None
    assert entry.tags == tuple(dict.fromkeys([*(normalise_tag(t) for t in fm_tags), "inline"]))
    assert set(entry.tags) == {normalise_tag(t) for t in fm_tags} | {"inline"}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("a, b ,c", ["a", "b", "c"]),
        ("a b  c", ["a", "b", "c"]),
        (["a", None, " b "], ["a", "b"]),
        (None, []),
        (2024, ["2024"]),
        ("", []),
    ],
)
def test_coerce_list(value: object, expected: list[str]) -> None:
    assert coerce_list(value) == expected


def test_numeric_front_matter_tags_are_dropped() -> None:
    entry = parse("---\ntags: [2024, work, '#health/sleep']\n---\ntext\n")
    assert entry.tags == ("work", "health/sleep")


@FAST
@given(
    st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2090, 12, 31)),
    st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2090, 12, 31)),
    st.sampled_from(["yaml", "quoted", "datetime"]),
)
def test_date_from_front_matter_beats_file_name(fm_date: dt.date, name_date: dt.date, style: str) -> None:
    value = {
        "yaml": fm_date.isoformat(),
        "quoted": f"'{fm_date.isoformat()}'",
        "datetime": f"{fm_date.isoformat()} 08:30:00",
    }[style]
    entry = parse(f"---\ndate: {value}\n---\nhello\n", rel=f"journal/{name_date.isoformat()}.md")
    assert entry.date == fm_date


@FAST
@given(
    st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2090, 12, 31)),
    st.sampled_from(["", " walk", "-2"]),
)
def test_date_from_file_name(day: dt.date, suffix: str) -> None:
    entry = parse("hello\n", rel=f"2025/{day.isoformat()}{suffix}.md")
    assert entry.date == day


@pytest.mark.parametrize(
    ("text", "rel"),
    [
        ("no date anywhere\n", "musings.md"),
        ("---\ndate: someday\n---\nbad date\n", "musings.md"),
        ("---\ndate: 2026-13-45\n---\nimpossible date\n", "2026-02-30.md"),
    ],
)
def test_date_falls_back_to_mtime(text: str, rel: str) -> None:
    assert parse(text, rel=rel).date == dt.date(2024, 7, 9)


@pytest.mark.parametrize(
    ("text", "rel", "title"),
    [
        ("---\ntitle: From front matter\n---\n# Heading\n", "2026-01-02.md", "From front matter"),
        # the file name, as Obsidian shows it, not the first heading (issue 9)
        ("# The **first** heading\n\ntext\n\n# Second\n", "2026-01-02.md", "Friday 2 January 2026"),
        ("# A heading\n\ntext\n", "why I run.md", "why I run"),
        ("text only\n", "why I run.md", "why I run"),
        ("text only\n", "2026-01-02.md", "Friday 2 January 2026"),
        ("---\ntitle: 42\n---\nnumeric title\n", "x.md", "42"),
    ],
)
def test_titles(text: str, rel: str, title: str) -> None:
    assert parse(text, rel=rel).title == title


def test_front_matter_fields() -> None:
    entry = parse(
        "---\r\ntitle: Sam\r\ntype: person\r\naliases: [Samantha Ortiz, Sammy]\r\npeople: Dev, Theo\r\n"
        "private: yes\r\n---\r\nBody\r\n"
    )
    assert entry.kind == "note"
    assert entry.aliases == ("Samantha Ortiz", "Sammy")
    assert entry.people == ("Dev", "Theo")
    assert entry.private is True
    assert entry.body == "Body\n"
    assert entry.body_line_offset == 7


def test_private_by_tag_and_nested_tag() -> None:
    assert parse("text #private\n").private
    assert parse("text #private/therapy\n").private
    assert not parse("text #privately\n").private
    assert not parse("---\nprivate: false\n---\ntext\n").private


def test_invalid_yaml_keeps_the_body() -> None:
    entry = parse("---\ntitle: [unclosed\ntags: a\n---\nThe body #still counts.\n")
    assert entry.meta_error is not None and "invalid YAML" in entry.meta_error
    assert entry.meta == {}
    assert entry.tags == ("still",)
    assert [p.text for p in entry.passages] == ["The body #still counts."]
    assert entry.passages[0].line_start == 5


def test_front_matter_that_is_not_a_mapping() -> None:
    entry = parse("---\n- just\n- a list\n---\nbody\n")
    assert entry.meta_error is not None
    assert entry.body == "body\n"


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"", "empty"),
        (b"  \n\n\t", "empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary"),
        ("caf\u00e9".encode("latin-1") + b" au lait\n", "UTF-8"),
    ],
)
def test_unreadable_bytes(raw: bytes, reason: str) -> None:
    with pytest.raises(EntryReadError, match=reason):
        parse(raw)


def test_utf8_bom_is_accepted() -> None:
    entry = parse("\ufeff---\ntitle: BOM\n---\nhello\n".encode())
    assert entry.title == "BOM"


# -- passages ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("markdown", "plain"),
    [
        ("**bold** and *it* ~~gone~~ __u__ _e_.", "bold and it gone u e."),
        ("(_aside_)", "(aside)"),
        # CommonMark: an underscore between letters or digits is part of the word
        ("snake_case_name and my_file_v2_", "snake_case_name and my_file_v2_"),
        ("0_0_", "0_0_"),
        ("x __init__ y", "x init y"),
    ],
)
def test_to_plain_strips_emphasis_but_not_intraword_underscores(markdown: str, plain: str) -> None:
    assert markup.to_plain(markdown) == plain


_WORD_RE = re.compile(r"[^\W_]+")  # markdown emphasis (_word_) strips underscores

_block_words = st.lists(
    st.sampled_from(["walk", "canal", "Sam", "tea", "rain", "Leith", "boiler", "Biscuit", "pottery", "run"]),
    min_size=1,
    max_size=40,
).map(" ".join)


@st.composite
def blocks(draw: st.DrawFn) -> str:
    kind = draw(st.sampled_from(["para", "heading", "list", "fence", "quote", "long", "link", "table"]))
    text = draw(_block_words)
    if kind == "heading":
        return "#" * draw(st.integers(1, 3)) + " " + text
    if kind == "list":
        items = draw(st.lists(_block_words, min_size=1, max_size=4))
        return "\n".join(f"- {item}" for item in items)
    if kind == "fence":
        return f"```\n{text}\n```"
    if kind == "quote":
        return f"> {text}\n> more {text}"
    if kind == "long":
        return " ".join([text] * draw(st.integers(5, 40)))
    if kind == "link":
        return f"Saw [[Samantha Ortiz|Sam]] and **{text}** with [a link](https://example.com) #tag"
    if kind == "table":
        return f"| a | b |\n|---|---|\n| {text} | x |"
    lines = draw(st.lists(_block_words, min_size=1, max_size=4))
    return "\n".join(lines)


@st.composite
def documents(draw: st.DrawFn) -> str:
    parts = draw(st.lists(blocks(), min_size=1, max_size=12))
    gaps = [draw(st.sampled_from(["\n\n", "\n\n\n", "\n\n   \n"])) for _ in parts]
    body = "".join(p + g for p, g in zip(parts, gaps, strict=True))
    front = draw(
        st.sampled_from(["", "---\ntitle: T\ntags: [a, b]\n---\n", "---\ndate: 2026-01-01\n---\n\n\n"])
    )
    lead = draw(st.sampled_from(["", "\n", "\n\n"]))
    return front + lead + body


def _words(text: str) -> list[str]:
    return _WORD_RE.findall(text.lower())


@FAST
@given(documents())
def test_passages_cover_the_body_with_file_line_spans(doc: str) -> None:
    entry = parse(doc)
    file_lines = doc.split("\n")
    body_first = entry.body_line_offset + 1  # 1-based first body line
    passages = entry.passages
    assert passages, "a non-empty body has passages"
    assert [p.index for p in passages] == list(range(len(passages)))
    prev_end = entry.body_line_offset
    covered: set[int] = set()
    for p in passages:
        assert body_first <= p.line_start <= p.line_end <= len(file_lines)
        assert p.line_start > prev_end, "passages are ordered and do not overlap"
        prev_end = p.line_end
        covered.update(range(p.line_start, p.line_end + 1))
        source = "\n".join(file_lines[p.line_start - 1 : p.line_end])
        # the passage's text comes from exactly those lines of the file
        assert p.text.strip()
        src_words = _words(source)
        pos = 0
        for w in _words(p.text):
            pos = src_words.index(w, pos) + 1  # in order, each from the source lines
        assert file_lines[p.line_start - 1].strip() != ""  # spans start and end on text
        assert file_lines[p.line_end - 1].strip() != ""
    for n in range(body_first, len(file_lines) + 1):
        if file_lines[n - 1].strip():
            assert n in covered, f"line {n} {file_lines[n - 1]!r} is in no passage"


@FAST
@given(st.text(max_size=400))
@example("a\rb\n\npara two")
@example("---\ntitle: x\n---")
@example("x\u2028y\n\nz")
@example("\x00")
@example("_0_")
@example("0_0_")  # intraword underscores are not emphasis (CommonMark)
def test_any_text_parses_without_crashing(text: str) -> None:
    try:
        entry = parse(text)
    except EntryReadError:
        return
    file_lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    prev_end = entry.body_line_offset
    for p in entry.passages:
        if p.line_end <= entry.body_line_offset:
            # the front matter's own text (title-only entries), after the body's passages
            assert p is entry.passages[-1] and 1 < p.line_start <= p.line_end <= entry.body_line_offset
            continue
        # spans are ordered, inside the body, and the passage's words come from those lines
        assert prev_end < p.line_start <= p.line_end <= len(file_lines)
        prev_end = p.line_end
        assert p.text.strip()
        src_words = _words("\n".join(file_lines[p.line_start - 1 : p.line_end]))
        pos = 0
        for w in _words(p.text):
            assert w in src_words[pos:], f"{w!r} is not from lines {p.line_start}-{p.line_end}"
            pos = src_words.index(w, pos) + 1


@FAST
@given(st.binary(max_size=300))
def test_any_bytes_give_an_entry_or_a_clear_error(raw: bytes) -> None:
    try:
        parse(raw)
    except EntryReadError as exc:
        assert str(exc)


def test_long_paragraph_is_one_passage_and_small_blocks_merge() -> None:
    para = "word " * 400
    body = f"# Day\n\nshort one\n\nshort two\n\n{para}\n\nafter\n"
    ps = split_passages(body)
    assert ps[0].text.startswith("Day") and "short two" in ps[0].text
    assert any(p.text.startswith("word word") and "after" not in p.text for p in ps)
    assert ps[-1].text.endswith("after")


def test_passage_spans_with_front_matter_offset() -> None:
    text = "---\ntitle: x\n---\n\nFirst para\nstill first\n\nSecond para\n"
    entry = parse(text)
    lines = text.split("\n")
    spans = [(p.line_start, p.line_end) for p in entry.passages]
    assert spans == [(5, 8)]
    assert lines[4] == "First para" and lines[7] == "Second para"


def test_second_entry_of_a_day_gets_a_readable_title_and_empty_front_matter_counts() -> None:
    from pathlib import Path

    from journal_me.vault import parse_entry

    e = parse_entry(
        "journal/2026/2026-08-26-evening.md", b"---\n---\nTeam drinks. #work\n", path=Path("/v/x.md"), mtime=0
    )
    assert e.title == "Wednesday 26 August 2026 (evening)"
    assert e.meta == {} and e.body == "Team drinks. #work\n" and e.body_line_offset == 2
    assert e.tags == ("work",)


# -- Obsidian conventions (issue 9.4) ------------------------------------------------------
def test_heading_link_in_the_same_note_is_not_a_tag() -> None:
    entry = parse("Back to [[#Plans for May]] and [[#^a1b2c3]], see [[Trip#Day 2]].\n\n## Plans for May\n")
    assert entry.tags == ()
    assert entry.links == (("Trip", None),)
    assert entry.passages[0].text.split("\n")[0] == "Back to Plans for May and , see Trip."


def test_heading_links_link_to_the_note_and_their_text_is_no_alias() -> None:
    # on obsidian-help, [[Settings#Strict line breaks|Strict line breaks]] named the Settings
    # page "Strict line breaks" (and 'do not recommend' became an alias of the FAQ)
    markup = inline_markup(
        "[[Tidewater Labs#Team|the team]] and [[Sam#Notes]] and [[#Top|up]] and [[Sam Ortiz|Sam]]"
    )
    assert markup.links == (("Tidewater Labs", None), ("Sam", None), ("Sam Ortiz", "Sam"))
    assert markup.tags == ()


def test_escaped_pipe_in_a_table_links_to_the_target() -> None:
    body = "| who | what |\n|---|---|\n| [[Samantha Ortiz\\|Sam]] | [[Leith Walk\\|the walk]] |\n"
    entry = parse(body)
    assert entry.links == (("Samantha Ortiz", "Sam"), ("Leith Walk", "the walk"))
    assert "| Sam | the walk |" in entry.passages[0].text
    assert "\\" not in entry.passages[0].text


@pytest.mark.parametrize(
    "embed",
    [
        "![[IMG_2041.png]]",
        "![[voice memo 3.m4a]]",
        "![[scan.PDF]]",
        "![[clip.mp4|300]]",
        "![[a.jpeg|200x100]]",
    ],
)
def test_attachment_embeds_are_not_links_or_topics(embed: str) -> None:
    from journal_me.memory.entities import extract_mentions

    entry = parse(f"Lunch at the market.\n\n{embed}\n\nThen home.\n")
    assert entry.links == ()
    names = {m.name.lower() for m in extract_mentions(entry)}
    assert not any(("." in n or n.isdigit() or "x1" in n) for n in names), names
    text = " ".join(p.text for p in entry.passages)
    assert "![[" not in text and ".png" not in text and "m4a" not in text.lower()


def test_note_embed_is_still_a_link() -> None:
    assert parse("![[Packing list]]\n").links == (("Packing list", None),)


def test_callouts_and_fences_read_as_text_in_passages() -> None:
    body = (
        "> [!tip]- Packing for Lisbon\n"
        "> Bring the **blue** jacket.\n"
        "> - sunscreen\n\n"
        "```python\n"
        "total = 900  # each\n"
        "```\n\n"
        "> [!warning]\n"
        "> The tram is cash only.\n\n"
        "> just a quote\n"
    )
    entry = parse(body)
    text = "\n".join(p.text for p in entry.passages)
    assert "Tip: Packing for Lisbon\nBring the blue jacket.\n- sunscreen" in text
    assert "total = 900  # each" in text
    assert "Warning\nThe tram is cash only." in text
    assert "[!" not in text and "```" not in text
    assert "> just a quote" in text  # a plain quote is left as it was


# -- very long bodies: the line scanner (issue 15) -----------------------------------------
def _read_both(body: str) -> list[tuple[object, ...]]:
    """inline_markup and passage spans of ``body`` through markdown-it, then the scanner."""
    out: list[tuple[object, ...]] = []
    saved = markup.FAST_PARSE_LINES
    try:
        for threshold in (10**9, -1):
            markup.FAST_PARSE_LINES = threshold
            markup._last_structure = None
            found = inline_markup(body)
            spans = [(p.line_start, p.line_end) for p in split_passages(body)]
            out.append((set(found.tags), set(found.links), set(found.mentions), found.first_heading, spans))
    finally:
        markup.FAST_PARSE_LINES = saved
        markup._last_structure = None
    return out


@FAST
@given(documents())
@example("- a #one\n\n  more #two\n1. b\n\n    code #no\n\n```\n#no\n```\n## Head #h\ntext")
@example("> [!tip] x #t\n> y\n- item\n> quote #q\npara\n    lazy #l")
def test_line_scanner_reads_what_markdown_it_reads(doc: str) -> None:
    body = parse(doc).body
    with_markdown_it, with_scanner = _read_both(body)
    assert with_scanner == with_markdown_it


def test_sample_vault_reads_the_same_through_the_line_scanner() -> None:
    from tests.core.conftest import SAMPLE_VAULT

    files = sorted(SAMPLE_VAULT.rglob("*.md"))
    assert len(files) > 100
    for path in files:
        body = parse(path.read_bytes(), rel=path.name).body
        with_markdown_it, with_scanner = _read_both(body)
        assert with_scanner == with_markdown_it, path.name


@pytest.mark.timeout(120)
def test_a_long_file_parses_in_seconds() -> None:
    """300,000 short lines (1.6 MB): markdown-it's block parser took ~27 s of CPU here."""
    rng = random.Random(3)
    pool = [
        "- ok",
        "",
        "Tea with @Mira.",
        "- [[Sam]] #walk",
        "## Mon",
        "> hm",
        "1. x",
        "Rain",
        "```",
        "| a |",
    ]
    text = "\n".join(rng.choice(pool) for _ in range(300_000))
    t0 = time.process_time()
    entry = parse(text)
    seconds = time.process_time() - t0
    assert seconds < 12, f"{seconds:.1f}s of CPU"
    assert entry.passages and "walk" in entry.tags and ("Sam", None) in entry.links
