"""Local language model runtime: llama.cpp engine, reasoning split, GGUF writing.

Importing this package is cheap: llama-cpp-python loads only when an ``Engine`` is built.
"""
