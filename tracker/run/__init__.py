"""Runs: one pass over a workspace (runner), the scheduler daemon, backfill."""
