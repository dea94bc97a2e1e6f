"""Widgets of the TUI. Import each from its own module: this package re-exports nothing, so
importing one widget never imports the others."""
