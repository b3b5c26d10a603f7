"""The commands, one module per group; `tracker.cli.app` registers them."""
