"""From snapshots to findings: extractors, fact evaluation, history, diffs, news matching."""
