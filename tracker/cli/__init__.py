"""Command line (Typer + Rich): the only package that prints or reads argv."""

from __future__ import annotations

from tracker.cli.app import app, main

__all__ = ["app", "main"]
