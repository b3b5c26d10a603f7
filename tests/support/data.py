"""Test data: the small real fixtures vendored in tests/data, and ../shared for the rest.

The suite runs whole from the repository alone. `tests/data/factbook/` holds a handful of
real CIA World Factbook versions of the Kazakhstan profile (public domain), gzip'd, in the
two archive formats of ../shared/data: `cia-geos-kz` (the CIA's own geos JSON) and
`factbook-kz` (the simplified factbook.json), chosen so that every known real event is in
them (see tests/data/factbook/README.md). Only tests that need what is not redistributed
here — the complete archives, the report texts — use ../shared, through `shared_path`,
which skips with the reason when it is not there.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parents[1]
TEST_DATA = TESTS / "data"
FACTBOOK = TEST_DATA / "factbook"
SHARED = TESTS.parents[1] / "shared"

GEOS = "cia-geos-kz"
SIMPLE = "factbook-kz"


def factbook_names(archive: str = GEOS) -> list[str]:
    """The vendored versions' names as in ../shared/data (`2025-10-07T1500.json`), oldest
    first."""
    return sorted(p.name.removesuffix(".gz") for p in (FACTBOOK / archive).glob("*.json.gz"))


def factbook_version(prefix: str, archive: str = GEOS) -> bytes:
    """The raw document of the first vendored version whose name starts with `prefix`
    (a day `2025-10-07` or a full name)."""
    names = [n for n in factbook_names(archive) if n.startswith(prefix)]
    if not names:
        raise LookupError(
            f"no vendored {archive} version {prefix!r}: have {factbook_names(archive)}"
        )
    return gzip.decompress((FACTBOOK / archive / f"{names[0]}.gz").read_bytes())


def factbook_folder(archive: str, into: Path) -> Path:
    """The vendored versions unpacked into `into` (a folder `tracker backfill` reads)."""
    into.mkdir(parents=True, exist_ok=True)
    for name in factbook_names(archive):
        (into / name).write_bytes(factbook_version(name, archive))
    return into


def shared_path(*parts: str) -> Path:
    """A path in ../shared, or a skip that says what is missing and why it is not vendored."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        wanted = "/".join(("../shared", *parts))
        pytest.skip(f"needs {wanted} (not redistributed in the repository); {path} is absent")
    return path
