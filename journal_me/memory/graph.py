"""L1 entity graph: people, places, orgs, topics and tags, linked by co-mention over time.

Source of truth is the per-entry list of mentions (``EntryMentions``). Everything the queries
need is persisted in SQLite (see :mod:`journal_me.memory.graph_store`): the entries' mentions,
the alias table, and one row per (entity, entry) resolved through it, with indexes for
"entries mentioning X", "neighbours of X" (a join on the entry) and alias lookup. Opening the
graph reads nothing; each query reads only the rows it needs. A networkx graph is built only
on request (:meth:`EntityGraph.nx_graph`), for algorithms that need one. Writes come in
batches, one transaction each (:meth:`EntityGraph.apply_batch`). When the alias table changes
(a person page edited, a new ``[[Full Name|nick]]`` link) every entry is resolved again.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from journal_me.memory.entities import WEAK_HEURISTIC, Mention, extract_mentions, guess_type
from journal_me.memory.graph_store import (
    checkpoint,
    connect_store,
    insert_mentions,
    insert_pairs,
    insert_raw,
    pack_mentions,
    settle,
    unpack_mentions,
)
from journal_me.vault import Entry

if TYPE_CHECKING:
    import networkx as nx

MAX_HEURISTIC_PER_ENTRY = 40
_MISSING = object()
# Entities with at least this many mention rows are hubs: their co-mention counts with the
# other hubs are kept in ``hub_edge`` (weight-ordered), so ``related`` reads its top k there
# instead of joining every entry that mentions them. An entity with fewer rows co-occurs at
# most HUB_MIN - 1 times with anything, so a hub's top k is exact from the hub table whenever
# its k-th weight is at least HUB_MIN. Raising it is safe for a store; lowering it needs a
# store rebuilt (a schema bump).
HUB_MIN = 32


@dataclass(frozen=True)
class EntryMentions:
    rel: str
    date: dt.date
    title: str
    private: bool
    mentions: tuple[Mention, ...]
    note_name: str | None = None  # a person/place page: its canonical name
    note_type: str | None = None
    note_aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class EntityInfo:
    name: str
    type: str
    count: int  # number of entries that mention it
    first: dt.date | None
    last: dt.date | None
    aliases: tuple[str, ...]
    explicit: bool  # marked up by the user somewhere (link, tag, @, people, page)


@dataclass(frozen=True)
class Related:
    name: str
    type: str
    weight: int  # entries mentioning both
    first: dt.date | None
    last: dt.date | None


@dataclass(frozen=True)
class TimelinePoint:
    date: dt.date
    rel: str
    title: str


def _display_name(names: Counter[str]) -> str:
    """The spelling most entries use ("Theo" over "theo" on a tie), whatever the order in
    which entries were added or removed: incremental updates must match a rebuild."""
    return max(
        (n for n, c in names.items() if c > 0), key=lambda n: (names[n], sum(ch.isupper() for ch in n), n)
    )


def entry_mentions(entry: Entry) -> EntryMentions:
    mentions = extract_mentions(entry)
    heuristic = {"heuristic", WEAK_HEURISTIC}
    # the cap keeps proper-noun phrases before sentence-initial words
    heur = sorted((m for m in mentions if m.source in heuristic), key=lambda m: m.source == WEAK_HEURISTIC)
    heur = heur[:MAX_HEURISTIC_PER_ENTRY]
    kept = [m for m in mentions if m.source not in heuristic] + heur
    note_name = None
    if entry.kind == "note":
        note_name = Path(entry.rel).stem
    return EntryMentions(
        rel=entry.rel,
        date=entry.date,
        title=entry.title,
        # a conflict copy is fenced like a private entry until it is resolved
        private=entry.private or entry.conflict_of is not None,
        mentions=tuple(kept),
        note_name=note_name,
        note_type=entry.note_type,
        note_aliases=entry.aliases if note_name else (),
    )


@dataclass(frozen=True)
class AliasTable:
    """Which surface forms name which entity. Replaced, never changed, when aliases change, so
    a caller can hold the old one and compare (see :meth:`EntityGraph.entity_names`)."""

    canon: dict[str, str] = field(default_factory=dict)  # lower surface form -> canonical name
    first_names: dict[str, str] = field(default_factory=dict)  # unique first name -> canonical
    # canonical -> its lower surface forms in ``canon`` order
    surfaces: dict[str, tuple[str, ...]] = field(default_factory=dict)
    order: dict[str, int] = field(default_factory=dict)  # lower surface form -> position in canon

    @classmethod
    def build(cls, canon: dict[str, str], first_names: dict[str, str]) -> AliasTable:
        surfaces: dict[str, list[str]] = {}
        for low, canonical in canon.items():
            surfaces.setdefault(canonical, []).append(low)
        return cls(
            canon,
            first_names,
            {c: tuple(lows) for c, lows in surfaces.items()},
            {low: i for i, low in enumerate(canon)},
        )

    def canonical(self, name: str) -> str:
        low = name.strip().lower()
        if low.startswith("#"):
            return low
        if low in self.canon:
            return self.canon[low]
        words = low.split()
        if len(words) == 1 and low in self.first_names:
            return self.first_names[low]
        if len(words) >= 2 and words[0] in self.canon and len(words) == 2 and words[1] in {"'s"}:
            return self.canon[words[0]]
        return name.strip()

    def counts(self, m: Mention) -> bool:
        """Whether a mention names an entity: a weak one only if the name is known."""
        if m.source != WEAK_HEURISTIC:
            return True
        low = m.name.strip().lower()
        return low in self.canon or low in self.first_names


@dataclass(frozen=True)
class BatchResult:
    """What :meth:`EntityGraph.apply_batch` changed beyond the batch itself."""

    alias_changed: bool = False
    # entries outside the batch whose entity names (``entity_names``) changed with the aliases
    renamed: tuple[str, ...] = ()


_HEURISTIC = frozenset({"heuristic", WEAK_HEURISTIC})


@dataclass
class _HubWork:
    """What one write transaction does to the hub tables, applied at its end (``_hub_flush``):
    an edited entry is dropped and inserted again, so its pairs' changes net out to nothing."""

    hubs: dict[str, int]  # hub key -> id, as at the transaction's start (plus promotions)
    # (an entry's hub ids, sorted; its day ordinal; public) -> entries added minus removed:
    # pairs are made at the end, only for what did not net out (an alias change drops and
    # inserts again every entry it touches, most with the same hubs)
    entries: Counter[tuple[tuple[int, ...], int, bool]] = field(default_factory=Counter)
    inserted: set[str] = field(default_factory=set)  # non-hub keys that gained rows


# an exact hub_edge row from the mention rows (a pair's repair, or a new hub's edges)
_EDGE_AGG = """COUNT(*), SUM(e.private=0), MIN(e.date), MAX(e.date),
    MIN(CASE WHEN e.private=0 THEN e.date END), MAX(CASE WHEN e.private=0 THEN e.date END)"""


def _ordinal(iso: str | None) -> int | None:
    return None if iso is None else dt.date.fromisoformat(iso).toordinal()


def _encode(em: EntryMentions, db: sqlite3.Connection) -> bytes:
    """The entry's mentions as word ids (graph_store.pack_mentions: ~5 bytes a mention)."""
    return pack_mentions(
        db, ([(m.name, m.kind, m.source, m.alias) for m in em.mentions], list(em.note_aliases))
    )


def _decode(row: tuple[Any, ...], db: sqlite3.Connection) -> EntryMentions:
    rel, date, title, private, note_name, note_type, data = row
    mentions, note_aliases = unpack_mentions(db, data)
    return EntryMentions(
        rel=rel,
        date=dt.date.fromisoformat(date),
        title=title,
        private=bool(private),
        mentions=tuple(Mention(n, k, s, a) for n, k, s, a in mentions),
        note_name=note_name,
        note_type=note_type,
        note_aliases=tuple(note_aliases),
    )


_ENTRY_COLS = "rel, date, title, private, note_name, note_type, data"


def _raw_lows(em: EntryMentions) -> set[str]:
    """The names an entry writes, lower case, and their first words (the ``raw`` rows)."""
    lows: set[str] = set()
    for name in [em.note_name or "", *(m.name for m in em.mentions)]:
        low = name.strip().lower()
        lows.update((low, *low.split()[:1]))
    lows.discard("")
    return lows


def _forms_json(counts: Counter[str] | None) -> str | None:
    if counts is None:
        return None
    return json.dumps(dict(sorted(counts.items())), ensure_ascii=False, separators=(",", ":"))


def _pairs_of(em: EntryMentions) -> set[tuple[str, str]]:
    pairs: set[tuple[str, str]] = set()
    if em.note_name:
        pairs.add((em.note_name, em.note_name))
        for alias in em.note_aliases:
            pairs.add((em.note_name, alias))
    for m in em.mentions:
        if m.source == "link" and m.alias:
            pairs.add((m.name, m.alias))
    return pairs


def _build_alias_table(
    pairs: Iterable[tuple[str, str, bool]],
    notes: dict[str, str],
    note_types: Mapping[str, str | None] | None = None,
) -> AliasTable:
    """The alias table from the distinct alias pairs and the pages (lower name -> name).

    ``pairs``: (name, other name, from a page): a page's own name and its front-matter aliases
    (True) say who it is; a link's display text (``[[Über Obsidian|Obsidian]]``, False) only
    when the vault gives no reason against it (:func:`_display_is_alias`)."""
    # networkx is slow to import (~0.5 s): only when the alias pairs change, never on a query
    from networkx.utils import UnionFind

    ordered = sorted(set(pairs))
    page_pairs = {(a, b) for a, b, page in ordered if page or a.lower() == b.lower()}
    links = [(a, b) for a, b, page in ordered if (a, b) not in page_pairs]
    strong = UnionFind()
    for a, b in sorted(page_pairs):
        strong.union(a.lower(), b.lower())
    named = {low for pair in page_pairs for low in (pair[0].lower(), pair[1].lower())} | set(notes)
    group_type: dict[str, str] = {}  # a page group's type (its first typed page)
    for low in sorted(named):
        kind = (note_types or {}).get(low)
        if kind:
            group_type.setdefault(strong[low], kind)
    display_groups: dict[str, set[str]] = {}  # display text -> the groups its links point at
    for a, b in links:
        display_groups.setdefault(b.lower(), set()).add(strong[a.lower()])
    kept = sorted(page_pairs) + [
        (a, b) for a, b in links if _display_is_alias(a, b, strong, named, display_groups, group_type)
    ]
    uf = UnionFind()
    surface: dict[str, str] = {}
    for a, b in kept:
        uf.union(a.lower(), b.lower())
        for name in (a, b):
            surface.setdefault(name.lower(), name)
    for a, _b in links:  # a link's target stays a known name when its display text is not
        uf.union(a.lower(), a.lower())
        surface.setdefault(a.lower(), a)
    groups: dict[str, list[str]] = {}
    for low in surface:
        groups.setdefault(uf[low], []).append(low)
    canon: dict[str, str] = {}
    targets = {a.lower() for a, _b in kept}  # what links point at: names, not display texts
    for members in groups.values():
        note_members = [m for m in members if m in notes]
        if note_members:
            canonical = notes[sorted(note_members)[0]]
        else:
            canonical = surface[max(members, key=lambda m: (m in targets, len(m.split()), len(m)))]
        for m in members:
            canon[m] = canonical
    # unique first names of multi-word canonical people ("Priya" -> "Priya Raman")
    firsts: dict[str, set[str]] = {}
    for low, canonical in canon.items():
        words = low.split()
        if len(words) >= 2:
            firsts.setdefault(words[0], set()).add(canonical)
    first_names = {k: next(iter(v)) for k, v in firsts.items() if len(v) == 1}
    return AliasTable.build(canon, first_names)


def _display_is_alias(
    target: str,
    display: str,
    strong: Any,
    named: set[str],
    display_groups: Mapping[str, set[str]],
    group_type: Mapping[str, str],
) -> bool:
    """Whether a link's display text is another name of its target, so that the word in plain
    prose names it too (``[[Samantha Ortiz|Sam]]``). Not when the vault says otherwise:

    - the display text is the name or an alias of another page (``[[Dad|Sam]]``);
    - it is the display text of links to different entities (obsidian-help shows
      ``[[Einführung in Obsidian Sync|Obsidian Sync]]`` in 32 languages: one alias would
      make the 32 pages one entity);
    - it is a part of the target's name, or the target's name a part of it, and the target is
      not a person: the page is *about* the word (``[[Über Obsidian|Obsidian]]``: every
      "Obsidian" would name the German page) or the text says more than the name
      (``[[Markdown|Импорт файлов Markdown]]`` made every "Markdown" the Russian import page);
      a person's first name or surname is theirs (``[[Priya Raman|Priya]]``).
    """
    t_low, d_low = target.lower(), display.lower()
    group = strong[t_low]
    if d_low in named and strong[d_low] != group:
        return False
    if display_groups.get(d_low, {group}) != {group}:
        return False
    if _part_of(d_low.split(), t_low.split()) or _part_of(t_low.split(), d_low.split()):
        page_type = group_type.get(group)
        return page_type in ("person", "pet") if page_type else guess_type(target) == "person"
    return True


def _part_of(part: list[str], whole: list[str]) -> bool:
    """Whether the words ``part`` are a run of the words of ``whole``, and fewer."""
    n = len(part)
    return n < len(whole) and any(whole[i : i + n] == part for i in range(len(whole) - n + 1))


def _resolved(em: EntryMentions, table: AliasTable) -> dict[str, tuple[str, str, bool]]:
    """node key -> (display name, type vote, explicit) for one entry."""
    out: dict[str, tuple[str, str, bool]] = {}
    if em.note_name:
        name = table.canonical(em.note_name)
        out[name.lower()] = (name, em.note_type or "person", True)
    for m in em.mentions:
        if m.source == "link-alias" or not table.counts(m):
            continue
        name = table.canonical(m.name)
        key = name.lower()
        explicit = m.source not in _HEURISTIC
        # a sentence-initial word says nothing about the type: no vote ("")
        kind = "" if m.source == WEAK_HEURISTIC else m.kind
        prev = out.get(key)
        if prev is None or (explicit and not prev[2]) or (kind and not prev[1]):
            out[key] = (name, kind, explicit)
    return out


def _public_of(em: EntryMentions, table: AliasTable) -> tuple[dict[str, Counter[str]], Counter[str]]:
    """What one public entry says about each entity: the spellings it uses, and how often it
    marks the entity up. Names known only from private entries and pages stay out of every
    ``include_private=False`` answer. Nothing for a private entry."""
    forms: dict[str, Counter[str]] = {}
    marked: Counter[str] = Counter()
    if em.private:
        return forms, marked

    def add(key: str, form: str) -> None:
        forms.setdefault(key, Counter())[form.strip()] += 1

    if em.note_name:
        key = table.canonical(em.note_name).lower()
        for form in (em.note_name, *em.note_aliases):
            add(key, form)
        marked[key] += 1
    for m in em.mentions:
        if m.source == "link-alias" or not table.counts(m):
            continue  # (a link's alias is added with the link)
        key = table.canonical(m.name).lower()
        add(key, m.name)
        if m.source == "link" and m.alias:
            add(key, m.alias)
        if m.source not in _HEURISTIC:
            marked[key] += 1
    return forms, marked


def _names_of(em: EntryMentions, t: AliasTable) -> dict[str, str]:
    names: dict[str, str] = {}
    for m in em.mentions:
        if m.kind == "tag" or not t.counts(m):
            continue
        canonical = t.canonical(m.name)
        if m.source == "link-alias" and canonical != t.canonical(m.alias or ""):
            continue  # a display text that is no name of the target ("2", "excluded files")
        names[m.name.lower()] = canonical
        names[canonical.lower()] = canonical
    others = sorted(
        (low for c in set(names.values()) for low in t.surfaces.get(c, ())),
        key=t.order.__getitem__,
    )
    for low in others:
        names.setdefault(low, t.canon[low])
    return names


def _sum_forms(rows: Iterable[str]) -> dict[str, int]:
    """The spellings of ``mention.forms`` rows, summed."""
    total: Counter[str] = Counter()
    for row in rows:
        total.update(json.loads(row))
    return {f: n for f, n in total.items() if n > 0}


def _best_form(forms: dict[str, int]) -> str:
    return max(forms, key=lambda f: (forms[f], sum(ch.isupper() for ch in f), f))


class _EntriesView(Mapping[str, EntryMentions]):
    """``by_entry`` as a read-only mapping over the store (one row per lookup)."""

    def __init__(self, graph: EntityGraph) -> None:
        self._graph = graph

    def __getitem__(self, rel: str) -> EntryMentions:
        em = self._graph.mentions_of(rel)
        if em is None:
            raise KeyError(rel)
        return em

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._graph.known_entries()))

    def __len__(self) -> int:
        return self._graph._count_entries()


class _NodeNames(Mapping[str, Mapping[str, str]]):
    """``graph.nodes[key]["name"]`` for callers written for the networkx attribute."""

    def __init__(self, graph: EntityGraph) -> None:
        self._graph = graph

    def __getitem__(self, key: str) -> Mapping[str, str]:
        if not self._graph._has(key):
            raise KeyError(key)
        return {"name": self._graph.display_name(key)}

    def __iter__(self) -> Iterator[str]:
        return iter(self._graph.node_keys())

    def __len__(self) -> int:
        return len(self._graph.node_keys())


@dataclass(frozen=True)
class _NodesOnly:
    nodes: _NodeNames


class EntityGraph:
    """Entities of a vault and their co-mentions, in a SQLite store (in memory when no path).

    Safe to share between threads (each call holds the store's lock); callers that need
    several calls to agree hold their own lock. Other processes may write the same store:
    what this one caches (the alias table, per-entity names, types and public spellings) is
    dropped when the store changed."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        self._db = connect_store(path)
        self._mutex = threading.RLock()
        self._table: AliasTable | None = None
        self._version: int | None = None
        # (what, key) -> a per-entity fact: warm searches ask for the same few hundred
        # neighbours' names and types again and again (aggregates over their mention rows)
        self._memo: dict[tuple[str, str], Any] = {}
        self._work: _HubWork | None = None  # during a write transaction
        self.by_entry: Mapping[str, EntryMentions] = _EntriesView(self)

    @property
    def graph(self) -> _NodesOnly:
        """Node names the way the networkx attribute gave them (``graph.nodes[k]["name"]``),
        one lookup each; use :meth:`display_name`, or :meth:`nx_graph` for algorithms."""
        return _NodesOnly(_NodeNames(self))

    @classmethod
    def open(cls, path: Path) -> EntityGraph:
        return cls(path)

    def close(self) -> None:
        with self._mutex:
            self._db.close()

    # -- store plumbing --------------------------------------------------------------------
    def _fresh(self) -> None:
        """Drop caches when another connection changed the store."""
        version = self._db.execute("PRAGMA data_version").fetchone()[0]
        if version != self._version:
            self._version = version
            self._table = None
            self._memo.clear()

    def _memoised(self, what: str, key: str, compute: Callable[[], Any]) -> Any:
        with self._mutex:
            self._fresh()
            found = self._memo.get((what, key), _MISSING)
            if found is _MISSING:
                found = self._memo[(what, key)] = compute()
            return found

    def _q(self, sql: str, args: Sequence[Any] = ()) -> list[Any]:
        with self._mutex:
            self._fresh()
            return self._db.execute(sql, args).fetchall()

    def _count_entries(self) -> int:
        return int(self._q("SELECT COUNT(*) FROM entry")[0][0])

    # -- alias table -----------------------------------------------------------------------
    @property
    def aliases(self) -> AliasTable:
        """Surface forms -> canonical names (read from the store when first needed)."""
        with self._mutex:
            self._fresh()
            if self._table is None:
                canon = {
                    low: c
                    for low, c, _ in self._db.execute("SELECT low, canonical, pos FROM alias ORDER BY pos")
                }
                firsts = dict(self._db.execute("SELECT low, canonical FROM first_name").fetchall())
                self._table = AliasTable.build(canon, firsts)
            return self._table

    def _table_from_entries(self) -> AliasTable:
        # (a, b, whether the pair comes from page a itself: its name or a front-matter alias)
        pairs = [
            (a, b, bool(page))
            for a, b, page in self._db.execute(
                "SELECT p.a, p.b, MAX(e.note_name IS NOT NULL AND e.note_name = p.a)"
                " FROM pair p JOIN entry e ON e.id = p.entry GROUP BY p.a, p.b"
            )
        ]
        notes: dict[str, str] = {}
        types: dict[str, str | None] = {}
        for name, low, kind in self._db.execute(
            "SELECT note_name, note_lower, note_type FROM entry WHERE note_lower IS NOT NULL ORDER BY rel"
        ):
            notes[low] = name
            types[low] = kind
        return _build_alias_table(pairs, notes, types)

    def canonical(self, name: str) -> str:
        return self.aliases.canonical(name)

    def counts(self, m: Mention) -> bool:
        """Whether a mention names an entity: a weak one only if the name is known."""
        return self.aliases.counts(m)

    def mentions_of(self, rel: str) -> EntryMentions | None:
        rows = self._q(f"SELECT {_ENTRY_COLS} FROM entry WHERE rel=?", (rel,))
        return _decode(rows[0], self._db) if rows else None

    def entity_names(self, rel: str, table: AliasTable | None = None) -> dict[str, str]:
        """Lower surface form -> canonical name for every entity the entry names, with all the
        other forms of those entities (what the index stores as the entry's entities; an alias
        written in a passage counts). ``table``: an older alias table, to see what changed."""
        em = self.mentions_of(rel)
        if em is None:
            return {}
        return _names_of(em, table if table is not None else self.aliases)

    def _has(self, key: str) -> bool:
        return bool(self._q("SELECT 1 FROM mention WHERE key=? LIMIT 1", (key,)))

    def resolve(self, name: str) -> str | None:
        """The node key for a name, alias or first name, if the graph knows it."""
        key = self.canonical(name).lower()
        return key if self._has(key) else None

    # -- updates ---------------------------------------------------------------------------
    def update(self, entry: Entry) -> None:
        self.apply_batch([entry], [])

    def remove(self, rel: str) -> None:
        self.apply_mentions([], [rel])

    def apply_batch(self, changed: Sequence[Entry], gone: Sequence[str]) -> BatchResult:
        """Bring the graph up to date with changed and deleted entries: one transaction."""
        return self.apply_mentions([entry_mentions(e) for e in changed], gone)

    def apply_mentions(self, new: Sequence[EntryMentions], gone: Sequence[str]) -> BatchResult:
        if not new and not gone:
            return BatchResult()
        with self._mutex:
            before = self.aliases
            db = self._db
            db.execute("BEGIN IMMEDIATE")
            try:
                self._hub_begin()
                touched = list(dict.fromkeys([*gone, *(em.rel for em in new)]))
                pages = any(em.note_name or _pairs_of(em) for em in new)
                for rel in touched:
                    pages = self._delete_entry(rel) or pages
                latest = {em.rel: em for em in new}
                ids = {em.rel: self._insert_entry(em) for em in latest.values()}
                table = self._table_from_entries() if pages else before
                result = BatchResult()
                if table.canon != before.canon or table.first_names != before.first_names:
                    self._write_alias_table(table)
                    result = self._resolve_changed(before, table, set(ids.values()))
                else:
                    for em in latest.values():
                        self._insert_resolved(ids[em.rel], em, table)
                self._hub_flush()
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                self._table = None
                self._memo.clear()
                raise
            finally:
                self._work = None
            self._table = table
            self._memo.clear()
            settle(db, len(new) + len(gone))  # compacted, out of the WAL when large (graph_store.py)
            return result

    def _delete_entry(self, rel: str) -> bool:
        """Delete an entry and its rows; whether it was a page or gave alias pairs."""
        db = self._db
        row = db.execute(f"SELECT id, {_ENTRY_COLS} FROM entry WHERE rel=?", (rel,)).fetchone()
        if row is None:
            return False
        entry_id, old = row[0], _decode(row[1:], db)
        pairs = _pairs_of(old)
        self._drop_mentions(entry_id)
        db.executemany("DELETE FROM pair WHERE a=? AND b=? AND entry=?", [(a, b, entry_id) for a, b in pairs])
        db.executemany("DELETE FROM raw WHERE low=? AND entry=?", [(low, entry_id) for low in _raw_lows(old)])
        db.execute("DELETE FROM entry WHERE id=?", (entry_id,))
        return bool(pairs or old.note_name)

    def _insert_entry(self, em: EntryMentions) -> int:
        cur = self._db.execute(
            f"INSERT INTO entry ({_ENTRY_COLS}, note_lower) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                em.rel,
                em.date.isoformat(),
                em.title,
                int(em.private),
                em.note_name,
                em.note_type if em.note_name else None,
                _encode(em, self._db),
                em.note_name.lower() if em.note_name else None,
            ),
        )
        entry_id = cur.lastrowid
        assert entry_id is not None
        insert_pairs(self._db, _pairs_of(em), entry_id)  # (into the tables under the views)
        insert_raw(self._db, _raw_lows(em), entry_id)
        return entry_id

    def _insert_resolved(self, entry_id: int, em: EntryMentions, table: AliasTable) -> None:
        forms, marked = _public_of(em, table)
        resolved = _resolved(em, table)
        insert_mentions(  # the ``mention`` view's rows, into its table (graph_store.py)
            self._db,
            [
                (
                    key,
                    entry_id,
                    pos,
                    name,
                    kind,
                    int(explicit),
                    marked.get(key, 0),
                    None if em.private else _forms_json(forms.get(key, Counter())),
                )
                for pos, (key, (name, kind, explicit)) in enumerate(resolved.items())
            ],
        )
        self._hub_record(resolved, em.date.toordinal(), not em.private, em.note_name is None, +1)

    def _drop_mentions(self, entry_id: int) -> None:
        """Delete an entry's mention rows (the hub pairs it counted in go down with them)."""
        db = self._db
        row = db.execute(
            "SELECT date, private, note_lower IS NULL FROM entry WHERE id=?", (entry_id,)
        ).fetchone()
        if row is not None:
            keys = [k for (k,) in db.execute("SELECT key FROM mention WHERE entry=?", (entry_id,))]
            day, private, counted = row
            self._hub_record(keys, dt.date.fromisoformat(day).toordinal(), not private, bool(counted), -1)
        db.execute("DELETE FROM mention_ids WHERE entry=?", (entry_id,))  # (the view: row by row)

    # -- hubs: weight-ordered co-mention counts among the most mentioned entities ------------
    def _hub_begin(self) -> None:
        self._work = _HubWork(dict(self._db.execute("SELECT key, id FROM hub").fetchall()))

    def _hub_record(self, keys: Iterable[str], day: int, public: bool, counted: bool, sign: int) -> None:
        work = self._work
        assert work is not None, "hub rows change only inside a write transaction"
        ids: list[int] = []
        for k in keys:
            hub = work.hubs.get(k)
            if hub is not None:
                ids.append(hub)
            elif sign > 0:
                work.inserted.add(k)
        if counted and len(ids) >= 2:  # (a page's co-mentions never count)
            work.entries[(tuple(sorted(ids)), day, public)] += sign

    def _hub_flush(self) -> None:
        """Apply the transaction's net pair changes, then promote the entities that reached
        HUB_MIN rows (each with its exact edges to every hub, from the mention rows)."""
        work = self._work
        assert work is not None
        db = self._db
        added: list[tuple[int, int, int, int, int, int, int | None, int | None]] = []
        repair: list[tuple[int, int, list[tuple[tuple[int, bool], int]]]] = []
        deltas: dict[tuple[int, int], Counter[tuple[int, bool]]] = {}
        for (ids, day, public), n in work.entries.items():
            if n:
                for i, a in enumerate(ids):
                    for b in ids[i + 1 :]:
                        deltas.setdefault((a, b), Counter())[(day, public)] += n
        for (a, b), c in deltas.items():
            net = [(when, n) for when, n in c.items() if n]
            if not net:
                continue  # an edit that kept the pair, its day and its privacy
            if any(n < 0 for _, n in net):
                repair.append((a, b, net))
                continue
            days = [d for (d, _), _ in net]
            pub = [d for (d, p), _ in net if p]
            w = sum(n for _, n in net)
            pw = sum(n for (_, p), n in net if p)
            row = (w, pw, min(days), max(days), min(pub, default=None), max(pub, default=None))
            added += [(a, b, *row), (b, a, *row)]
        db.executemany(
            """INSERT INTO hub_edge VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (a, b) DO UPDATE SET
            w = w + excluded.w, pw = pw + excluded.pw,
            first = min(first, excluded.first), last = max(last, excluded.last),
            pfirst = CASE WHEN excluded.pw = 0 THEN pfirst WHEN pw = 0 THEN excluded.pfirst
                ELSE min(pfirst, excluded.pfirst) END,
            plast = CASE WHEN excluded.pw = 0 THEN plast WHEN pw = 0 THEN excluded.plast
                ELSE max(plast, excluded.plast) END""",
            added,
        )
        if repair:
            keys = {i: k for k, i in work.hubs.items()}
            for a, b, net in repair:
                self._shrink_edge(a, b, net, keys)
        promote = sorted(k for k, n in self._mention_counts(work.inserted - work.hubs.keys()) if n >= HUB_MIN)
        for key in promote:
            cur = db.execute("INSERT INTO hub (key) VALUES (?)", (key,))
            hub = cur.lastrowid
            assert hub is not None
            work.hubs[key] = hub
            # on the id tables, not the ``mention`` view: the view joins each row's name and
            # kind words too (3.6x the time: 12 of a 10k-note first index's 31 s graph write)
            for other, *agg in db.execute(
                f"""SELECT h.id, {_EDGE_AGG} FROM mention_ids x JOIN entry e ON e.id = x.entry
                JOIN mention_ids y ON y.entry = x.entry JOIN word w ON w.id = y.key
                JOIN hub h ON h.key = w.text
                WHERE x.key = (SELECT id FROM word WHERE text = ?) AND e.note_lower IS NULL
                AND h.id != ? GROUP BY h.id""",
                (key, hub),
            ).fetchall():
                self._put_edge(hub, other, tuple(agg))

    def _shrink_edge(
        self, a: int, b: int, net: list[tuple[tuple[int, bool], int]], keys: dict[int, str]
    ) -> None:
        """A pair that lost entries (and maybe gained some): the new row from the stored one,
        or counted again from the mention rows when a lost day was its first or last."""
        db = self._db
        row = db.execute(
            "SELECT w, pw, first, last, pfirst, plast FROM hub_edge WHERE a=? AND b=?", (a, b)
        ).fetchone()
        gone = {d for (d, _), n in net if n < 0}
        gone_public = {d for (d, p), n in net if n < 0 and p}
        if row is None or row[2] in gone or row[3] in gone or row[4] in gone_public or row[5] in gone_public:
            found = db.execute(
                f"""SELECT {_EDGE_AGG} FROM mention x JOIN mention y ON y.key=? AND y.entry=x.entry
                JOIN entry e ON e.id=x.entry WHERE x.key=? AND e.note_lower IS NULL""",
                (keys[b], keys[a]),
            ).fetchone()
            self._put_edge(a, b, found)
            return
        w, pw, first, last, pfirst, plast = row
        days = [d for (d, _), n in net if n > 0]
        public = [d for (d, p), n in net if n > 0 and p]
        if pw == 0:  # no public entry before: its days are the new public ones
            pfirst, plast = min(public, default=None), max(public, default=None)
        else:
            pfirst, plast = min([pfirst, *public]), max([plast, *public])
        w += sum(n for _, n in net)
        pw += sum(n for (_, p), n in net if p)
        if pw <= 0:
            pfirst = plast = None
        self._write_edge(a, b, (w, max(pw, 0), min([first, *days]), max([last, *days]), pfirst, plast))

    def _put_edge(self, a: int, b: int, agg: Sequence[Any]) -> None:
        """Write an exact pair (both directions) from ``_EDGE_AGG``'s row; none when 0."""
        w, pw, first, last, pfirst, plast = agg
        self._write_edge(
            a, b, (w or 0, pw or 0, _ordinal(first), _ordinal(last), _ordinal(pfirst), _ordinal(plast))
        )

    def _write_edge(self, a: int, b: int, row: tuple[Any, ...]) -> None:
        db = self._db
        db.executemany("DELETE FROM hub_edge WHERE a=? AND b=?", [(a, b), (b, a)])
        if row[0] > 0:
            db.executemany(
                "INSERT INTO hub_edge VALUES (?, ?, ?, ?, ?, ?, ?, ?)", [(a, b, *row), (b, a, *row)]
            )

    def _mention_counts(self, keys: set[str]) -> list[tuple[str, int]]:
        wanted = sorted(keys)
        out: list[tuple[str, int]] = []
        for i in range(0, len(wanted), 500):
            chunk = wanted[i : i + 500]
            marks = ",".join("?" * len(chunk))
            out += self._db.execute(
                f"SELECT key, COUNT(*) FROM mention WHERE key IN ({marks}) GROUP BY key", chunk
            ).fetchall()
        return out

    def _write_alias_table(self, table: AliasTable) -> None:
        db = self._db
        db.execute("DELETE FROM alias")
        db.execute("DELETE FROM first_name")
        db.executemany(
            "INSERT INTO alias VALUES (?, ?, ?)",
            [(low, c, table.order[low]) for low, c in table.canon.items()],
        )
        db.executemany("INSERT INTO first_name VALUES (?, ?)", list(table.first_names.items()))

    def _resolve_all(self, before: AliasTable, table: AliasTable, batch: set[int]) -> BatchResult:
        """Resolve every entry again through a new alias table (rare: a page or a link alias
        changed); report the entries outside the batch whose entity names changed."""
        db = self._db
        for t in ("mention_ids", "hub", "hub_edge"):  # tables, not views (graph_store.py)
            db.execute(f"DELETE FROM {t}")
        self._work = _HubWork({})
        renamed: list[str] = []
        for row in db.execute(f"SELECT id, {_ENTRY_COLS} FROM entry ORDER BY rel").fetchall():
            em = _decode(row[1:], db)
            self._insert_resolved(row[0], em, table)
            if row[0] not in batch and _names_of(em, before) != _names_of(em, table):
                renamed.append(em.rel)
        return BatchResult(alias_changed=True, renamed=tuple(renamed))

    def _resolve_changed(self, before: AliasTable, table: AliasTable, batch: set[int]) -> BatchResult:
        """Resolve again, through a new alias table, the batch and the entries whose names
        it maps differently (or whose entities gained or lost a spelling): not the vault."""
        lows = set(before.canon) | set(table.canon) | set(before.first_names) | set(table.first_names)
        moved = {
            low
            for low in lows
            if before.canon.get(low) != table.canon.get(low)
            or before.first_names.get(low) != table.first_names.get(low)
        }
        canonicals = {t.canon[low] for t in (before, table) for low in moved if low in t.canon}
        canonicals |= {t.first_names[low] for t in (before, table) for low in moved if low in t.first_names}
        canonicals |= {
            c
            for c in set(before.surfaces) | set(table.surfaces)
            if before.surfaces.get(c) != table.surfaces.get(c)
        }
        ids = set(batch)
        ids |= self._entries_where("raw", "low", moved)
        ids |= self._entries_where("mention", "key", {c.lower() for c in canonicals})
        db = self._db
        found: list[tuple[str, int, EntryMentions]] = []
        for entry_id in ids:
            self._drop_mentions(entry_id)
            row = db.execute(f"SELECT {_ENTRY_COLS} FROM entry WHERE id=?", (entry_id,)).fetchone()
            if row is not None:
                found.append((row[0], entry_id, _decode(row, db)))
        renamed: list[str] = []
        for rel, entry_id, em in sorted(found, key=lambda f: f[0]):
            self._insert_resolved(entry_id, em, table)
            if entry_id not in batch and _names_of(em, before) != _names_of(em, table):
                renamed.append(rel)
        return BatchResult(alias_changed=True, renamed=tuple(renamed))

    def _entries_where(self, table: str, column: str, values: set[str]) -> set[int]:
        wanted = sorted(values)
        out: set[int] = set()
        for i in range(0, len(wanted), 500):
            chunk = wanted[i : i + 500]
            marks = ",".join("?" * len(chunk))
            sql = f"SELECT DISTINCT entry FROM {table} WHERE {column} IN ({marks})"
            out.update(r for (r,) in self._db.execute(sql, chunk))
        return out

    def rebuild(self) -> None:
        """Build the alias table and every entity row again from the entries' mentions."""
        with self._mutex:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                table = self._table_from_entries()
                self._write_alias_table(table)
                self._resolve_all(table, table, set())
                self._hub_flush()
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                self._table = None
                raise
            finally:
                self._work = None
            self._table = table
            self._memo.clear()
            checkpoint(self._db)

    def clear(self) -> None:
        """Forget everything (a rebuild of the whole vault follows)."""
        with self._mutex:
            self._db.execute("BEGIN IMMEDIATE")
            tables = ("entry", "pair_ids", "raw_ids", "alias", "first_name", "mention_ids", "hub", "hub_edge")
            for table in tables:  # (the tables under the views: graph_store.py)
                self._db.execute(f"DELETE FROM {table}")
            self._db.execute("COMMIT")
            self._table = None
            self._memo.clear()

    # -- per-entity facts ------------------------------------------------------------------
    def display_name(self, key: str) -> str:
        """The spelling most entries use ("Theo" over "theo" on a tie)."""
        name: str = self._memoised("name", key, lambda: self._display_name_of(key))
        return name

    def _display_name_of(self, key: str) -> str:
        names = Counter(
            {n: c for n, c in self._q("SELECT name, COUNT(*) FROM mention WHERE key=? GROUP BY name", (key,))}
        )
        return _display_name(names) if names else key

    def _note_type(self, key: str) -> str | None:
        rows = self._q(
            "SELECT note_type FROM entry WHERE note_lower=? AND note_type IS NOT NULL"
            " ORDER BY rel DESC LIMIT 1",
            (key,),
        )
        return rows[0][0] if rows and rows[0][0] else None

    @staticmethod
    def _type_from(key: str, note_type: str | None, types: Counter[str]) -> str:
        if key.startswith("#"):
            return "tag"
        if note_type:
            return "person" if note_type == "pet" else note_type
        for preferred in ("person", "place", "org"):
            if types.get(preferred, 0) > 0 and types[preferred] >= max(types.values()) / 2:
                return preferred
        votes = [(k, v) for k, v in types.items() if v > 0]
        return max(votes, key=lambda kv: (kv[1], kv[0]))[0] if votes else "topic"

    def _type_of(self, key: str) -> str:
        kind: str = self._memoised("type", key, lambda: self._type_of_key(key))
        return kind

    def _type_of_key(self, key: str) -> str:
        if key.startswith("#"):
            return "tag"
        types: Counter[str] = Counter(
            dict(
                self._q("SELECT kind, COUNT(*) FROM mention WHERE key=? AND kind != '' GROUP BY kind", (key,))
            )
        )
        return self._type_from(key, self._note_type(key), types)

    def _public_forms(self, key: str) -> dict[str, int]:
        forms: dict[str, int] = self._memoised("forms", key, lambda: self._public_forms_of(key))
        return dict(forms)

    def _public_forms_of(self, key: str) -> dict[str, int]:
        return _sum_forms(
            f for (f,) in self._q("SELECT forms FROM mention WHERE key=? AND forms IS NOT NULL", (key,))
        )

    def _public_explicit(self, key: str) -> bool:
        # (``marked`` counts public markup only: a private entry's rows hold 0)
        return bool(self._q("SELECT 1 FROM mention WHERE key=? AND marked>0 LIMIT 1", (key,)))

    def _explicit(self, key: str) -> bool:
        return bool(self._q("SELECT 1 FROM mention WHERE key=? AND explicit=1 LIMIT 1", (key,)))

    @staticmethod
    def _public_name(name: str, forms: dict[str, int]) -> str:
        if not forms or name.lower() in {f.lower() for f in forms}:
            return name
        return _best_form(forms)

    def _name_of(self, key: str, include_private: bool) -> str:
        """The entity's name; in the public view, a spelling public text uses."""
        name = self.display_name(key)
        if include_private:
            return name
        return self._public_name(name, self._public_forms(key))

    def _key_for(self, name: str, include_private: bool) -> str | None:
        """``resolve``; in the public view only through a name public text uses (a name known
        only from a private page must not find, and so confirm, anyone)."""
        key = self.resolve(name)
        if key is None or include_private or key.startswith("#"):
            return key
        low = name.strip().lower()
        forms = self._public_forms(key)
        if (
            low in {f.lower() for f in forms}
            or low == self._public_name(self.display_name(key), forms).lower()
        ):
            return key
        return None

    def _aliases_from(
        self, key: str, name: str, include_private: bool, forms: dict[str, int]
    ) -> tuple[str, ...]:
        lows = set(self.aliases.surfaces.get(name, ()))
        if include_private:
            return tuple(sorted(low for low in lows if low != key))
        public = {f.lower() for f in forms}
        own = self._public_name(name, forms).lower()
        return tuple(sorted(low for low in lows & public if low != own))

    def aliases_of(self, key: str, include_private: bool = True) -> tuple[str, ...]:
        """Other spellings of an entity (lower case); in the public view, only those public
        text uses: an alias from a private person page never shows."""
        forms = {} if include_private else self._public_forms(key)
        return self._aliases_from(key, self.display_name(key), include_private, forms)

    def _dated(self, key: str, include_private: bool) -> list[tuple[str, dt.date, str, bool]]:
        vis = "" if include_private else " AND e.private=0"
        return [
            (rel, dt.date.fromisoformat(d), title, bool(note))
            for rel, d, title, note in self._q(
                "SELECT e.rel, e.date, e.title, e.note_lower IS NOT NULL"
                f" FROM mention m JOIN entry e ON e.id = m.entry WHERE m.key=?{vis} ORDER BY e.date, e.rel",
                (key,),
            )
        ]

    def info(self, key: str, include_private: bool = True) -> EntityInfo | None:
        what = "info" if include_private else "public-info"
        found: EntityInfo | None = self._memoised(
            what, key, lambda: self._infos(include_private, key).get(key)
        )
        return found

    def _infos(self, include_private: bool, key: str | None = None) -> dict[str, EntityInfo]:
        """Entity facts, for one key or all of them, in a few aggregate queries."""
        where, args = ("WHERE key=?", (key,)) if key is not None else ("", ())
        # the aggregates group the integer ids of the store's tables (graph_store.py), not the
        # views' texts: grouping by text sorted every mention row (2-3x slower for all keys)
        m_where = "WHERE m.key=(SELECT id FROM word WHERE text=?)" if key is not None else ""
        vis = "1" if include_private else "e.private=0"
        note = "e.note_lower IS NULL"
        rows = self._q(
            f"""SELECT k.text,
                SUM(CASE WHEN {vis} AND {note} THEN 1 ELSE 0 END),
                MIN(CASE WHEN {vis} AND {note} THEN e.date END),
                MAX(CASE WHEN {vis} AND {note} THEN e.date END),
                MIN(CASE WHEN {vis} THEN e.date END),
                MAX(CASE WHEN {vis} THEN e.date END),
                MAX(m.explicit),
                MAX(CASE WHEN m.marked>0 THEN 1 ELSE 0 END)
            FROM mention_ids m JOIN entry e ON e.id = m.entry JOIN word k ON k.id = m.key {m_where}
            GROUP BY m.key""",
            args,
        )
        rows = [r for r in rows if r[4] is not None]  # nothing visible: no entity
        if not rows:
            return {}
        names: dict[str, Counter[str]] = {}
        for k, n, c in self._q(
            f"""SELECT k.text, n.text, COUNT(*) FROM mention_ids m JOIN word k ON k.id = m.key
            JOIN word n ON n.id = m.name {m_where} GROUP BY m.key, m.name""",
            args,
        ):
            names.setdefault(k, Counter())[n] = c
        votes: dict[str, Counter[str]] = {}
        kind_where = f"{m_where} AND c.text != ''" if m_where else "WHERE c.text != ''"
        for k, kind, c in self._q(
            f"""SELECT k.text, c.text, COUNT(*) FROM mention_ids m JOIN word k ON k.id = m.key
            JOIN word c ON c.id = m.kind {kind_where} GROUP BY m.key, m.kind""",
            args,
        ):
            votes.setdefault(k, Counter())[kind] = c
        note_where = "AND note_lower=?" if key is not None else ""
        note_types: dict[str, str] = {}
        for low, t in self._q(
            f"SELECT note_lower, note_type FROM entry WHERE note_type IS NOT NULL {note_where} ORDER BY rel",
            args,
        ):
            if t:
                note_types[low] = t
        forms: dict[str, dict[str, int]] = {}
        if not include_private:
            forms_where = f"{where} AND forms IS NOT NULL" if where else "WHERE forms IS NOT NULL"
            per_key: dict[str, list[str]] = {}
            for k, f in self._q(f"SELECT key, forms FROM mention {forms_where}", args):
                per_key.setdefault(k, []).append(f)
            forms = {k: _sum_forms(fs) for k, fs in per_key.items()}
        out: dict[str, EntityInfo] = {}
        for k, count, nfirst, nlast, afirst, alast, explicit, marked in rows:
            name = _display_name(names[k])
            f = forms.get(k, {})
            first, last = (nfirst, nlast) if count else (afirst, alast)
            out[k] = EntityInfo(
                name=name if include_private else self._public_name(name, f),
                type=self._type_from(k, note_types.get(k), votes.get(k, Counter())),
                count=int(count),
                first=dt.date.fromisoformat(first),
                last=dt.date.fromisoformat(last),
                aliases=self._aliases_from(k, name, include_private, f),
                explicit=bool(explicit if include_private else marked),
            )
        return out

    def entities(
        self, kind: str | None = None, include_private: bool = True, min_count: int = 1
    ) -> list[EntityInfo]:
        """Entities sorted by mention count; heuristic-only ones need two entries."""
        out = [
            info
            for info in self._infos(include_private).values()
            if not (kind and info.type != kind)
            and info.count >= min_count
            and (info.explicit or info.count >= 2)
        ]
        out.sort(key=lambda i: (-i.count, i.name.lower()))
        return out

    def _neighbours(self, key: str, include_private: bool) -> list[tuple[str, int, str, str]]:
        """(other key, entries mentioning both, first, last), strongest first."""
        vis = "" if include_private else " AND e.private=0"
        return self._q(
            f"""SELECT b.key, COUNT(*) AS w, MIN(e.date), MAX(e.date)
            FROM mention a JOIN entry e ON e.id = a.entry JOIN mention b ON b.entry = a.entry
            WHERE a.key=? AND e.note_lower IS NULL AND b.key != a.key{vis}
            GROUP BY b.key ORDER BY w DESC, b.key""",
            (key,),
        )

    def related(self, name: str, limit: int = 10, include_private: bool = True) -> list[Related]:
        """The ``limit`` entities mentioned with ``name`` in most entries (pages apart), with
        the first and last day they were; ties at the last place are broken by name."""
        key = self._key_for(name, include_private)
        if key is None or limit <= 0:
            return []
        memo = f"{key}\0{limit}\0{int(include_private)}"
        found: list[Related] = self._memoised(
            "related", memo, lambda: self._related(key, limit, include_private)
        )
        return list(found)

    def _related(self, key: str, limit: int, include_private: bool) -> list[Related]:
        top = self._hub_neighbours(key, limit, include_private)
        if top is not None:
            # weights >= HUB_MIN >= 2: every one is an entity (two entries at least)
            ranked = sorted(
                ((self._name_of(o, include_private), o, w, f, la) for o, w, f, la in top),
                key=lambda r: (-r[2], r[0].lower(), r[1]),
            )[:limit]
            return [
                Related(n, self._type_of(o), int(w), dt.date.fromordinal(f), dt.date.fromordinal(la))
                for n, o, w, f, la in ranked
            ]
        out: list[Related] = []
        for other, weight, first, last in self._neighbours(key, include_private):
            if len(out) >= limit and weight < out[-1].weight:
                break
            # two entries naming both make ``other`` an entity: only a weight of 1 asks
            explicit = weight >= 2 or (
                self._explicit(other) if include_private else self._public_explicit(other)
            )
            if not explicit:
                info = self.info(other, include_private)
                if info is None or info.count < 2:
                    continue
            out.append(
                Related(
                    self._name_of(other, include_private),
                    self._type_of(other),
                    int(weight),
                    dt.date.fromisoformat(first),
                    dt.date.fromisoformat(last),
                )
            )
        out.sort(key=lambda r: (-r.weight, r.name.lower()))
        return out[:limit]

    def _hub_neighbours(
        self, key: str, limit: int, include_private: bool
    ) -> list[tuple[str, int, int, int]] | None:
        """A hub's neighbours with weight >= its ``limit``-th (other key, weight, first and
        last day ordinals), read in weight order from ``hub_edge``; None unless that is the
        exact answer (not a hub, or the ``limit``-th weight is under HUB_MIN, which an
        entity outside the hubs could reach)."""
        w, first, last = ("w", "first", "last") if include_private else ("pw", "pfirst", "plast")
        # one statement, so one snapshot of a store another process may be writing
        rows: list[tuple[str, int, int, int]] = self._q(
            f"""WITH kth AS (
                SELECT x.{w} AS w FROM hub h JOIN hub_edge x ON x.a = h.id
                WHERE h.key=? AND x.{w}>0 ORDER BY x.{w} DESC LIMIT 1 OFFSET ?)
            SELECT o.key, x.{w}, x.{first}, x.{last}
            FROM kth, hub h JOIN hub_edge x ON x.a = h.id JOIN hub o ON o.id = x.b
            WHERE h.key=? AND kth.w >= ? AND x.{w} >= kth.w ORDER BY x.{w} DESC""",
            (key, limit - 1, key, HUB_MIN),
        )
        return rows or None

    def timeline(self, name: str, include_private: bool = True) -> list[TimelinePoint]:
        key = self._key_for(name, include_private)
        if key is None:
            return []
        return [
            TimelinePoint(d, rel, title)
            for rel, d, title, note in self._dated(key, include_private)
            if not note
        ]

    def entities_in(self, rel: str) -> list[str]:
        return [
            n
            for (n,) in self._q(
                "SELECT m.name FROM entry e JOIN mention m ON m.entry = e.id WHERE e.rel=? ORDER BY m.pos",
                (rel,),
            )
        ]

    def entities_in_many(self, rels: Iterable[str]) -> dict[str, list[str]]:
        """``entities_in`` for many entries in one query each 500 (a search re-ranks ~60
        passages' entries: one query, not 60)."""
        wanted = sorted(set(rels))
        out: dict[str, list[str]] = {rel: [] for rel in wanted}
        for i in range(0, len(wanted), 500):
            chunk = wanted[i : i + 500]
            marks = ",".join("?" * len(chunk))
            for rel, name in self._q(
                # (the id table, not the mention view: that also joins each row's key and kind)
                f"""SELECT e.rel, n.text FROM entry e JOIN mention_ids m ON m.entry = e.id
                JOIN word n ON n.id = m.name WHERE e.rel IN ({marks}) ORDER BY e.rel, m.pos""",
                chunk,
            ):
                out[rel].append(name)
        return out

    def find_in_text(self, text: str) -> list[str]:
        """Node keys named in free text (a question): aliases, first names, tags.

        Names the user marked up (pages, links, @, people) match in any case ("sam");
        names only guessed from capitalised prose must be capitalised in the question too,
        or "back" would find a "BACK" someone once shouted in an entry."""
        norm = " " + " ".join(text.replace("?", " ").replace(",", " ").split()) + " "
        low = norm.lower()
        words = low.split()
        grams: set[str] = set()
        for i in range(len(words)):
            for j in range(i + 1, min(len(words), i + 8) + 1):
                gram = " ".join(words[i:j])
                for g in {gram, gram.removesuffix("'s"), gram.lstrip("#")}:
                    grams.update((g, "#" + g))
        table = self.aliases
        candidates = {g for g in grams if g in table.canon or g in table.first_names}
        keys_known = self._known_keys(grams)
        found: dict[str, None] = {}
        for cand in sorted(candidates | keys_known):
            if len(cand) < 2:
                continue
            probe = cand[1:] if cand.startswith("#") else cand
            hit = next((p for p in (f" {probe} ", f" {probe}'s ", f" #{probe} ") if p in low), None)
            if hit is None:
                continue
            key = self.resolve(cand)
            if key is None:
                continue
            explicit = key.startswith("#") or self._explicit(key)
            if not explicit:
                at = low.index(hit)
                if not norm[at : at + len(hit)].strip()[:1].isupper():
                    continue
            found[key] = None
        return list(found)

    def _known_keys(self, keys: Iterable[str]) -> set[str]:
        wanted = sorted(set(keys))
        out: set[str] = set()
        for i in range(0, len(wanted), 500):
            chunk = wanted[i : i + 500]
            marks = ",".join("?" * len(chunk))
            out.update(
                k for (k,) in self._q(f"SELECT DISTINCT key FROM mention WHERE key IN ({marks})", chunk)
            )
        return out

    # -- whole-graph views (tests, algorithms) ---------------------------------------------
    def node_keys(self) -> list[str]:
        return [k for (k,) in self._q("SELECT DISTINCT key FROM mention ORDER BY key")]

    def edges(self) -> list[tuple[str, str, int, dt.date, dt.date]]:
        """Co-mention edges (a < b, entries mentioning both, first, last): the whole graph."""
        return [
            (a, b, int(w), dt.date.fromisoformat(f), dt.date.fromisoformat(la))
            for a, b, w, f, la in self._q(
                """SELECT a.key, b.key, COUNT(*), MIN(e.date), MAX(e.date)
                FROM mention a JOIN entry e ON e.id = a.entry
                JOIN mention b ON b.entry = a.entry AND b.key > a.key
                WHERE e.note_lower IS NULL GROUP BY a.key, b.key ORDER BY a.key, b.key"""
            )
        ]

    def public_view(self) -> tuple[dict[str, dict[str, int]], set[str]]:
        """What public entries say: key -> spellings and counts; keys marked up publicly."""
        per_key: dict[str, list[str]] = {}
        for k, f in self._q("SELECT key, forms FROM mention WHERE forms IS NOT NULL"):
            per_key.setdefault(k, []).append(f)
        forms = {k: v for k, fs in per_key.items() if (v := _sum_forms(fs))}
        marked = {k for (k,) in self._q("SELECT DISTINCT key FROM mention WHERE marked>0")}
        return forms, marked

    def nx_graph(self, keys: Iterable[str] | None = None) -> nx.Graph:
        """A networkx graph of the co-mentions (only among ``keys`` when given), built now:
        for algorithms that need one. Nodes carry ``name``; edges ``weight``, ``first``,
        ``last``."""
        import networkx as nx

        wanted = None if keys is None else set(keys)
        g = nx.Graph()
        for k in self.node_keys():
            if wanted is None or k in wanted:
                g.add_node(k, name=self.display_name(k))
        for a, b, w, first, last in self.edges():
            if wanted is None or (a in wanted and b in wanted):
                g.add_edge(a, b, weight=w, first=first, last=last)
        return g

    def entry_counts(self) -> tuple[int, int]:
        """(entries, private ones) in the store, in one aggregate query (`doctor`)."""
        n, private = self._q("SELECT COUNT(*), COALESCE(SUM(private), 0) FROM entry")[0]
        return int(n), int(private)

    def entity_count(self) -> int:
        """``len(self.entities())`` in one aggregate query, without building each entity."""
        return int(
            self._q(
                """SELECT COUNT(*) FROM (SELECT m.key FROM mention_ids m JOIN entry e ON e.id = m.entry
                GROUP BY m.key HAVING SUM(e.note_lower IS NULL) >= 1
                AND (MAX(m.explicit) > 0 OR SUM(e.note_lower IS NULL) >= 2))"""
            )[0][0]
        )

    def known_entries(self) -> Iterable[str]:
        return [r for (r,) in self._q("SELECT rel FROM entry")]
