"""The version, in a leaf module: the HTTP client's User-Agent reads it."""

__version__ = "0.2.0"
