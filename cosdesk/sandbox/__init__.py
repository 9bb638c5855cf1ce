"""The local COS-compatible server: what a first run without an account, every
test and every benchmark talks to. No Qt here.

``SandboxServer`` (in :mod:`cosdesk.sandbox.server`) is the entry point; the
``cosdesk serve`` subcommand lives in :mod:`cosdesk.sandbox.cli`.
"""
