"""Hostile configuration and workspace files: each ends cleanly, before anything is written.

YAML alias bombs, addresses that would break a message at send time, fact ids that would
make `tracker ack` pick one silently, references to reports that do not exist, folders
and snapshot files that are symbolic links, a full disk, local state of the wrong shape.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import textwrap
import time
from pathlib import Path

import pytest

from tests.conftest import make_workspace, utc
from tests.support.cli import tracker as in_process
from tests.support.hostile import ENV, git, hostile_workspace
from tests.support.server import LocalServer
from tracker.config import load_config
from tracker.errors import ConfigError
from tracker.run.runner import run_once

FEEDS = "sources:\n  fb: {kind: factbook, url: 'http://127.0.0.1:9/kz.json'}\n"
REPORT = """\
report: {id: kz}
facts:
  - id: pm
    expect: Olzhas Bektenov
    source: fb
    path: [Government, head of government, text]
"""


def tracker(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """In this process: what is tested is the command's answer, not the process."""
    return in_process(root, *args, env=ENV)


def nothing_written(root: Path, commits: int = 1) -> None:
    assert not (root / ".tracker" / "state.json").exists()
    assert len(git(root, "log", "--format=%H").split()) == commits
    assert not list((root / "digests").glob("*")) if (root / "digests").exists() else True


def one_clean_line(proc: subprocess.CompletedProcess[str], code: int) -> str:
    assert "Traceback" not in proc.stderr + proc.stdout, proc.stderr
    assert proc.returncode == code, (proc.returncode, proc.stderr)
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert lines, proc.stdout
    return lines[0]


# ------------------------------------------------------------------ YAML alias bombs

LAUGHS = "".join(f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9)}]\n" for i in range(1, 10))
BOMBS = {
    "lists": "l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + LAUGHS,
    "mappings": "m0: &m0 {a: lol, b: lol, c: lol, d: lol, e: lol, f: lol, g: lol, h: lol}\n"
    + "".join(
        f"m{i}: &m{i} {{{', '.join(f'k{k}: *m{i - 1}' for k in range(9))}}}\n" for i in range(1, 10)
    ),
}


@pytest.mark.parametrize("shape", list(BOMBS))
@pytest.mark.parametrize("where", ["feeds.yaml", "a report"])
def test_an_alias_bomb_is_a_config_error_with_its_line_within_a_second(tmp_path, shape, where):
    bomb = BOMBS[shape]
    last = bomb.strip().splitlines()[-1].split(":")[0]
    if where == "feeds.yaml":
        feeds = (
            "sources:\n  news:\n    kind: rss\n    url: http://127.0.0.1:9/f\n"
            f"    include: *{last}\n"
        )
        root = make_workspace(tmp_path / "ws", "x-anchors: &top\n  - 1\n" + feeds, {})
        (root / "feeds.yaml").write_text(textwrap.indent(bomb, "") + feeds)
        expected = f"{root / 'feeds.yaml'}:{len(bomb.splitlines()) + 5}:"
    else:
        report = (
            f"report: {{id: kz}}\n{bomb}facts:\n  - id: pm\n    expect: *{last}\n"
            "    valid_until: 2030-01-01\n"
        )
        root = make_workspace(tmp_path / "ws", "sources: {}\n", {})
        (root / "reports" / "kz.yaml").write_text(report)
        expected = f"{root / 'reports' / 'kz.yaml'}:{len(bomb.splitlines()) + 4}:"
    started = time.monotonic()
    with pytest.raises(ConfigError) as caught:
        load_config(root)
    took = time.monotonic() - started
    print(f"refused in {took:.3f} s: {caught.value}")
    assert took < 1.0, took
    assert str(caught.value).startswith(expected) and "alias bomb" in str(caught.value)
    proc = tracker(root, "run", "--all", "--no-email")
    line = one_clean_line(proc, 2)
    assert expected in line and "alias bomb" in line, line
    nothing_written(root)


def test_a_recursive_alias_is_a_config_error(tmp_path):
    root = make_workspace(tmp_path / "ws", "sources: {}\n", {})
    (root / "feeds.yaml").write_text("loop: &loop [1, *loop]\nsources: {}\n")
    with pytest.raises(ConfigError, match=r"feeds.yaml:1: .*recursive YAML alias"):
        load_config(root)


def test_ordinary_anchors_and_merge_keys_still_load(tmp_path):
    root = make_workspace(tmp_path / "ws", "sources: {}\n", {})
    (root / "feeds.yaml").write_text(
        "x-feed: &feed {kind: rss, timeout: 5, max_items: 50}\nsources:\n"
        + "".join(
            f"  feed{n}: {{<<: *feed, url: 'http://127.0.0.1:9/{n}', include: "
            f"{'&kw [Bektenov, Astana]' if n == 0 else '*kw'}}}\n"
            for n in range(300)
        )
    )
    with pytest.raises(ConfigError, match="unknown key 'x-feed'"):
        load_config(root)  # (the anchor's own key is not a setting; the aliases are fine)
    text = (
        (root / "feeds.yaml")
        .read_text()
        .replace("x-feed: &feed {kind: rss, timeout: 5, max_items: 50}\n", "")
    )
    (root / "feeds.yaml").write_text(text.replace("<<: *feed, ", "kind: rss, "))
    config = load_config(root)
    assert len(config.sources) == 300
    assert config.sources["feed299"].include == ["Bektenov", "Astana"]


# ------------------------------------------------------------------ email addresses

BAD_ADDRESSES = [
    "analysts@example.org\r\nBcc: everyone@evil.example",
    "analysts@example.org\nX-Injected: 1",
    "not an address",
    "a@example.org, b@example.org",
    "analysts@",
    "\x00@example.org",
]


@pytest.mark.parametrize("key", ["from", "to", "maintainers"])
@pytest.mark.parametrize("address", BAD_ADDRESSES)
def test_email_addresses_are_checked_at_load(tmp_path, key, address):
    fields = {
        "from": json.dumps("tracker@example.org"),
        "to": '["analysts@example.org"]',
        "maintainers": "[]",
    }
    fields[key] = json.dumps(address) if key == "from" else json.dumps([address])
    feeds = FEEDS + (
        "email:\n  smtp: {host: 127.0.0.1, port: 9, security: plain}\n"
        + "".join(f"  {k}: {v}\n" for k, v in fields.items())
    )
    root = make_workspace(tmp_path / "ws", feeds, {"kz": REPORT})
    with pytest.raises(ConfigError) as caught:
        load_config(root)
    message = str(caught.value)
    assert f"feeds.yaml:{5 + list(fields).index(key)}: email.{key}" in message, message
    line = one_clean_line(tracker(root, "run", "--all"), 2)
    assert "feeds.yaml:" in line and "\r" not in line
    nothing_written(root)


def test_display_names_are_fine(tmp_path):
    feeds = FEEDS + (
        "email:\n  smtp: {host: 127.0.0.1}\n  from: 'Tracker <t@example.org>'\n"
        "  to: ['Analysts <a@example.org>', b@example.org]\n"
    )
    root = make_workspace(tmp_path / "ws", feeds, {"kz": REPORT})
    assert load_config(root).email.to == ["Analysts <a@example.org>", "b@example.org"]


# ------------------------------------------------------------------ references


def test_a_fact_id_used_by_two_reports_is_refused(tmp_path):
    other = REPORT.replace("id: kz}", "id: other}")
    root = make_workspace(tmp_path / "ws", FEEDS, {"kz": REPORT, "other": other})
    with pytest.raises(
        ConfigError,
        match=r"reports/other.yaml:3: facts\[0\].id: duplicate "
        r"fact id 'pm': also in kz.yaml",
    ):
        load_config(root)
    one_clean_line(tracker(root, "ack", "pm"), 2)


def test_digest_reports_must_exist(tmp_path):
    root = make_workspace(
        tmp_path / "ws", FEEDS + "digest:\n  reports: [kz, kz-2024]\n", {"kz": REPORT}
    )
    with pytest.raises(ConfigError, match=r"feeds.yaml:4: digest.reports\[1\]: .*'kz-2024'"):
        load_config(root)


def test_a_citations_source_must_name_an_existing_report(tmp_path):
    root = make_workspace(
        tmp_path / "ws", FEEDS + "  links: {kind: citations, report: kz2}\n", {"kz": REPORT}
    )
    with pytest.raises(ConfigError, match=r"feeds.yaml:3: sources.links.report: .*'kz2'"):
        load_config(root)
    (root / "reports" / "kz2.citations.yaml").write_text("footnotes: []\n")
    load_config(root)  # a scanned report whose facts are not adopted yet


# ------------------------------------------------------------------ symbolic links

SECRET = "OUTSIDE-FILE-CONTENT-7f3a"


@pytest.fixture
def linked(tmp_path, monkeypatch):
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    with LocalServer() as server:
        ws = hostile_workspace(tmp_path, server, "factbook")
        ws.first_run()
        ws.serve_good_sources(2)
        outside = tmp_path / "outside"
        outside.mkdir()
        yield ws, outside


def _point(link: Path, target: Path) -> None:
    if link.is_dir() and not link.is_symlink():
        shutil.rmtree(link)
    else:
        link.unlink(missing_ok=True)
    link.symlink_to(target)


@pytest.mark.parametrize("what", ["snapshots/", "digests/", "snapshots/bad.yaml"])
def test_a_symlink_in_the_workspace_is_refused_by_name(linked, what):
    ws, outside = linked
    secret_file = outside / "bad.yaml"
    secret_file.write_text(f"Government:\n  head of government:\n    text: {SECRET}\n")
    link = ws.root / what.rstrip("/")
    if what.endswith("/"):
        shutil.copytree(link, outside / link.name, dirs_exist_ok=True)
        (outside / link.name / "bad.yaml").write_text(secret_file.read_text())
        _point(link, outside / link.name)
    else:
        _point(link, secret_file)
    listing = sorted(p.name for p in outside.rglob("*"))
    before = git(ws.root, "rev-parse", "HEAD")
    proc = ws.tracker("run", "--all", "--no-email")
    line = one_clean_line(proc, 1)
    assert str(link) in line and "symbolic link" in line, line
    assert git(ws.root, "rev-parse", "HEAD") == before, "nothing committed"
    assert sorted(p.name for p in outside.rglob("*")) == listing, "nothing written outside"
    assert SECRET not in git(ws.root, "log", "--all", "-p", "--format=%B")
    if what.startswith("snapshots"):  # readers refuse it too (no reader opens digests/)
        reader = ws.tracker("status")
        line = one_clean_line(reader, 1)
        assert "symbolic link" in line and SECRET not in reader.stdout + reader.stderr


# ------------------------------------------------------------------ a full disk


@pytest.fixture
def small_disk(tmp_path):
    mount = tmp_path / "disk"
    mount.mkdir()
    if (
        os.geteuid() != 0
        or subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", str(mount)], capture_output=True
        ).returncode
    ):
        pytest.skip("needs root to mount a small tmpfs (a disk that can be filled)")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], capture_output=True)


def fill(folder: Path) -> Path:
    """Fill the file system that holds `folder` to the last block."""
    filler = folder / "filler"
    with filler.open("wb") as handle:
        try:
            while True:
                handle.write(b"\0" * 65536)
                handle.flush()
        except OSError:
            pass
    try:
        with filler.open("ab") as handle:  # the last few bytes, one at a time
            while True:
                handle.write(b"\0")
                handle.flush()
    except OSError:
        pass
    return filler


def test_a_full_disk_ends_the_run_with_one_line_and_the_next_run_repairs(small_disk, monkeypatch):
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    with LocalServer() as server:
        ws = hostile_workspace(small_disk, server, "factbook")
        ws.first_run()
        ws.serve_good_sources(2)
        filler = fill(small_disk)
        proc = ws.tracker("run", "--all", "--no-email")
        line = one_clean_line(proc, 1)
        assert "No space left on device" in line, line
        filler.unlink()
        again = run_once(ws.root, now=utc("2025-10-10T04:00"), run_all=True, send_email=False)
    assert again.commit and all(s.ok for s in again.sources)
    assert git(ws.root, "status", "--porcelain", "snapshots", "digests") == ""


# ------------------------------------------------------------------ local state


def test_local_state_of_the_wrong_shape_is_set_aside(linked):
    """(JsonFile adoption for .tracker/*.json)"""
    ws, _ = linked
    state = ws.root / ".tracker" / "state.json"
    state.write_text(json.dumps({"sources": {"good-fb": "oops", "bad": [1]}}))
    proc = ws.tracker("run", "--all", "--no-email")
    assert "Traceback" not in proc.stderr and proc.returncode == 0, proc.stderr
    assert (ws.root / ".tracker" / "state.json.damaged").exists()
    assert json.loads(state.read_text())["sources"]["good-fb"]["failures"] == 0
