"""The JSON shapes the README documents are the ones the commands print (issue 17: every
field the table or README shows is in the JSON; DESIGN.md's keys stay)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.cli_fixtures import cli, make
from tests.support.server import LocalServer

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
SECTION = README.split("### JSON output", 1)[1].split("\n### ", 1)[0]

# DESIGN.md's contract: these keys never go away
DESIGN = {
    "status": {
        "report",
        "fact",
        "status",
        "expected",
        "current",
        "since",
        "source",
        "path",
        "note",
    },
    "history": {"value", "since", "commit"},
    "diff": {"source", "commit", "date", "path", "change", "old", "new"},
    "sources": {
        "source",
        "kind",
        "health",
        "last_success",
        "failures",
        "first_failure",
        "last_error",
    },
}


def documented() -> dict[str, set[str]]:
    """`- \\`command\\`: \\`[{"a", "b"}]\\`` bullets of the README's JSON section."""
    shapes = {}
    for name, shape in re.findall(r"^- `([a-z ]+)`: `(\[?\{[^`]*\}\]?)`", SECTION, re.M):
        shapes[name] = set(re.findall(r'"(\w+)"', shape))
    nested = re.search(r"`sources`: `(\[\{[^`]*\}\])`", SECTION.split("- `run`", 1)[1])
    assert nested, "the run's sources shape is documented"
    shapes["run sources"] = set(re.findall(r'"(\w+)"', nested.group(1)))
    return shapes


@pytest.fixture(scope="module")
def outputs(tmp_path_factory) -> dict[str, object]:
    tmp = tmp_path_factory.mktemp("json")
    report = tmp / "brief.txt"
    report.write_text(
        "Population grew to 20,26 mln [1].\n\n"
        "1 Factbook, https://www.cia.gov/the-world-factbook/, dostęp 01.10.2025\n",
        encoding="utf-8",
    )
    with LocalServer() as server:
        root = make(tmp, server)
        runs = {"run": ["run", "--all", "--now", "2026-01-21T07:00"]}
        out: dict[str, object] = {}
        for name, args in {
            **runs,
            "status": ["status"],
            "history": ["history", "population"],
            "diff": ["diff", "--since", "2026-01-01"],
            "sources": ["sources"],
            "kinds": ["kinds"],
            "report scan": ["report", "scan", str(report), "--id", "brief"],
        }.items():
            outcome = cli("-w", str(root), *args, "--format", "json")
            assert outcome.code == 0, (args, outcome.err)
            out[name] = json.loads(outcome.out)
    return out


def keys(value: object) -> set[str]:
    rows = value if isinstance(value, list) else [value]
    assert rows, "an empty listing proves nothing"
    found = [set(row) for row in rows]  # type: ignore[arg-type]
    assert all(k == found[0] for k in found), "every row has the same keys"
    return found[0]


def test_every_documented_shape_is_printed(outputs):
    shapes = documented()
    assert set(outputs) <= set(shapes), f"undocumented: {set(outputs) - set(shapes)}"
    for name, value in outputs.items():
        assert keys(value) == shapes[name], name
    assert keys(outputs["run"]["sources"]) == shapes["run sources"]  # type: ignore[index]
    assert keys(outputs["run"]["findings"]) == shapes["status"]  # type: ignore[index]


def test_design_keys_stay(outputs):
    for name, required in DESIGN.items():
        assert required <= keys(outputs[name]), name


def test_status_json_has_what_the_table_and_readme_show(outputs):
    rows = {row["fact"]: row for row in outputs["status"]}  # type: ignore[attr-defined]
    population = rows["population"]
    assert population["claim"] == "About 20.26 million people live in Kazakhstan."
    assert (population["section"], population["footnote"]) == ("People", 3)
    assert isinstance(population["details"], dict)
    table = README.split("which always has these keys:", 1)[1].split("\n\n", 2)[1]
    explained = {
        key
        for line in table.splitlines()
        if line.startswith("| `")
        for key in re.findall(r"`(\w+)`", line.split("|")[1])
    }
    for row in rows.values():  # `details` has exactly the keys the README's table explains
        assert set(row["details"]) == explained, row["fact"]
    sources = {row["source"]: row for row in outputs["sources"]}  # type: ignore[attr-defined]
    assert sources["fb"]["since"] == "2026-01-20"  # the table's `since` column
    kinds = {row["kind"]: row for row in outputs["kinds"]}  # type: ignore[attr-defined]
    assert "entity" in kinds["wikidata"]["options"] and kinds["rss"]["doc"]
