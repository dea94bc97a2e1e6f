"""L1 natural-language memory: full-text index, entity graph, retrieval."""
