"""CLI sub-commands. Each module exposes ``register(subparsers)``; ``journal_me.cli`` wires
them in the order of ``COMMAND_MODULES``. A handler receives ``(args, settings)`` and returns
an exit code."""

COMMAND_MODULES: tuple[str, ...] = (
    "journal_me.commands.journal",  # new, add, search, entities, index, watch, doctor, import
    "journal_me.commands.model",  # model list/use/rollback/pull (chat issue)
    "journal_me.commands.talk",  # ask, bridge (chat issue)
    "journal_me.commands.train",  # train, schedule (trainer issue)
    "journal_me.commands.net",  # serve, mcp, peers, outbox, space (network issue)
    "journal_me.commands.life",  # log, metrics, tasks, remind (life issue)
    "journal_me.commands.practice",  # practice, study (life issue)
)
