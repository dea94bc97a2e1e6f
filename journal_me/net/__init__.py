"""Your second me on the network: the server side (A2A + MCP) and its local state.

- ``journal_me.net.store``: peers, issued tokens (hashed), the consent outbox and the log of
  everything said on the owner's behalf, in one SQLite file (``network.sqlite3``, 0600) in
  the vault's data dir.
- ``journal_me.net.answer``: how a question from the network is answered (role-fenced memory,
  the bridge, memory-only without a model).
- ``journal_me.net.server``: ``build_app`` (A2A JSON-RPC + Agent Card + MCP at ``/mcp``) and
  ``serve``; ``journal_me.net.mcp_tools``: the MCP server (also ``journal-me mcp`` on stdio).

Importing this package imports nothing heavy: the SDKs load with the server.
"""

NETWORK_DB = "network.sqlite3"
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765
