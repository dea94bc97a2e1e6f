"""Privacy fails closed and no file can hang or hijack the vault reader (issue 15).

Planted secrets sit in entries whose privacy is marked in every odd way seen in real
journals; none may come back from a search that leaves private entries out. A YAML alias
bomb, a symlink out of the vault, impossible dates and UTF-16 files each get a clear
warning while the rest of the vault is read.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest

from journal_me.api import Journal
from journal_me.vault import EntryReadError, Vault, parse_entry

# (file name, text, planted secret word): each marking must read as private
ODD_MARKINGS = [
    (
        "colon-title.md",
        "---\ntitle: Locker: the second code\nprivate: true\n---\n\nThe code is zanzibarite.\n",
    ),
    ("capital-key.md", "---\nPrivate: true\n---\n\nThe code is quokkaphone.\n"),
    ("upper-key.md", "---\nPRIVATE: yes\n---\n\nThe code is marmalith.\n"),
    ("one.md", "---\nprivate: 1\n---\n\nThe code is tundrabell.\n"),
    ("list.md", "---\nprivate: [true]\n---\n\nThe code is gravelorn.\n"),
    ("quoted.md", '---\nprivate: "true"\n---\n\nThe code is pelicanthe.\n'),
    ("on.md", "---\nprivate: on\n---\n\nThe code is ferrowind.\n"),
    ("unclear.md", "---\nprivate: maybe later\n---\n\nThe code is obsidianne.\n"),
    ("empty-value.md", "---\nprivate:\n---\n\nThe code is lanternox.\n"),
    ("quoted-key.md", '---\n"Private": true\n---\n\nThe code is hollowmere.\n'),
    ("nested.md", "---\nsettings:\n  private: true\n---\n\nThe code is brackenfold.\n"),
    ("twice.md", "---\nprivate: true\nmood: low\nprivate: false\n---\n\nThe code is saltmarrow.\n"),
    ("unclosed.md", "---\nprivate: true\ntitle: Locker\n\nThe code is quillbarrow.\n"),
    ("tagged.md", "---\ntags: [private/health]\n---\n\nThe code is cindermoss.\n"),
]
SECRETS = [text.rsplit(" ", 1)[1].rstrip(".\n") for _name, text in ODD_MARKINGS]


def _parse(rel: str, text: str | bytes) -> object:
    raw = text.encode("utf-8") if isinstance(text, str) else text
    return parse_entry(rel, raw, path=Path("/nowhere") / rel, mtime=time.time())


@pytest.mark.parametrize(("name", "text"), ODD_MARKINGS, ids=[n for n, _t in ODD_MARKINGS])
def test_every_odd_private_marking_reads_as_private(name: str, text: str) -> None:
    entry = parse_entry(name, text.encode(), path=Path("/v") / name, mtime=time.time())
    assert entry.private, (name, entry.meta, entry.meta_error)


def test_unreadable_privacy_is_named_in_the_warning() -> None:
    broken = parse_entry("a.md", ODD_MARKINGS[0][1].encode(), path=Path("/v/a.md"), mtime=0)
    assert broken.private and broken.privacy_unreadable
    assert broken.meta_error is not None
    assert "invalid YAML front matter" in broken.meta_error
    assert "privacy flag unreadable — treated as private" in broken.meta_error

    capital = parse_entry("b.md", b"---\nPrivate: true\n---\nx\n", path=Path("/v/b.md"), mtime=0)
    assert capital.private and capital.privacy_unreadable
    assert capital.meta_error is not None and "`Private: true`" in capital.meta_error

    unclear = parse_entry("c.md", b"---\nprivate: maybe\n---\nx\n", path=Path("/v/c.md"), mtime=0)
    assert unclear.private and unclear.privacy_unreadable
    assert unclear.meta_error is not None and "privacy flag unreadable" in unclear.meta_error


@pytest.mark.parametrize(
    "text",
    [
        "---\nprivate: false\n---\nx\n",
        "---\nprivate: no\n---\nx\n",
        "---\nprivate: 0\n---\nx\n",
        "---\nprivate: false # anyone may read this\n---\nx\n",
        '---\n"Private": off\n---\nx\n',
        "---\ntitle: Plain\n---\nprivate: true is what I did not write in front matter\n",
        "---\ntitle: Plain\n---\nx\n",
        "no front matter at all\n",
    ],
)
def test_clearly_public_entries_stay_public(text: str) -> None:
    entry = parse_entry("p.md", text.encode(), path=Path("/v/p.md"), mtime=0)
    assert not entry.private and not entry.privacy_unreadable
    assert entry.meta_error is None


def test_planted_secrets_never_come_back_from_a_public_search(
    vault: Path, write: Callable[..., Path], open_journal: Callable[..., Journal]
) -> None:
    for name, text in ODD_MARKINGS:
        write(vault, name, text)
    write(vault, "public.md", "---\ntitle: Public\n---\n\nThe code is not here, only a walk by the canal.\n")
    journal = open_journal(vault)
    journal.reindex()
    assert journal.search("canal", include_private=False), "the public entry must be found"
    for secret in SECRETS:
        leaked = [h.entry.rel for h in journal.search(secret, include_private=False)]
        assert leaked == [], (secret, leaked)
        # and they are in the index: private, not lost
        assert journal.search(secret, include_private=True), secret
    reasons = {w.rel: w.reason for w in journal.warnings}
    assert "privacy flag unreadable — treated as private" in reasons["colon-title.md"]


# -- the alias bomb -------------------------------------------------------------------------

BOMB = (
    "---\n"
    'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    "b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
    "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
    "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
    "e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n"
    "f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n"
    "g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\n"
    "tags: [*g,*g,*g,*g,*g,*g,*g,*g,*g]\n"
    "title: *g\n"
    "---\n"
    "Boom.\n"
)


@pytest.mark.timeout(10)
def test_alias_bomb_is_refused_fast() -> None:
    assert len(BOMB.encode()) < 450
    start = time.perf_counter()
    entry = parse_entry("bomb.md", BOMB.encode(), path=Path("/v/bomb.md"), mtime=0)
    assert time.perf_counter() - start < 1.0
    assert entry.meta_error is not None and "anchors/aliases" in entry.meta_error
    assert entry.private and entry.privacy_unreadable  # its privacy could not be read
    assert entry.tags == () and entry.title == "bomb"


@pytest.mark.timeout(20)
def test_alias_bomb_does_not_stop_the_rest_of_the_vault(
    vault: Path, write: Callable[..., Path], open_journal: Callable[..., Journal]
) -> None:
    write(vault, "bomb.md", BOMB)
    write(vault, "2026-01-01.md", "A heron by the lock.\n")
    journal = open_journal(vault)
    journal.reindex()
    assert [h.entry.rel for h in journal.search("heron")] == ["2026-01-01.md"]
    reasons = {w.rel: w.reason for w in journal.warnings}
    assert "anchors/aliases" in reasons["bomb.md"]


def test_title_and_tags_are_capped() -> None:
    long_tag = "t" * 500
    text = f"---\ntitle: {'x' * 5000}\ntags: [{long_tag}]\n---\nbody #{'y' * 400}\n"
    entry = parse_entry("long.md", text.encode(), path=Path("/v/long.md"), mtime=0)
    assert len(entry.title) <= 300
    assert entry.tags and all(len(t) <= 100 for t in entry.tags)


def test_huge_front_matter_is_not_loaded() -> None:
    items = "\n".join(f"k{i}: v" for i in range(20_000))
    entry = parse_entry("many.md", f"---\n{items}\n---\nx\n".encode(), path=Path("/v/m.md"), mtime=0)
    assert entry.meta == {} and entry.meta_error is not None and "not read" in entry.meta_error


# -- symlinks -------------------------------------------------------------------------------


def test_symlink_out_of_the_vault_is_skipped_and_warned(
    vault: Path, tmp_path: Path, write: Callable[..., Path], open_journal: Callable[..., Journal]
) -> None:
    outside = tmp_path / "x"
    outside.mkdir()
    (outside / "secret.txt").write_text("root:x:0:0:swordfishgarnet\n", encoding="utf-8")
    (outside / "notes").mkdir()
    (outside / "notes" / "n.md").write_text("outside folder swordfishgarnet\n", encoding="utf-8")
    (vault / "passwd.md").symlink_to(outside / "secret.txt")
    (vault / "elsewhere").symlink_to(outside / "notes")
    write(vault, "2026-01-01.md", "A heron by the lock.\n")
    write(vault, "real/inside.md", "Inside the vault: otterglass.\n")
    (vault / "alias.md").symlink_to(vault / "real" / "inside.md")  # inside: still read

    v = Vault(vault)
    warnings: list = []
    rels = [rel for rel, _p in v.scan(warnings)]
    assert "passwd.md" not in rels and not any(r.startswith("elsewhere") for r in rels)
    assert "alias.md" in rels and "real/inside.md" in rels
    reasons = {w.rel: w.reason for w in warnings}
    assert (
        reasons["passwd.md"].startswith("symlink to ")
        and "outside the vault, skipped" in reasons["passwd.md"]
    )
    assert "outside the vault" in reasons["elsewhere"]
    with pytest.raises(EntryReadError, match="outside the vault"):
        v.read("passwd.md")

    journal = open_journal(vault)
    journal.reindex()
    assert journal.search("swordfishgarnet") == []
    assert "passwd.md" in {w.rel for w in journal.warnings}


def test_saving_a_symlinked_entry_writes_through(vault: Path, write: Callable[..., Path]) -> None:
    target = write(vault, "real/2026-01-01.md", "first\n")
    link = vault / "today.md"
    link.symlink_to(Path("real") / "2026-01-01.md")
    v = Vault(vault)
    entry = v.read("today.md")
    result = v.save("today.md", "second\n", entry.digest)
    assert result.saved and not result.conflict
    assert link.is_symlink(), "the symlink was replaced by a plain file"
    assert target.read_text(encoding="utf-8") == "second\n"
    assert sorted(p.name for p in (vault / "real").iterdir()) == ["2026-01-01.md"]  # no temp left


# -- dates and encodings --------------------------------------------------------------------


@pytest.mark.parametrize("value", ["99999-01-01", "not-a-date", "2026-02-30"])
def test_a_bad_date_is_named_not_silent(value: str) -> None:
    text = f"---\ndate: {value}\ntitle: T\n---\nx\n"
    entry = parse_entry("notes/thing.md", text.encode(), path=Path("/v/t.md"), mtime=0)
    assert entry.meta_error is not None
    assert f"date: {value} is not a date; using the file name or modification time" in entry.meta_error
    assert entry.title == "T"  # the rest of the front matter is still read


@pytest.mark.parametrize(
    "raw",
    [
        "\ufeffDear diary, UTF-16 LE with a BOM.\n".encode("utf-16-le"),
        "\ufeffDear diary, UTF-16 BE with a BOM.\n".encode("utf-16-be"),
        "Dear diary, UTF-16 LE without a BOM.\n".encode("utf-16-le"),
    ],
    ids=["le-bom", "be-bom", "le-no-bom"],
)
def test_utf16_files_are_named_as_such(raw: bytes) -> None:
    with pytest.raises(EntryReadError, match=r"UTF-16 text; re-save it as UTF-8"):
        parse_entry("u.md", raw, path=Path("/v/u.md"), mtime=0)


def test_binary_is_still_binary() -> None:
    with pytest.raises(EntryReadError, match="binary"):
        parse_entry(
            "b.md", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), path=Path("/v/b.md"), mtime=0
        )


def test_saving_a_symlink_out_of_the_vault_is_refused(vault: Path, tmp_path: Path) -> None:
    from journal_me.vault import VaultError, sha256_bytes

    outside = tmp_path / "outside.md"
    outside.write_text("not yours\n", encoding="utf-8")
    (vault / "x.md").symlink_to(outside)
    with pytest.raises(VaultError, match="outside the vault"):
        Vault(vault).save("x.md", "overwritten\n", sha256_bytes(b"not yours\n"))
    assert outside.read_text(encoding="utf-8") == "not yours\n" and (vault / "x.md").is_symlink()
