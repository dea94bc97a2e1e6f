"""Life with the journal: metrics you track (issue 13). Core only: never imports Textual."""
