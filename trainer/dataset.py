"""The training example record and its JSONL files.

One record type flows through synthesis → filter → SFT/DPO/eval, so every stage can say
where an example came from: ``sources`` are the vault entries (rel paths) it was built from
— what the filter checks support against, what the held-out split is decided by, and what a
user sees when they ask "why did my model learn this?". Files are JSONL (one example per
line) in the run directory, human-readable and greppable.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from journal_me.fsutil import atomic_path
from trainer.sft import format_reasoning

Kind = Literal[
    "memory_qa",
    "third_party",
    "entity",
    "temporal",
    "style",
    "bridge_reply",
    "bridge_enhance",
    "bridge_critic",
]
KINDS: tuple[Kind, ...] = (
    "memory_qa",
    "third_party",
    "entity",
    "temporal",
    "style",
    "bridge_reply",
    "bridge_enhance",
    "bridge_critic",
)
Origin = Literal["template", "model"]


@dataclass(frozen=True)
class Example:
    """One conversation to learn from: the prompt as served at inference, and the answer.

    ``prompt`` holds the system and user turns exactly as chat/bridge build them;
    the assistant turn is ``format_reasoning(thought, answer)``.
    """

    kind: Kind
    prompt: tuple[Mapping[str, str], ...]
    question: str  # the user's question / the incoming message, without the memories
    thought: str
    answer: str
    sources: tuple[str, ...]  # vault entry rels the answer is built from
    origin: Origin = "template"
    facts: tuple[str, ...] = ()  # checkable facts (numbers, names) for the eval gate
    meta: Mapping[str, Any] = field(default_factory=dict)

    @property
    def id(self) -> str:
        """Stable across runs: same kind, question, answer and sources -> same id."""
        key = "\x1f".join([self.kind, self.question, self.answer, *self.sources])
        return hashlib.sha1(key.encode("utf-8")).hexdigest()[:12]

    @property
    def completion(self) -> str:
        return format_reasoning(self.thought, self.answer)

    @property
    def messages(self) -> list[dict[str, str]]:
        return [dict(m) for m in self.prompt] + [{"role": "assistant", "content": self.completion}]

    def texts(self) -> Iterator[str]:
        """Every piece of text the example would put in front of the model."""
        for m in self.prompt:
            yield m["content"]
        yield self.thought
        yield self.answer

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["prompt"] = [dict(m) for m in self.prompt]
        data["sources"] = list(self.sources)
        data["facts"] = list(self.facts)
        data["meta"] = dict(self.meta)
        data["id"] = self.id
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Example:
        return cls(
            kind=data["kind"],
            prompt=tuple({"role": str(m["role"]), "content": str(m["content"])} for m in data["prompt"]),
            question=str(data["question"]),
            thought=str(data["thought"]),
            answer=str(data["answer"]),
            sources=tuple(str(s) for s in data["sources"]),
            origin=data.get("origin", "template"),
            facts=tuple(str(f) for f in data.get("facts", ())),
            meta=dict(data.get("meta", {})),
        )


def sft_row(example: Example) -> dict[str, Any]:
    """The row ``trainer.sft.run_sft`` trains on."""
    return {"messages": example.messages}


def write_jsonl(path: Path, rows: Iterable[Mapping[str, Any]]) -> int:
    """Write rows atomically (:func:`journal_me.fsutil.atomic_path`); returns how many."""
    count = 0
    with atomic_path(path) as tmp, open(tmp, "w", encoding="utf-8") as out:
        for row in rows:
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
            count += 1
    return count


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def write_examples(path: Path, examples: Sequence[Example]) -> int:
    return write_jsonl(path, (e.to_json() for e in examples))


def read_examples(path: Path) -> list[Example]:
    return [Example.from_json(row) for row in read_jsonl(path)]


def count_by_kind(examples: Iterable[Example]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for e in examples:
        counts[e.kind] = counts.get(e.kind, 0) + 1
    return {k: counts[k] for k in KINDS if k in counts}
