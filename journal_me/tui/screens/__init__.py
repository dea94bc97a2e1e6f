"""Screens: the main ones are modes (listed in ``journal_me.tui.modes``); help, jump and the
conflict dialog are modal. Import each from its own module: this package re-exports nothing,
so importing one screen never imports the others."""
