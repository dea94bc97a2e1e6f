"""Chat (your past self) and Bridge (drafts as you) on top of the journal and the engine."""
