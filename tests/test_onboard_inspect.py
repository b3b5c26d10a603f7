"""`tracker paths`, `probe` and `check` on a fresh workspace with the Factbook backfilled
(the bundled demo archive: six real versions, 2025-08 → 2026-01-22)."""

from __future__ import annotations

import gzip
import json
import socket
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.conftest import make_workspace
from tracker.cli.app import app
from tracker.evaluate.suggest import diagnose, report_form

DEMO_FACTBOOK = Path(__file__).resolve().parents[1] / "tracker" / "demo" / "data" / "factbook"
POPULATION = ["People and Society", "Population", "total"]


def unpack_demo_factbook(folder: Path) -> Path:
    """The demo's archived Factbook files, as `tracker backfill --dir` reads them."""
    folder.mkdir(parents=True, exist_ok=True)
    for packed in sorted(DEMO_FACTBOOK.glob("*.json.gz")):
        (folder / packed.name[:-3]).write_bytes(gzip.decompress(packed.read_bytes()))
    return folder


def cli(root: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["-w", str(root), *args])
    return result.exit_code, result.output


FEEDS = """\
sources:
  factbook-kz:
    kind: factbook
    url: {url}
  acled-kz:
    kind: acled
    country: Kazakhstan
    since: 2023-01-01
    url: {url}
    credentials: {{username_env: ONBOARD_ACLED_USER, password_env: ONBOARD_ACLED_PASSWORD}}
"""
REPORT = """\
report: {id: kz}
facts:
  - id: population
    expect: 20260006
    source: factbook-kz
    path: [People and Society, Population, total]
    extract: number
    tolerance: 0.5%
  - id: population-typo
    expect: 20260006
    source: factbook-kz
    path: [People and Society, Populaton, total]
    extract: number
  - id: senate
    expect: "2026"
    valid_until: 2026-12-31
"""


@pytest.fixture(scope="module")
def backfilled(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("onboard")
    archive = unpack_demo_factbook(base / "archive")
    # no server listens on this port: a network check would fail, an offline one must not try
    root = make_workspace(
        base / "ws", FEEDS.format(url="http://127.0.0.1:9/kz.json"), {"kz": REPORT}
    )
    code, out = cli(root, "backfill", "factbook-kz", "--dir", str(archive))
    assert code == 0, out
    return root


def test_paths_lists_the_population_total_in_report_form(backfilled: Path) -> None:
    code, out = cli(backfilled, "paths", "factbook-kz", "--grep", "population")
    assert code == 0, out
    assert "path: [People and Society, Population, total]" in out
    assert "20,432,662" in out
    code, out = cli(backfilled, "paths", "factbook-kz", "--grep", "POPULATION", "--format", "json")
    rows = json.loads(out)
    total = next(r for r in rows if r["path"] == POPULATION)
    assert total["value"].startswith("20,432,662")
    assert total["yaml"] == "path: [People and Society, Population, total]"
    code, out = cli(backfilled, "paths", "factbook-kz", "--format", "json")
    assert len(json.loads(out)) > len(rows) > 5


def test_paths_of_an_unknown_source_is_a_usage_error(backfilled: Path) -> None:
    code, out = cli(backfilled, "paths", "factbook-kx")
    assert code == 2 and "unknown source" in out and "did you mean factbook-kz?" in out


def test_probe_reads_the_value_now_and_its_history(backfilled: Path) -> None:
    code, out = cli(
        backfilled,
        "probe",
        "factbook-kz",
        "People and Society",
        "Population",
        "total",
        "--extract",
        "number",
    )
    assert code == 0, out
    assert "reads (number): 20432662" in out
    assert "20260006" in out and "2 distinct value(s)" in out
    code, out = cli(
        backfilled, "probe", "factbook-kz", *POPULATION, "--extract", "number", "--format", "json"
    )
    probe = json.loads(out)
    assert probe["read"] and probe["value"] == 20432662
    assert [row["value"] for row in probe["history"]] == [20260006, 20432662]
    assert probe["history"][1]["since"] == "2026-01-22"


def test_probe_of_a_misspelt_key_suggests_the_existing_path(backfilled: Path) -> None:
    code, out = cli(
        backfilled,
        "probe",
        "factbook-kz",
        "People and Society",
        "Populaton",
        "total",
        "--extract",
        "number",
        "--format",
        "json",
    )
    assert code == 1
    probe = json.loads(out)
    assert not probe["read"] and probe["suggestions"] == [POPULATION]
    code, out = cli(
        backfilled,
        "probe",
        "factbook-kz",
        "Peeple and Society",
        "Population",
        "total",
        "--extract",
        "number",
    )
    assert code == 1
    assert "did you mean [People and Society, Population, total]?" in " ".join(out.split())


def test_probe_says_why_an_extractor_reads_nothing(backfilled: Path) -> None:
    code, out = cli(
        backfilled,
        "probe",
        "factbook-kz",
        "Government",
        "Country name",
        "conventional long form",
        "--extract",
        "date",
        "--format",
        "json",
    )
    assert code == 1
    assert json.loads(out)["reason"].startswith("date:")
    code, out = cli(
        backfilled,
        "probe",
        "factbook-kz",
        *POPULATION,
        "--extract",
        "number",
        "--within",
        "no group here",
    )
    assert code == 2 and "group" in out


def test_status_names_the_nearest_key_of_a_path_not_found(backfilled: Path) -> None:
    code, out = cli(backfilled, "status", "--format", "json")
    typo = next(r for r in json.loads(out) if r["fact"] == "population-typo")
    assert typo["status"] == "unverifiable"
    assert typo["note"].startswith("path not found: People and Society › Populaton › total")
    assert "did you mean [People and Society, Population, total]?" in typo["note"]


def test_check_offline_lists_bad_paths_and_unset_variables_without_the_network(
    backfilled: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("check --offline opened a connection")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.delenv("ONBOARD_ACLED_USER", raising=False)
    monkeypatch.setenv("ONBOARD_ACLED_PASSWORD", "")
    code, out = cli(backfilled, "check", "--offline", "--format", "json")
    assert code == 1, out
    result = json.loads(out)
    problems = {(p["kind"], p["subject"]) for p in result["problems"]}
    assert ("path", "kz/population-typo") in problems
    assert ("environment", "ONBOARD_ACLED_USER") in problems
    assert ("environment", "ONBOARD_ACLED_PASSWORD") in problems
    assert ("path", "kz/population") not in problems
    assert result["offline"] and "sources" not in result["checked"]
    code, out = cli(backfilled, "check", "--offline")
    assert code == 1
    flat = " ".join(out.split())
    assert "kz/population-typo" in flat and "did you mean" in flat
    assert "ONBOARD_ACLED_USER" in flat


def test_check_online_asks_every_source_and_the_smtp_server(
    tmp_path: Path, server, monkeypatch: pytest.MonkeyPatch
) -> None:
    from aiosmtpd.controller import Controller

    class Sink:
        async def handle_DATA(self, *args: object) -> str:  # noqa: N802 (aiosmtpd API)
            raise AssertionError("check sent mail")

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    smtp = Controller(Sink(), hostname="127.0.0.1", port=port)
    smtp.start()
    try:
        server.route("/kz.json", body=b"{}")
        feeds = (
            FEEDS.format(url=server.url("/kz.json"))
            + f"email:\n  smtp: {{host: 127.0.0.1, port: {port}, security: plain}}\n"
            "  from: t@example.org\n  to: [a@example.org]\n"
        )
        root = make_workspace(tmp_path / "ws", feeds)
        monkeypatch.setenv("ONBOARD_ACLED_USER", "u")
        monkeypatch.setenv("ONBOARD_ACLED_PASSWORD", "p")
        code, out = cli(root, "check", "--format", "json")
        assert code == 0, out
        assert json.loads(out)["checked"]["smtp"] == 1
        assert {path for _, path, _ in server.requests} == {"/kz.json"}
        server.route("/kz.json", status=404)
        code, out = cli(root, "check")
        assert code == 1 and "factbook-kz" in out and "does not answer" in out
    finally:
        smtp.stop()


def test_check_of_a_broken_configuration_is_exit_2(tmp_path: Path) -> None:
    root = make_workspace(tmp_path / "ws", "sources:\n  x: {kind: nothing}\n")
    code, out = cli(root, "check", "--offline")
    assert code == 2 and "unknown source kind" in out


@pytest.mark.parametrize(
    ("path", "meant"),
    [
        (["people and society", "population", "total"], POPULATION),
        (["People and Society", "Population", "totl"], POPULATION),
        (["Population", "total"], POPULATION),
    ],
)
def test_diagnose_proposes_whole_paths_that_resolve(path: list[str], meant: list[str]) -> None:
    snapshot = {
        "People and Society": {"Population": {"total": "20,432,662", "male": "1"}},
        "Economy": {"Population below poverty line": {"text": "5.2%"}},
    }
    found = diagnose(snapshot, path)
    assert found is not None and meant in found.suggestions
    assert diagnose(snapshot, POPULATION) is None


def test_report_form_reads_back_as_the_same_keys() -> None:
    from ruamel.yaml import YAML

    keys = [
        "People and Society",
        "no",
        "a: b",
        "x, y",
        "# hash",
        "2024",
        "it's",
        " pad",
        "Legislative branch - upper chamber",
        "[x]",
        "10%",
        "ends -",
        'say "hi"',
    ]
    assert YAML(typ="safe").load(report_form(keys)) == keys
    assert YAML(typ="safe").load(report_form(["a/b"])) == ["a/b"]
