"""The workspace on disk: atomic files, JSON state files, git, canonical snapshot YAML,
local state, the run lock and crash recovery."""
