"""L1 entity graph: people, places, orgs, topics and tags, linked by co-mention over time.

Source of truth is the per-entry list of mentions (``EntryMentions``); the networkx graph is
derived from it, updated incrementally per entry, and rebuilt whole only when the alias table
changes (a person page edited, a new ``[[Full Name|nick]]`` link). Persisted as JSON
(networkx node-link data plus the per-entry mentions) outside the vault.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import tempfile
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import combinations
from pathlib import Path
from typing import Any

import networkx as nx

from journal_me.memory.entities import WEAK_HEURISTIC, Mention, extract_mentions
from journal_me.vault import Entry

GRAPH_FORMAT = 3  # 3: sentence-initial names kept as weak mentions
MAX_HEURISTIC_PER_ENTRY = 40


def _flag(value: Any) -> bool:
    if not isinstance(value, bool):
        raise TypeError("private is not a boolean")
    return value


def _optional_str(value: Any) -> str | None:
    if value is not None and not isinstance(value, str):
        raise TypeError("expected a string")
    return value


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


@dataclass
class _UnionFind:
    parent: dict[str, str] = field(default_factory=dict)

    def find(self, x: str) -> str:
        self.parent.setdefault(x, x)
        root = x
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[x] != root:
            self.parent[x], x = root, self.parent[x]
        return root

    def union(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[rb] = ra


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


@dataclass
class _PublicView:
    """What public entries alone say about each entity (node key): the spellings they use and
    whether they mark it up. Names and aliases known only from private entries and pages stay
    out of every ``include_private=False`` answer."""

    forms: dict[str, Counter[str]] = field(default_factory=dict)  # key -> spelling -> count
    marked: Counter[str] = field(default_factory=Counter)  # key -> explicit public mentions

    def spellings(self, key: str) -> dict[str, int]:
        return {f: n for f, n in self.forms.get(key, Counter()).items() if n > 0}

    def lows(self, key: str) -> set[str]:
        return {f.lower() for f in self.spellings(key)}

    def explicit(self, key: str) -> bool:
        return self.marked.get(key, 0) > 0


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


class EntityGraph:
    """Entities of a vault and their co-mentions. Not thread-safe: callers hold a lock."""

    def __init__(self) -> None:
        self.by_entry: dict[str, EntryMentions] = {}
        self.graph: nx.Graph = nx.Graph()
        self._alias_sig: tuple[tuple[str, str], ...] = ()
        self.aliases = AliasTable()  # surface forms -> canonical names
        self._note_types: dict[str, str] = {}
        self._encoded: dict[str, tuple[EntryMentions, str]] = {}  # rel -> (mentions, its JSON)
        # built on the first public query, kept up to date by _apply, dropped by rebuild
        self._public: _PublicView | None = None

    # -- alias table -----------------------------------------------------------------------
    def _alias_pairs(self) -> tuple[tuple[str, str], ...]:
        pairs: set[tuple[str, str]] = set()
        for em in self.by_entry.values():
            if em.note_name:
                pairs.add((em.note_name, em.note_name))
                for alias in em.note_aliases:
                    pairs.add((em.note_name, alias))
            for m in em.mentions:
                if m.source == "link" and m.alias:
                    pairs.add((m.name, m.alias))
        return tuple(sorted(pairs))

    def _build_alias_table(self) -> None:
        uf = _UnionFind()
        notes: dict[str, str] = {}
        self._note_types = {}
        for em in self.by_entry.values():
            if em.note_name:
                notes[em.note_name.lower()] = em.note_name
                if em.note_type:
                    self._note_types[em.note_name.lower()] = em.note_type
        for a, b in self._alias_pairs():
            uf.union(a.lower(), b.lower())
        groups: dict[str, list[str]] = {}
        surface: dict[str, str] = {}
        for a, b in self._alias_pairs():
            for name in (a, b):
                surface.setdefault(name.lower(), name)
                groups.setdefault(uf.find(name.lower()), [])
        for low in surface:
            groups[uf.find(low)].append(low)
        canon: dict[str, str] = {}
        for members in groups.values():
            note_members = [m for m in members if m in notes]
            if note_members:
                canonical = notes[sorted(note_members)[0]]
            else:
                canonical = surface[max(members, key=lambda m: (len(m.split()), len(m)))]
            for m in members:
                canon[m] = canonical
        # unique first names of multi-word canonical people ("Priya" -> "Priya Raman")
        firsts: dict[str, set[str]] = {}
        for low, canonical in canon.items():
            words = low.split()
            if len(words) >= 2:
                firsts.setdefault(words[0], set()).add(canonical)
        first_names = {k: next(iter(v)) for k, v in firsts.items() if len(v) == 1}
        self.aliases = AliasTable.build(canon, first_names)
        self._alias_sig = self._alias_pairs()

    def canonical(self, name: str) -> str:
        return self.aliases.canonical(name)

    def counts(self, m: Mention) -> bool:
        """Whether a mention names an entity: a weak one only if the name is known."""
        return self.aliases.counts(m)

    def entity_names(self, rel: str, table: AliasTable | None = None) -> dict[str, str]:
        """Lower surface form -> canonical name for every entity the entry names, with all the
        other forms of those entities (what the index stores as the entry's entities; an alias
        written in a passage counts). ``table``: an older alias table, to see what changed."""
        t = table if table is not None else self.aliases
        em = self.by_entry.get(rel)
        names: dict[str, str] = {}
        if em is None:
            return names
        for m in em.mentions:
            if m.kind == "tag" or not t.counts(m):
                continue
            canonical = t.canonical(m.name)
            names[m.name.lower()] = canonical
            names[canonical.lower()] = canonical
        others = sorted(
            (low for c in set(names.values()) for low in t.surfaces.get(c, ())),
            key=t.order.__getitem__,
        )
        for low in others:
            names.setdefault(low, t.canon[low])
        return names

    def resolve(self, name: str) -> str | None:
        """The node key for a name, alias or first name, if the graph knows it."""
        key = self.canonical(name).lower()
        return key if key in self.graph else None

    # -- updates ---------------------------------------------------------------------------
    def update(self, entry: Entry) -> None:
        self.update_mentions(entry_mentions(entry))

    def update_mentions(self, em: EntryMentions) -> None:
        old = self.by_entry.get(em.rel)
        if old is not None:
            self._apply(old, -1)
        self.by_entry[em.rel] = em
        if self._alias_pairs() != self._alias_sig:
            self.rebuild()
        else:
            self._apply(em, +1)

    def remove(self, rel: str) -> None:
        old = self.by_entry.pop(rel, None)
        if old is None:
            return
        if self._alias_pairs() != self._alias_sig:
            self.rebuild()
        else:
            self._apply(old, -1)

    def rebuild(self) -> None:
        self._public = None
        self._build_alias_table()
        self.graph = nx.Graph()
        for em in self.by_entry.values():
            self._apply(em, +1)

    def _resolved(self, em: EntryMentions) -> dict[str, tuple[str, str, bool]]:
        """node key -> (display name, type vote, explicit) for one entry."""
        out: dict[str, tuple[str, str, bool]] = {}
        if em.note_name:
            name = self.canonical(em.note_name)
            out[name.lower()] = (name, em.note_type or "person", True)
        for m in em.mentions:
            if m.source == "link-alias" or not self.counts(m):
                continue
            name = self.canonical(m.name)
            key = name.lower()
            explicit = m.source not in {"heuristic", WEAK_HEURISTIC}
            # a sentence-initial word says nothing about the type: no vote ("")
            kind = "" if m.source == WEAK_HEURISTIC else m.kind
            prev = out.get(key)
            if prev is None or (explicit and not prev[2]) or (kind and not prev[1]):
                out[key] = (name, kind, explicit)
        return out

    def _apply(self, em: EntryMentions, sign: int) -> None:
        if self._public is not None:
            self._public_apply(self._public, em, sign)
        g = self.graph
        resolved = self._resolved(em)
        for key, (name, kind, explicit) in resolved.items():
            if sign > 0:
                if key not in g:
                    g.add_node(
                        key, name=name, entries={}, types=Counter(), explicit=Counter(), names=Counter()
                    )
                data = g.nodes[key]
                data["entries"][em.rel] = (em.date, em.private, em.title)
                if kind:
                    data["types"][kind] += 1
                data["explicit"][explicit] += 1
                data["names"][name] += 1
                data["name"] = _display_name(data["names"])
            elif key in g:
                data = g.nodes[key]
                data["entries"].pop(em.rel, None)
                if kind:
                    data["types"][kind] -= 1
                data["explicit"][explicit] -= 1
                data["names"][name] -= 1
                if not data["entries"]:
                    g.remove_node(key)
                else:
                    data["name"] = _display_name(data["names"])
        if em.note_name:
            # pages describe an entity; they do not co-mention things in time
            return
        keys = sorted(k for k in resolved if k in g)
        for a, b in combinations(keys, 2):
            if sign > 0:
                if g.has_edge(a, b):
                    g[a][b]["entries"][em.rel] = em.date
                else:
                    g.add_edge(a, b, entries={em.rel: em.date})
            elif g.has_edge(a, b):
                g[a][b]["entries"].pop(em.rel, None)
                if not g[a][b]["entries"]:
                    g.remove_edge(a, b)

    # -- queries ---------------------------------------------------------------------------
    def _type_of(self, key: str) -> str:
        if key.startswith("#"):
            return "tag"
        if key in self._note_types:
            t = self._note_types[key]
            return "person" if t == "pet" else t
        types: Counter[str] = self.graph.nodes[key]["types"]
        for preferred in ("person", "place", "org"):
            if types.get(preferred, 0) > 0 and types[preferred] >= max(types.values()) / 2:
                return preferred
        votes = [(k, v) for k, v in types.items() if v > 0]  # removals leave zero counts
        best = max(votes, key=lambda kv: (kv[1], kv[0]))[0] if votes else "topic"
        return best

    def _public_view(self) -> _PublicView:
        """What public entries say, built once (a pass over every mention), then kept up to
        date entry by entry: a bridge search after a save does not pay the pass again."""
        if self._public is None:
            view = _PublicView()
            for em in self.by_entry.values():
                self._public_apply(view, em, +1)
            self._public = view
        return self._public

    def _public_apply(self, view: _PublicView, em: EntryMentions, sign: int) -> None:
        """Add (``sign`` +1) or take away (-1) one entry's spellings and markup, as
        :meth:`_resolved` reads its mentions."""
        if em.private:
            return
        heuristic = {"heuristic", WEAK_HEURISTIC}

        def add(key: str, form: str) -> None:
            forms = view.forms.get(key)
            if forms is None:
                forms = view.forms[key] = Counter()
            forms[form.strip()] += sign

        if em.note_name:
            key = self.canonical(em.note_name).lower()
            for form in (em.note_name, *em.note_aliases):
                add(key, form)
            view.marked[key] += sign
        for m in em.mentions:
            if m.source == "link-alias" or not self.counts(m):
                continue  # (a link's alias is added with the link)
            key = self.canonical(m.name).lower()
            add(key, m.name)
            if m.source == "link" and m.alias:
                add(key, m.alias)
            if m.source not in heuristic:
                view.marked[key] += sign

    def _name_of(self, key: str, include_private: bool) -> str:
        """The entity's name; in the public view, a spelling public text uses."""
        name: str = self.graph.nodes[key]["name"]
        if include_private:
            return name
        forms = self._public_view().spellings(key)
        if not forms or name.lower() in {f.lower() for f in forms}:
            return name
        return max(forms, key=lambda f: (forms[f], sum(ch.isupper() for ch in f), f))

    def _key_for(self, name: str, include_private: bool) -> str | None:
        """``resolve``; in the public view only through a name public text uses (a name known
        only from a private page must not find, and so confirm, anyone)."""
        key = self.resolve(name)
        if key is None or include_private or key.startswith("#"):
            return key
        low = name.strip().lower()
        if low in self._public_view().lows(key) or low == self._name_of(key, False).lower():
            return key
        return None

    def aliases_of(self, key: str, include_private: bool = True) -> tuple[str, ...]:
        """Other spellings of an entity (lower case); in the public view, only those public
        text uses: an alias from a private person page never shows."""
        name = self.graph.nodes[key]["name"]
        lows = set(self.aliases.surfaces.get(name, ()))
        if include_private:
            return tuple(sorted(low for low in lows if low != key))
        public = self._public_view().lows(key)
        own = self._name_of(key, False).lower()
        return tuple(sorted(low for low in lows & public if low != own))

    def _dated(self, key: str, include_private: bool) -> list[tuple[str, dt.date, str]]:
        entries = self.graph.nodes[key]["entries"]
        return sorted(
            ((rel, d, title) for rel, (d, priv, title) in entries.items() if include_private or not priv),
            key=lambda t: (t[1], t[0]),
        )

    def info(self, key: str, include_private: bool = True) -> EntityInfo | None:
        if key not in self.graph:
            return None
        all_dated = self._dated(key, include_private)
        if not all_dated:
            return None
        data = self.graph.nodes[key]
        # pages about the entity are not mentions in time
        dated = [t for t in all_dated if not self.by_entry[t[0]].note_name] or all_dated
        explicit = data["explicit"].get(True, 0) > 0 if include_private else self._public_view().explicit(key)
        return EntityInfo(
            name=self._name_of(key, include_private),
            type=self._type_of(key),
            count=sum(1 for rel, _, _ in dated if not self.by_entry[rel].note_name),
            first=dated[0][1],
            last=dated[-1][1],
            aliases=self.aliases_of(key, include_private),
            explicit=explicit,
        )

    def entities(
        self, kind: str | None = None, include_private: bool = True, min_count: int = 1
    ) -> list[EntityInfo]:
        """Entities sorted by mention count; heuristic-only ones need two entries."""
        out: list[EntityInfo] = []
        for key in self.graph.nodes:
            info = self.info(key, include_private)
            if info is None or (kind and info.type != kind):
                continue
            if info.count < min_count or (not info.explicit and info.count < 2):
                continue
            out.append(info)
        out.sort(key=lambda i: (-i.count, i.name.lower()))
        return out

    def related(self, name: str, limit: int = 10, include_private: bool = True) -> list[Related]:
        key = self._key_for(name, include_private)
        if key is None:
            return []
        # Rank neighbours by co-mention count first and describe only the best few: computing
        # each neighbour's full info walks all its entries (slow for a person met daily).
        weighted: list[tuple[int, str, list[dt.date]]] = []
        for other in self.graph.neighbors(key):
            entries = self.graph[key][other]["entries"]
            dates = [d for rel, d in entries.items() if include_private or not self.by_entry[rel].private]
            if dates:
                weighted.append((len(dates), other, dates))
        weighted.sort(key=lambda t: (-t[0], t[1]))
        out: list[Related] = []
        for weight, other, dates in weighted:
            if len(out) >= limit and weight < out[-1].weight:
                break
            data = self.graph.nodes[other]
            if include_private:
                explicit = data["explicit"].get(True, 0) > 0
            else:
                explicit = self._public_view().explicit(other)
            if not explicit:
                info = self.info(other, include_private)
                if info is None or info.count < 2:
                    continue
            out.append(
                Related(
                    self._name_of(other, include_private),
                    self._type_of(other),
                    weight,
                    min(dates),
                    max(dates),
                )
            )
        out.sort(key=lambda r: (-r.weight, r.name.lower()))
        return out[:limit]

    def timeline(self, name: str, include_private: bool = True) -> list[TimelinePoint]:
        key = self._key_for(name, include_private)
        if key is None:
            return []
        return [
            TimelinePoint(d, rel, title)
            for rel, d, title in self._dated(key, include_private)
            if not self.by_entry[rel].note_name
        ]

    def entities_in(self, rel: str) -> list[str]:
        em = self.by_entry.get(rel)
        if em is None:
            return []
        return [name for name, _, _ in self._resolved(em).values()]

    def find_in_text(self, text: str) -> list[str]:
        """Node keys named in free text (a question): aliases, first names, tags.

        Names the user marked up (pages, links, @, people) match in any case ("sam");
        names only guessed from capitalised prose must be capitalised in the question too,
        or "back" would find a "BACK" someone once shouted in an entry."""
        norm = " " + " ".join(text.replace("?", " ").replace(",", " ").split()) + " "
        low = norm.lower()
        found: dict[str, None] = {}
        candidates = set(self.aliases.canon) | set(self.aliases.first_names) | set(self.graph.nodes)
        for cand in candidates:
            if len(cand) < 2:
                continue
            probe = cand[1:] if cand.startswith("#") else cand
            hit = next((p for p in (f" {probe} ", f" {probe}'s ", f" #{probe} ") if p in low), None)
            if hit is None:
                continue
            key = self.resolve(cand)
            if key is None:
                continue
            explicit = key.startswith("#") or self.graph.nodes[key]["explicit"].get(True, 0) > 0
            if not explicit:
                at = low.index(hit)
                if not norm[at : at + len(hit)].strip()[:1].isupper():
                    continue
            found[key] = None
        return list(found)

    # -- persistence -----------------------------------------------------------------------
    @staticmethod
    def _entry_json(em: EntryMentions) -> dict[str, Any]:
        return {
            "date": em.date.isoformat(),
            "title": em.title,
            "private": em.private,
            "note_name": em.note_name,
            "note_type": em.note_type,
            "note_aliases": list(em.note_aliases),
            "mentions": [[m.name, m.kind, m.source, m.alias] for m in em.mentions],
        }

    def _graph_json(self) -> dict[str, Any]:
        g = nx.Graph()
        for key in self.graph.nodes:
            info = self.info(key)
            if info is None:
                continue
            g.add_node(
                key,
                name=info.name,
                type=info.type,
                count=info.count,
                first=info.first.isoformat() if info.first else None,
                last=info.last.isoformat() if info.last else None,
                aliases=list(info.aliases),
            )
        for a, b, data in self.graph.edges(data=True):
            dates = data["entries"].values()
            g.add_edge(a, b, weight=len(dates), first=min(dates).isoformat(), last=max(dates).isoformat())
        return dict(nx.node_link_data(g, edges="links"))

    def to_json(self) -> dict[str, Any]:
        return {
            "format": GRAPH_FORMAT,
            "entries": {rel: self._entry_json(em) for rel, em in self.by_entry.items()},
            "graph": self._graph_json(),
        }

    def dumps(self) -> str:
        """``json.dumps(self.to_json())``, re-encoding only the entries that changed since the
        last call (the watch loop saves the graph after every save: 0.4 s at 10k entries when
        every entry was encoded again)."""
        cache = self._encoded
        fresh: dict[str, tuple[EntryMentions, str]] = {}
        parts = []
        for rel, em in self.by_entry.items():
            hit = cache.get(rel)
            if hit is not None and hit[0] is em:
                text = hit[1]
            else:
                text = f"{json.dumps(rel)}: {json.dumps(self._entry_json(em))}"
            fresh[rel] = (em, text)
            parts.append(text)
        self._encoded = fresh
        entries = "{" + ", ".join(parts) + "}"
        graph = json.dumps(self._graph_json())
        return f'{{"format": {GRAPH_FORMAT}, "entries": {entries}, "graph": {graph}}}'

    @classmethod
    def from_json(cls, data: Any) -> EntityGraph:
        """The graph saved by :meth:`to_json`; ValueError for anything else (an old format,
        valid JSON of the wrong shape): it is derived state, the caller rebuilds it."""
        if not isinstance(data, dict):
            raise ValueError(f"graph file holds a {type(data).__name__}, not a graph")
        if data.get("format") != GRAPH_FORMAT:
            raise ValueError("graph file has an old format")
        entries = data.get("entries")
        if not isinstance(entries, dict):
            raise ValueError("graph file has no entries table")
        graph = cls()
        for rel, raw in entries.items():
            try:
                graph.by_entry[rel] = EntryMentions(
                    rel=str(rel),
                    date=dt.date.fromisoformat(raw["date"]),
                    title=str(raw["title"]),
                    private=_flag(raw["private"]),
                    mentions=tuple(
                        Mention(str(n), str(k), str(s), None if a is None else str(a))
                        for n, k, s, a in raw["mentions"]
                    ),
                    note_name=_optional_str(raw.get("note_name")),
                    note_type=_optional_str(raw.get("note_type")),
                    note_aliases=tuple(str(a) for a in raw.get("note_aliases", ()) or ()),
                )
            except (KeyError, TypeError, ValueError, AttributeError) as exc:
                raise ValueError(f"graph file entry {rel!r} is malformed ({type(exc).__name__})") from None
        graph.rebuild()
        return graph

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".graph.", suffix=".tmp", dir=path.parent)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(self.dumps())
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)

    @classmethod
    def load(cls, path: Path) -> EntityGraph:
        with path.open(encoding="utf-8") as fh:
            return cls.from_json(json.load(fh))

    def known_entries(self) -> Iterable[str]:
        return self.by_entry.keys()
