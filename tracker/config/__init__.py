"""Configuration: option types, the loader (file:line errors), cross-reference checks."""
