"""report-tracker: keep a country report's facts in step with their sources."""
from __future__ import annotations

__version__ = "0.1.0"
__all__ = ["__version__"]
