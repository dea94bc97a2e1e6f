"""journal-me: a markdown journal in the terminal that grows into a local 'second me'."""

__version__ = "0.1.0"
