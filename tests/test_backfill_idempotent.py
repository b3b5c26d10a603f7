"""Backfill is idempotent and never rewinds: a re-run (or a folder that gained files) adds
only versions the history lacks; files older than the newest snapshot are refused by name
and change nothing; `status` is the same before and after."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from types import SimpleNamespace

import pytest
from typer.testing import CliRunner

from tests.conftest import DATA, make_workspace, utc
from tests.support.gitserver import git
from tests.support.server import Reply
from tracker.cli.app import app
from tracker.run.backfill import backfill
from tracker.run.runner import run_once

FEEDS = """\
sources:
  fb:
    kind: factbook
    url: {url}
"""
REPORT = """\
report: {id: kz}
facts:
  - id: head-of-government
    expect: Olzhas Bektenov
    source: fb
    path: [Government, Executive branch, head of government]
    extract: person
"""
NOW = utc("2026-03-01T00:00")


def cli(root: Path, *args: str) -> SimpleNamespace:
    result = CliRunner().invoke(app, ["-w", str(root), *args])
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return SimpleNamespace(returncode=result.exit_code, stdout=result.stdout, stderr=result.stderr)


def doc(person: str) -> bytes:
    return json.dumps(
        {"Government": {"Executive branch": {"head of government": {"text": person}}}}
    ).encode()


def folder(path: Path, files: dict[str, str]) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    for name, person in files.items():
        (path / name).write_bytes(doc(person))
    return path


def commits(root: Path) -> int:
    return int(git(root, "rev-list", "--count", "HEAD"))


def history(root: Path) -> list[tuple[str, str]]:
    rows = json.loads(cli(root, "history", "head-of-government", "--format", "json").stdout)
    return [(row["since"], row["value"]) for row in rows]


@pytest.fixture
def ws(tmp_path) -> Path:
    return make_workspace(tmp_path / "ws", FEEDS.format(url="http://127.0.0.1:9/x"), {"kz": REPORT})


# ---------------------------------------------------------------- re-runs


def test_a_second_backfill_of_the_same_folder_adds_no_commit(ws, tmp_path):
    raw = folder(
        tmp_path / "raw",
        {
            "2024-01-01T0000.json": "Askar Mamin",
            "2024-02-01T0000.json": "Alikhan Smailov",
            "2024-03-01T0000.json": "Alikhan Smailov",
            "2024-04-01T0000.json": "Olzhas Bektenov",
        },
    )
    first = backfill(ws, "fb", raw, now=NOW)
    assert len(first.commits) == 3 and first.unchanged == ["2024-03-01T0000.json"]
    count = commits(ws)
    again = backfill(ws, "fb", raw, now=NOW)
    assert again.commits == [] and again.refused == [] and len(again.known) == 4
    assert commits(ws) == count
    assert history(ws) == [
        ("2024-01-01", "Askar Mamin"),
        ("2024-02-01", "Alikhan Smailov"),
        ("2024-04-01", "Olzhas Bektenov"),
    ]


def test_a_folder_that_gained_files_adds_only_the_new_versions(ws, tmp_path):
    raw = folder(
        tmp_path / "raw",
        {"2024-01-01T0000.json": "Askar Mamin", "2024-02-01T0000.json": "Alikhan Smailov"},
    )
    backfill(ws, "fb", raw, now=NOW)
    folder(
        raw, {"2024-04-01T0000.json": "Olzhas Bektenov", "2024-05-01T0000.json": "Askar Mamin"}
    )  # a value that comes back
    result = backfill(ws, "fb", raw, now=NOW)
    assert len(result.commits) == 2 and sorted(result.known) == [
        "2024-01-01T0000.json",
        "2024-02-01T0000.json",
    ]
    assert [v for _, v in history(ws)] == [
        "Askar Mamin",
        "Alikhan Smailov",
        "Olzhas Bektenov",
        "Askar Mamin",
    ]


def test_older_files_are_refused_by_name_and_change_nothing(ws, tmp_path):
    backfill(
        ws, "fb", folder(tmp_path / "new", {"2026-01-22T2232.json": "Olzhas Bektenov"}), now=NOW
    )
    old = folder(
        tmp_path / "old",
        {
            "2021-02-02T1451.json": "Askar Mamin",
            "2021-02-15T2223.json": "Askar Mamin",
            "2026-01-22T2232.json": "Olzhas Bektenov",  # known
            "2026-02-01T0000.json": "Olzhas Bektenov",
        },
    )
    head, status = git(ws, "rev-parse", "HEAD"), cli(ws, "status", "--format", "json").stdout
    proc = cli(ws, "backfill", "fb", "--dir", str(old), "--now", NOW.isoformat())
    assert proc.returncode == 1
    assert (
        "refused 2 file(s) dated before fb's newest snapshot (2026-01-22 22:32 UTC)" in proc.stderr
    )
    assert "2021-02-02T1451.json, 2021-02-15T2223.json" in proc.stderr
    assert "1 unchanged and 1 already in the history" in proc.stdout
    assert git(ws, "rev-parse", "HEAD") == head
    assert cli(ws, "status", "--format", "json").stdout == status
    assert git(ws, "status", "--porcelain") == ""


def test_files_dated_after_now_are_refused(ws, tmp_path):
    raw = folder(
        tmp_path / "raw",
        {"2025-01-01T0000.json": "Olzhas Bektenov", "2099-01-01T0000.json": "Somebody Else"},
    )
    result = backfill(ws, "fb", raw, now=NOW)
    assert len(result.commits) == 1 and result.future == ["2099-01-01T0000.json"]
    proc = cli(ws, "backfill", "fb", "--dir", str(raw), "--now", NOW.isoformat())
    assert proc.returncode == 1 and "dated after now: 2099-01-01T0000.json" in proc.stderr


def test_a_snapshot_from_a_run_is_not_rewound_either(ws, tmp_path, server):
    server.route("/fb.json", Reply(body=doc("Olzhas Bektenov")))
    path = ws / "feeds.yaml"
    path.write_text(FEEDS.format(url=server.url("/fb.json")))
    git(ws, "commit", "-q", "-am", "serve locally")
    run_once(ws, now=utc("2026-02-01T04:00"), run_all=True, send_email=False)
    result = backfill(
        ws, "fb", folder(tmp_path / "old", {"2025-06-01.json": "Alikhan Smailov"}), now=NOW
    )
    assert result.refused == ["2025-06-01.json"] and result.commits == []
    assert result.newest == utc("2026-02-01T04:00")


def test_progress_is_reported_file_by_file(ws, tmp_path):
    raw = folder(tmp_path / "raw", {"2024-02-01.json": "B", "2024-01-01.json": "A"})
    calls: list[tuple[int, int]] = []
    backfill(ws, "fb", raw, now=NOW, progress=lambda *call: calls.append(call))
    assert calls == [(0, 2), (1, 2), (2, 2)]  # (done, total): before each file, at the end


RSS = """<?xml version="1.0"?><rss version="2.0"><channel><title>t</title><link>http://x/</link>
<description>d</description>{items}</channel></rss>"""
ITEM = (
    "<item><title>{t}</title><link>http://x/{t}</link><guid>http://x/{t}</guid>"
    "<pubDate>{d}</pubDate></item>"
)


def test_a_merging_kind_is_idempotent_too(tmp_path):
    """RSS snapshots merge with the previous one, so an old file's snapshot cannot be
    rebuilt: the raw file's blob id recorded in each backfill commit recognizes it."""
    root = make_workspace(
        tmp_path / "ws", "sources:\n  news:\n    kind: rss\n    url: http://127.0.0.1:9/feed\n"
    )
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "2025-01-01.xml").write_text(
        RSS.format(items=ITEM.format(t="one", d="Wed, 01 Jan 2025 10:00:00 GMT"))
    )
    (raw / "2025-01-02.xml").write_text(
        RSS.format(items=ITEM.format(t="two", d="Thu, 02 Jan 2025 10:00:00 GMT"))
    )
    assert len(backfill(root, "news", raw, now=NOW).commits) == 2
    again = backfill(root, "news", raw, now=NOW)
    assert again.commits == [] and again.refused == [] and len(again.known) == 2


# ---------------------------------------------------------------- the real archive


@pytest.mark.slow
@pytest.mark.skipif(not (DATA / "cia-geos-kz").is_dir(), reason="../shared/data is absent")
def test_backfill_of_the_real_archive_twice_in_a_row_adds_no_commit(ws):
    first = backfill(ws, "fb", DATA / "cia-geos-kz", now=NOW)
    assert len(first.commits) > 100
    count = commits(ws)
    proc = cli(ws, "backfill", "fb", "--dir", str(DATA / "cia-geos-kz"))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("0 commit(s)") and "173 already in the history" in proc.stdout
    assert commits(ws) == count
    assert [v for _, v in history(ws)] == ["Askar Mamin", "Alikhan Smailov", "Olzhas Bektenov"]


@pytest.mark.skipif(not (DATA / "cia-geos-kz").is_dir(), reason="../shared/data is absent")
def test_three_2021_files_into_a_2026_workspace_are_refused_by_name(ws, tmp_path):
    archive = DATA / "cia-geos-kz"
    backfill(ws, "fb", _copy(tmp_path / "new", archive, ["2026-01-22T2232.json"]), now=NOW)
    names = ["2021-02-02T1451.json", "2021-05-23T1440.json", "2021-12-30T2210.json"]
    old = _copy(tmp_path / "old", archive, names)
    head, status = git(ws, "rev-parse", "HEAD"), cli(ws, "status", "--format", "json").stdout
    proc = cli(ws, "backfill", "fb", "--dir", str(old))
    assert proc.returncode == 1
    assert all(name in proc.stderr for name in names)
    assert git(ws, "rev-parse", "HEAD") == head and git(ws, "status", "--porcelain") == ""
    assert cli(ws, "status", "--format", "json").stdout == status
    assert json.loads(status)[0]["status"] == "current"  # Bektenov, as in 2026


def _copy(target: Path, archive: Path, names: list[str]) -> Path:
    target.mkdir()
    for name in names:
        shutil.copy(archive / name, target / name)
    return target


def test_history_written_in_an_older_layout_is_recognized_by_its_data(ws, tmp_path):
    """The only version in git holds the data in another layout (an older version's
    writer): a file with that data is known, not refused."""
    from tracker.config import load_config
    from tracker.models import RawDocument
    from tracker.sources.base import make_source

    source = make_source("fb", load_config(ws).sources["fb"])
    data = source.normalize(RawDocument(doc("Olzhas Bektenov"), "x", NOW))
    (ws / "snapshots").mkdir(exist_ok=True)
    (ws / "snapshots" / "fb.yaml").write_text(json.dumps(data, indent=4) + "\n")
    git(ws, "add", "snapshots/fb.yaml")
    git(ws, "commit", "-q", "-m", "an older version's layout")
    same = folder(tmp_path / "same", {"2025-12-01T0000.json": "Olzhas Bektenov"})
    result = backfill(ws, "fb", same, now=utc("2099-01-01"))
    assert result.known == ["2025-12-01T0000.json"] and result.refused == []
    assert git(ws, "status", "--porcelain") == ""


def test_a_file_holding_the_older_layouts_data_is_unchanged_and_the_next_is_committed(ws, tmp_path):
    """The work tree's file is in an older layout; a newer raw file with the same data is
    `unchanged` (compared by data, not bytes) and the file is left as it is; the file
    after it, with other data, is committed in the canonical layout."""
    from tracker.config import load_config
    from tracker.models import RawDocument
    from tracker.sources.base import make_source
    from tracker.store import snapshot_yaml

    source = make_source("fb", load_config(ws).sources["fb"])
    data = source.normalize(RawDocument(doc("Olzhas Bektenov"), "x", NOW))
    older = json.dumps(data, indent=4) + "\n"
    (ws / "snapshots").mkdir(exist_ok=True)
    (ws / "snapshots" / "fb.yaml").write_text(older)
    git(ws, "add", "snapshots/fb.yaml")
    git(ws, "commit", "-q", "-m", "an older version's layout")
    raw = folder(
        tmp_path / "raw",
        {"2099-01-01T0000.json": "Olzhas Bektenov", "2099-02-01T0000.json": "Somebody Else"},
    )
    first = backfill(ws, "fb", raw, now=utc("2099-01-15"))
    assert first.unchanged == ["2099-01-01T0000.json"] and first.commits == []
    assert (ws / "snapshots" / "fb.yaml").read_text() == older
    second = backfill(ws, "fb", raw, now=utc("2099-03-01"))
    assert len(second.commits) == 1 and second.unchanged == ["2099-01-01T0000.json"]
    text = (ws / "snapshots" / "fb.yaml").read_text()
    new = source.normalize(RawDocument(doc("Somebody Else"), "x", NOW))
    assert text == snapshot_yaml.dumps(new) and git(ws, "status", "--porcelain") == ""
