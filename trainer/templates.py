"""The deterministic synthesiser: training examples from templates, no model needed.

It is what makes the CPU/CI path (and a first night without a working model) produce a
valid dataset. It is deliberately extractive: every answer is made of the user's own
sentences plus a little glue, so it is grounded by construction and in the user's voice.
The price is variety — the model-written path (``trainer.synth``) asks better questions.

Each generator returns ``Example``\\ s whose prompt was built by :class:`VaultView` exactly as
chat or bridge build it at inference, and whose assistant turn reasons first (which memory
says what) and then answers, citing memories by number as the chat prompt asks.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from journal_me.memory.retrieval import Hit
from journal_me.roles import Role
from trainer.dataset import Example, Kind
from trainer.facts import key_facts, long_date, month_label, names_in, numbers, sentences
from trainer.vault_view import PublicEntry, VaultView, pick


@dataclass(frozen=True)
class TemplateConfig:
    facts_per_entry: int = 2  # entity questions per diary entry (plus one "what happened")
    entity_top: int = 25  # entities that get multi-hop questions
    min_entity_entries: int = 2
    months: int = 48  # temporal questions: most recent months first
    style_topics: int = 12
    style_per_topic: int = 2
    bridge_topics: int = 8


def clip(text: str, limit: int) -> str:
    """Shorten at a word boundary, marking the cut."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0].rstrip(",;:—-")
    return cut + " …"


def _lead(text: str, limit: int = 360) -> str:
    out = ""
    for s in sentences(text):
        if out and len(out) + len(s) + 1 > limit:
            break
        out = f"{out} {s}".strip()
    return clip(out, limit) if out else clip(text, limit)


def _title_part(pub: PublicEntry) -> str:
    title = pub.title_phrase
    return f" (“{title}”)" if title else ""


def _chat_example(
    view: VaultView,
    kind: Kind,
    question: str,
    sources: Sequence[Hit],
    compose: Callable[[list[Hit]], tuple[str, str]],
    *,
    key: str,
    for_eval: bool = False,
    meta: dict[str, object] | None = None,
) -> Example | None:
    hits = view.memories_for(question, sources, for_eval=for_eval, key=key)
    thought, answer = compose(hits)
    if not answer.strip():
        return None
    rels = tuple(dict.fromkeys(s.rel for s in sources))
    support = view.support_text(rels)
    return Example(
        kind=kind,
        prompt=view.chat_prompt(question, hits),
        question=question,
        thought=thought,
        answer=answer,
        sources=rels,
        facts=tuple(key_facts(answer, support, view.names)),
        meta=meta or {},
    )


def _fact_sentences(view: VaultView, pub: PublicEntry) -> list[tuple[Hit, str, list[str]]]:
    """Sentences that carry facts (names, numbers), best first, one list per entry."""
    scored: list[tuple[float, int, Hit, str, list[str]]] = []
    order = 0
    for hit in pub.passages:
        for s in sentences(hit.passage):
            order += 1
            if not 30 <= len(s) <= 320:
                continue
            found = [n for n in names_in(s, view.subjects) if n.lower() != pub.entry.title.lower()]
            if not found:
                continue
            score = 2.0 * len(found) + min(3, len(numbers(s))) + (0.5 if " I " in f" {s} " else 0.0)
            scored.append((-score, order, hit, s, found))
    scored.sort(key=lambda t: (t[0], t[1]))
    return [(hit, s, found) for _score, _order, hit, s, found in scored]


# --------------------------------------------------------------------------- memory QA


def memory_qa(view: VaultView, pub: PublicEntry, config: TemplateConfig) -> list[Example]:
    """Questions about one entry's facts, answered in the first person from that entry.
    Held-out entries get them too: they become the eval set."""
    if pub.is_note:
        return _note_memory(view, pub)
    held_out = view.holdout(pub.rel)
    day = long_date(pub.entry.date)
    out: list[Example] = []
    first = pub.passages[0]

    question = pick(
        (
            f"What happened on {day}?",
            f"What did I write about on {day}?",
            f"What was going on for me on {pub.entry.date.strftime('%A')}, {day}?",
        ),
        pub.rel,
    )
    lead = _lead(first.passage)
    title = pub.title_phrase

    def overview(hits: list[Hit]) -> tuple[str, str]:
        n = view.number_of(hits, first)
        intro = f"That was the day of “{title}”. " if title else ""
        thought = (
            f"The question is about {day}. Memory [{n}] is my entry from that day{_title_part(pub)}. "
            f"It begins: “{clip(lead, 160)}”"
        )
        return thought, f"{intro}{lead} [{n}]"

    example = _chat_example(view, "memory_qa", question, [first], overview, key=pub.rel, for_eval=held_out)
    if example is not None:
        out.append(example)

    used: set[str] = set()
    for hit, sentence, found in _fact_sentences(view, pub):
        if len(out) > config.facts_per_entry:
            break
        name = next((n for n in found if n not in used), None)
        if name is None:
            continue
        used.add(name)
        question = pick(
            (
                f"What did I write about {name} on {day}?",
                f"What happened with {name} on {day}?",
                f"On {day}, what did I say about {name}?",
            ),
            f"{pub.rel}|{name}",
        )

        def about(
            hits: list[Hit], hit: Hit = hit, sentence: str = sentence, name: str = name
        ) -> tuple[str, str]:
            n = view.number_of(hits, hit)
            thought = (
                f"The question asks about {name} on {day}. Memory [{n}] is my entry from that day"
                f"{_title_part(pub)} and it mentions {name}: “{clip(sentence, 160)}”"
            )
            return thought, f"{sentence} [{n}]"

        example = _chat_example(
            view, "memory_qa", question, [hit], about, key=f"{pub.rel}|{name}", for_eval=held_out
        )
        if example is not None:
            out.append(example)
    return out


def _note_memory(view: VaultView, pub: PublicEntry) -> list[Example]:
    """A page about a person/place: "what do I remember about X?" from its later lines
    (its opening lines answer the third-party question)."""
    subject = pub.entry.title
    hit = pub.passages[-1]
    body = sentences(" ".join(h.passage for h in pub.passages))
    if len(body) < 4:
        return []
    detail = clip(" ".join(body[2:4]), 360)
    question = pick((f"What do I remember about {subject}?", f"Tell me about {subject}."), pub.rel)

    def compose(hits: list[Hit]) -> tuple[str, str]:
        n = view.number_of(hits, hit)
        thought = f"Memory [{n}] is my page about {subject}. It says: “{clip(detail, 160)}”"
        return thought, f"{detail} [{n}]"

    example = _chat_example(view, "memory_qa", question, [hit], compose, key=pub.rel)
    return [example] if example else []


# --------------------------------------------------------------------------- about the user


def third_party(view: VaultView) -> list[Example]:
    """Questions someone else would ask about the user, answered as the user."""
    out: list[Example] = []
    for pub in view.notes():
        subject = pub.entry.title
        hit = pub.passages[0]
        lead = _lead(hit.passage, 300)
        question = pick((f"Who is {subject} to {view.who}?", f"How does {view.who} know {subject}?"), pub.rel)

        def compose(
            hits: list[Hit], hit: Hit = hit, lead: str = lead, subject: str = subject
        ) -> tuple[str, str]:
            n = view.number_of(hits, hit)
            thought = (
                f"Someone is asking about me and {subject}. Memory [{n}] is my own page about "
                f"{subject}: “{clip(lead, 160)}”"
            )
            return thought, f"{subject}? {lead} [{n}]"

        example = _chat_example(view, "third_party", question, [hit], compose, key=f"3p|{pub.rel}")
        if example:
            out.append(example)

    # what the user writes about most: one sourced sentence per top entity
    picks: list[tuple[str, Hit, str]] = []
    for info in view.entities:
        if len(picks) >= 3:
            break
        if info.name not in view.subjects:
            continue
        found = _latest_mention(view, info.name)
        if found is not None:
            picks.append((info.name, *found))
    if len(picks) >= 2:
        names = [p[0] for p in picks]
        question = f"What does {view.who} write about most?"

        def most(hits: list[Hit]) -> tuple[str, str]:
            cited = [(name, view.number_of(hits, hit), s) for name, hit, s in picks]
            listed = ", ".join(names[:-1]) + f" and {names[-1]}"
            thought = "The people and places I mention most: " + "; ".join(
                f"{name} (memory [{n}])" for name, n, _s in cited
            )
            examples = " ".join(f"“{clip(s, 140)}” [{n}]" for _name, n, s in cited[:2])
            return thought, f"Mostly {listed}. For example: {examples}"

        example = _chat_example(view, "third_party", question, [p[1] for p in picks], most, key="3p|most")
        if example:
            out.append(example)
    return out


def _mentioning(hit: Hit, names: Sequence[str]) -> str | None:
    for s in sentences(hit.passage):
        if 20 <= len(s) <= 320 and names_in(s, names):
            return s
    return None


def _latest_mention(view: VaultView, name: str, *, earliest: bool = False) -> tuple[Hit, str] | None:
    """The latest (or earliest) trainable diary passage mentioning ``name``, with the sentence."""
    points = [p for p in view.journal.timeline(name, include_private=False) if view.trainable(p.rel)]
    if earliest:
        points = points[::-1]
    for point in reversed(points):
        pub = view.entries.get(point.rel)
        if pub is None or pub.is_note:
            continue
        for hit in pub.passages:
            sentence = _mentioning(hit, [name])
            if sentence:
                return hit, sentence
    return None


# --------------------------------------------------------------------------- entities


def entity_questions(view: VaultView, config: TemplateConfig) -> list[Example]:
    """Questions that need several entries: first/last mention, and who comes up with whom
    (multi-hop through the entity graph)."""
    out: list[Example] = []
    subjects = set(view.subjects)
    for info in view.entities[: config.entity_top]:
        if info.count < config.min_entity_entries or info.name not in subjects:
            continue
        name = info.name
        first = _latest_mention(view, name, earliest=True)
        last = _latest_mention(view, name)
        if first and last and first[0].rel != last[0].rel:
            (h1, s1), (h2, s2) = first, last
            question = pick(
                (
                    f"When did {name} first come up in my journal, and when most recently?",
                    f"When did I first write about {name}, and when was the last time?",
                ),
                name,
            )

            def span(
                hits: list[Hit], h1: Hit = h1, s1: str = s1, h2: Hit = h2, s2: str = s2, name: str = name
            ) -> tuple[str, str]:
                n1, n2 = view.number_of(hits, h1), view.number_of(hits, h2)
                d1, d2 = long_date(h1.entry.date), long_date(h2.entry.date)
                thought = (
                    f"Several memories mention {name}. The earliest is [{n1}] from {d1}, the "
                    f"latest [{n2}] from {d2}."
                )
                answer = (
                    f"The first time was {d1}: “{clip(s1, 200)}” [{n1}] "
                    f"The most recent was {d2}: “{clip(s2, 200)}” [{n2}]"
                )
                return thought, answer

            example = _chat_example(view, "entity", question, [h1, h2], span, key=f"span|{name}")
            if example:
                out.append(example)

        together = _related_mentions(view, name)
        if len(together) >= 2:
            question = pick(
                (
                    f"Who or what comes up when I write about {name}?",
                    f"Which people and places do I connect with {name}?",
                ),
                f"rel|{name}",
            )

            def rel(
                hits: list[Hit], together: list[tuple[str, Hit, str]] = together, name: str = name
            ) -> tuple[str, str]:
                cited = [(other, view.number_of(hits, hit), s) for other, hit, s in together]
                others = [c[0] for c in cited]
                listed = ", ".join(others[:-1]) + f" and {others[-1]}"
                thought = f"{name} appears together with " + "; ".join(
                    f"{other} in [{n}]" for other, n, _s in cited
                )
                details = " ".join(f"“{clip(s, 160)}” [{n}]" for _o, n, s in cited)
                return thought, f"Mostly {listed}. {details}"

            example = _chat_example(
                view, "entity", question, [t[1] for t in together], rel, key=f"rel|{name}"
            )
            if example:
                out.append(example)
    return out


def _related_mentions(view: VaultView, name: str, limit: int = 3) -> list[tuple[str, Hit, str]]:
    """Entities co-mentioned with ``name``, each with a trainable passage naming both."""
    mine = {p.rel for p in view.journal.timeline(name, include_private=False) if view.trainable(p.rel)}
    found: list[tuple[str, Hit, str]] = []
    for related in view.journal.related(name, limit=12, include_private=False):
        if related.type == "tag" or len(found) >= limit or related.name not in view.subjects:
            continue
        shared = [
            p.rel
            for p in view.journal.timeline(related.name, include_private=False)
            if p.rel in mine and not view.entries[p.rel].is_note
        ]
        for rel in reversed(shared):
            hit_sentence = next(
                (
                    (hit, s)
                    for hit in view.entries[rel].passages
                    if (s := _mentioning(hit, [related.name])) and names_in(hit.passage, [name])
                ),
                None,
            )
            if hit_sentence and all(hit_sentence[0] is not f[1] for f in found):
                found.append((related.name, *hit_sentence))
                break
    return found


# --------------------------------------------------------------------------- time


def temporal(view: VaultView, config: TemplateConfig) -> list[Example]:
    """ "What was I doing in March 2026?" from up to three entries of that month."""
    by_month: dict[tuple[int, int], list[PublicEntry]] = {}
    for pub in view.diary():
        if view.trainable(pub.rel):
            by_month.setdefault((pub.entry.date.year, pub.entry.date.month), []).append(pub)
    out: list[Example] = []
    for (_y, _m), pubs in sorted(by_month.items(), reverse=True)[: config.months]:
        picks = sorted({0, len(pubs) // 2, len(pubs) - 1})
        chosen = [pubs[i] for i in picks]
        label = month_label(chosen[0].entry.date)
        question = pick(
            (
                f"What was I doing in {label}?",
                f"What was going on in my life in {label}?",
                f"What was I up to in {label}?",
            ),
            label,
        )
        sources = [p.passages[0] for p in chosen]

        def compose(
            hits: list[Hit], chosen: list[PublicEntry] = chosen, label: str = label
        ) -> tuple[str, str]:
            parts: list[str] = []
            notes: list[str] = []
            for pub in chosen:
                n = view.number_of(hits, pub.passages[0])
                what = f"“{pub.title_phrase}”" if pub.title_phrase else clip(pub.lead(1), 90)
                parts.append(f"on {pub.entry.date.day} {pub.entry.date.strftime('%B')}, {what} [{n}]")
                notes.append(f"[{n}] is from {long_date(pub.entry.date)}")
            thought = f"The question is about {label}. " + "; ".join(notes) + "."
            answer = f"In {label}: " + "; ".join(parts) + f". {clip(chosen[0].lead(2), 240)}"
            return thought, answer

        example = _chat_example(view, "temporal", question, sources, compose, key=f"month|{label}")
        if example:
            out.append(example)
    return out


# --------------------------------------------------------------------------- style


def _topic(tag: str) -> str:
    return tag.lstrip("#").replace("/", " ").replace("-", " ")


def style(view: VaultView, config: TemplateConfig) -> list[Example]:
    """Write about a topic as the user: the target is a real passage of theirs, the
    memories are other passages on the topic (how they usually sound)."""
    out: list[Example] = []
    for info in view.tags[: config.style_topics]:
        tagged = [
            view.entries[p.rel]
            for p in view.journal.timeline(info.name, include_private=False)
            if view.trainable(p.rel) and not view.entries[p.rel].is_note
        ]
        if len(tagged) < 2:
            continue
        topic = _topic(info.name)
        for i, target in enumerate(tagged[-config.style_per_topic :][::-1]):
            passage = next((h for h in target.passages if 150 <= len(h.passage) <= 900), None)
            if passage is None:
                continue
            context = [p.passages[0] for p in tagged if p.rel != target.rel][-2:]
            question = pick(
                (
                    f"Write a few lines about {topic} the way I would in my journal.",
                    f"In my own voice, write a short journal paragraph about {topic}.",
                ),
                f"{info.name}|{i}",
            )
            text = "\n".join(" ".join(line.split()) for line in passage.passage.strip().splitlines())

            def compose(
                hits: list[Hit], context: list[Hit] = context, topic: str = topic, text: str = text
            ) -> tuple[str, str]:
                nums = [view.number_of(hits, h) for h in context if h in hits]
                shown = ", ".join(f"[{n}]" for n in nums) or "my entries"
                thought = (
                    f"This is about {topic}. {shown} show how I usually write about it. Keep it in "
                    "my voice: first person, concrete, a bit dry."
                )
                return thought, text

            example = _chat_example(
                view, "style", question, [passage, *context], compose, key=f"style|{info.name}|{i}"
            )
            if example:
                out.append(example)
    return out


# --------------------------------------------------------------------------- bridge

_BRIDGE: dict[str, tuple[str, ...]] = {
    "reply": (
        "Hi! How's the {topic} going these days?",
        "Hey, long time! What's new with {topic}?",
    ),
    "enhance": (
        "Any advice on {topic}?",
        "How can I get better at {topic}?",
    ),
    "critic": (
        "My advice on {topic}: keep it simple, be consistent, and don't overthink it.",
        "Honestly, with {topic} most people just need a routine and patience.",
    ),
}


def _bridge_draft(action: str, topic: str, facts: Sequence[str]) -> str:
    said = " ".join(facts)
    if action == "reply":
        return f"Hi! Good to hear from you. {said} Speak soon!"
    if action == "enhance":
        return (
            f"I'd like advice about {topic}. Some context about me: {said} "
            f"What should I try next with {topic}, and what am I missing?"
        )
    return (
        f"That's fair as general advice, but it misses my situation: {said} "
        f"Given that, what would you change for me, and what should I watch out for with {topic}?"
    )


def bridge(view: VaultView, roles: Sequence[Role], config: TemplateConfig) -> list[Example]:
    """Reply / enhance / critic drafts for the outside world, in the roles' rules."""
    if not roles:
        return []
    out: list[Example] = []
    actions = ("reply", "enhance", "critic")
    for t, info in enumerate(view.tags[: config.bridge_topics]):
        topic = _topic(info.name)
        found = view.journal.search(topic, limit=12, include_private=False, today=view.today)
        for a, action in enumerate(actions):
            role = roles[(t + a) % len(roles)]
            usable = [h for h in found if view.trainable(h.rel) and view.shareable(h, role)]
            chosen = usable[a * 2 : a * 2 + 2] or usable[:2]
            if not chosen:
                continue
            facts = [
                clip(
                    next((s for s in sentences(h.passage) if 30 <= len(s) <= 260), sentences(h.passage)[0]),
                    220,
                )
                for h in chosen
            ]
            incoming = pick(_BRIDGE[action], f"{info.name}|{action}").format(topic=topic)
            view.check_public(chosen)
            thought = (
                f"Role: {role.name} ({role.tone}). What helps from my journal: "
                + "; ".join(f"[{i}] {long_date(h.entry.date)}" for i, h in enumerate(chosen, 1))
                + ". Share only what this role allows."
            )
            answer = _bridge_draft(action, topic, facts)
            rels = tuple(dict.fromkeys(h.rel for h in chosen))
            out.append(
                Example(
                    kind=f"bridge_{action}",  # type: ignore[arg-type]
                    prompt=view.bridge_prompt(action, incoming, chosen, role),
                    question=incoming,
                    thought=thought,
                    answer=answer,
                    sources=rels,
                    facts=tuple(key_facts(answer, view.support_text(rels), view.names)),
                    meta={"role": role.name},
                )
            )
    return out
