"""Command line (Typer + Rich): the only package that prints or reads argv."""

from __future__ import annotations

import os

# pydantic looks for third-party plugins (an entry-point scan of every installed package)
# when it builds its first validator; the tracker uses none, and the scan is a good part
# of a short command's start-up. A plugin the user asks for by name still loads.
os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")

from tracker.cli.app import app, main  # noqa: E402

__all__ = ["app", "main"]
