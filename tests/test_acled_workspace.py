"""ACLED end to end in a real git workspace against the fake ACLED API (synthetic rows):
no secret leaks anywhere, revisions make facts stale, snapshot size and weekly diffs."""

from __future__ import annotations

import json
import random
import subprocess
from datetime import date, timedelta

import pytest
from typer.testing import CliRunner

from tests.conftest import utc
from tests.support.acled_server import PASSWORD, USERNAME, FakeAcled, event, reply
from tracker.cli.app import app
from tracker.models import Window
from tracker.run.runner import run_once

P, VAC = "Protests", "Violence against civilians"

FEEDS = """\
sources:
  acled-kz:
    kind: acled
    url: {base}
    country: Kazakhstan
    since: 2023-01-01
    credentials: {{username_env: ACLED_USERNAME, password_env: ACLED_PASSWORD}}
    page_size: 50
http:
  backoff: 0.01
  retries: 1
"""

REPORT = """\
report: {id: kz, title: Test report}
facts:
  - id: acled-fatalities-2025
    claim: ACLED counted 2 deaths between 1 January and 12 September 2025.
    expect: 2
    source: acled-kz
    path: [fatalities]
    extract: acled
    params: {from: 2025-01-01, to: 2025-09-12}
  - id: acled-protests-intervention-2025
    claim: 1 protest with intervention between 1 January and 12 September 2025.
    expect: 1
    source: acled-kz
    path: [events]
    extract: acled
    params: {sub_event_type: Protest with intervention,
             from: 2025-01-01, to: 2025-09-12}
"""


@pytest.fixture
def acled(server, monkeypatch) -> FakeAcled:
    monkeypatch.setenv("ACLED_USERNAME", USERNAME)
    monkeypatch.setenv("ACLED_PASSWORD", PASSWORD)
    fake = FakeAcled(server)
    fake.rows = [
        event("KAZ0001", "2025-02-01", VAC, "Attack", 1, civilian=True),
        event("KAZ0002", "2025-05-30", VAC, "Attack", 1, civilian=True),
        event("KAZ0003", "2025-06-14", P, "Protest with intervention"),
        event("KAZ0004", "2025-06-15", P, "Peaceful protest"),
    ]
    return fake


def findings(result) -> dict:
    return {f.fact: f for f in result.findings}


def test_no_secret_reaches_git_files_digests_or_messages(acled, workspace) -> None:
    ws = workspace(FEEDS.format(base=acled.base), {"kz": REPORT})
    cli = CliRunner()
    outputs = []

    def tracker(*args: str, now: str) -> None:
        result = cli.invoke(app, ["-w", str(ws), *args, "--now", now])
        outputs.append(result.output + str(result.exception or ""))

    tracker("run", "--all", "--no-email", now="2025-09-17T05:00")
    acled.expire_tokens()  # → 401 → refresh
    tracker("run", "--all", "--no-email", now="2025-09-17T06:00")
    # a hostile or buggy server quoting the credentials back in its error message
    token = sorted(acled.issued_tokens())[0]
    acled.fail_next(
        "/api/acled/read",
        reply(
            {
                "success": False,
                "error": [{"message": f"bad request from {USERNAME} ({PASSWORD}) with {token}"}],
            }
        ),
    )
    tracker("run", "--all", "--no-email", now="2025-09-17T07:00")
    acled.no_access = True
    tracker("run", "--all", "--no-email", now="2025-09-17T08:00")
    tracker("status", "--format", "json", now="2025-09-17T09:00")
    tracker("sources", "--format", "json", now="2025-09-17T09:00")
    assert acled.grants == ["password", "refresh_token"]
    assert "ACLED reported an error: bad request from *** (***) with ***" in outputs[2]
    assert "no API access" in outputs[3]

    secrets = [USERNAME, PASSWORD, *acled.issued_tokens()]
    history = subprocess.run(
        ["git", "log", "-p", "--all", "--format=%B"],
        cwd=ws,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "acled-kz" in history and "fatalities" in history  # the history was written
    token_cache = ws / ".tracker" / "acled" / "acled-kz.token.json"
    files = [p for p in ws.rglob("*") if p.is_file() and ".git" not in p.parts and p != token_cache]
    assert ws / ".tracker" / "state.json" in files
    texts = {"git history": history, "command output": "\n".join(outputs)}
    texts.update({str(p.relative_to(ws)): p.read_text(errors="replace") for p in files})
    for where, text in texts.items():
        for secret in secrets:
            assert secret not in text, f"a credential or token leaked into {where}"
    tracked = subprocess.run(["git", "ls-files"], cwd=ws, capture_output=True, text=True).stdout
    assert ".tracker" not in tracked and "KAZ0001" not in history


def test_recoded_past_count_makes_the_fact_stale_with_old_and_new(acled, workspace) -> None:
    ws = workspace(FEEDS.format(base=acled.base), {"kz": REPORT})
    first = run_once(ws, now=utc("2025-09-17T05:00"), run_all=True, send_email=False)
    assert findings(first)["acled-fatalities-2025"].status == "current"
    # ACLED recodes KAZ0002 (2 dead, not 1) and sends it again with a newer timestamp
    acled.rows[1] = event(
        "KAZ0002", "2025-05-30", VAC, "Attack", 2, civilian=True, timestamp=1_758_000_000
    )
    second = run_once(ws, now=utc("2025-09-24T05:00"), run_all=True, send_email=False)
    fact = findings(second)["acled-fatalities-2025"]
    assert (fact.status, fact.expected, fact.current) == ("stale", 2, 3)
    assert fact.details.window == Window(start="2025-01-01", end="2025-09-12")
    assert findings(second)["acled-protests-intervention-2025"].status == "current"
    history = CliRunner().invoke(
        app, ["-w", str(ws), "history", "acled-fatalities-2025", "--format", "json"]
    )
    assert [row["value"] for row in json.loads(history.output)] == [2, 3]


def test_finding_says_how_far_the_data_reaches_past_the_window(acled, workspace) -> None:
    ws = workspace(FEEDS.format(base=acled.base), {"kz": REPORT})
    acled.rows.append(
        event("KAZ0010", "2026-03-20", P, "Peaceful protest", timestamp=1_774_000_000)
    )
    result = run_once(ws, now=utc("2026-03-25T05:00"), run_all=True, send_email=False)
    fact = findings(result)["acled-fatalities-2025"]
    assert fact.status == "current"
    assert fact.note == (
        "ACLED data now reaches 2026-03-20, 189 days past this count's "
        "window (2025-01-01 to 2025-09-12)"
    )
    assert fact.details.data_through == "2026-03-20"


def test_unchanged_data_makes_no_commit_and_keeps_the_access_date(acled, workspace) -> None:
    ws = workspace(FEEDS.format(base=acled.base), {"kz": REPORT})
    first = run_once(ws, now=utc("2025-09-17T05:00"), run_all=True, send_email=False)
    second = run_once(ws, now=utc("2025-09-24T05:00"), run_all=True, send_email=False)
    assert first.commit and second.commit is None
    assert "accessed: '2025-09-17'" in (ws / "snapshots" / "acled-kz.yaml").read_text()


def synthetic_country(years: int, seed: int = 4) -> list[dict[str, str]]:
    """About 700 synthetic events a year, shaped like a quiet country's ACLED record."""
    rng = random.Random(seed)
    kinds = [(P, "Peaceful protest", 0, False)] * 14 + [
        (P, "Protest with intervention", 0, False),
        (VAC, "Attack", 1, True),
        ("Riots", "Mob violence", 0, False),
        ("Strategic developments", "Arrests", 0, False),
    ]
    rows, start = [], date(2023, 1, 1)
    for n in range(700 * years):
        day = start + timedelta(days=rng.randrange(365 * years))
        kind, sub, deaths, civ = rng.choice(kinds)
        rows.append(
            event(
                f"KAZ{n:05d}",
                day.isoformat(),
                kind,
                sub,
                deaths * (rng.random() < 0.2),
                civ,
                timestamp=1_750_000_000,
            )
        )
    return rows


def test_three_years_stay_small_and_a_weekly_update_diffs_as_a_few_days(
    acled, workspace, record_property
) -> None:
    acled.rows = synthetic_country(3)
    ws = workspace(
        FEEDS.format(base=acled.base).replace("page_size: 50", "page_size: 1000"), {"kz": REPORT}
    )
    run_once(ws, now=utc("2026-01-05T05:00"), run_all=True, send_email=False)
    snapshot = ws / "snapshots" / "acled-kz.yaml"
    size = snapshot.stat().st_size
    record_property("acled_3y_snapshot_bytes", size)
    print(
        f"\n3-year synthetic ACLED snapshot: {size} bytes, "
        f"{len(snapshot.read_text().splitlines())} lines, {len(acled.rows)} events"
    )
    assert size < 150_000
    # a week later: 12 new events on 4 days, and one past event recoded
    new_days = ["2026-01-01", "2026-01-02", "2026-01-04", "2026-01-06"]
    acled.rows += [
        event(f"KAZ9{n:03d}", new_days[n % 4], P, "Peaceful protest", timestamp=1_767_500_000)
        for n in range(12)
    ]
    acled.rows[0] = {**acled.rows[0], "fatalities": "3", "timestamp": "1767500000"}
    run_once(ws, now=utc("2026-01-12T05:00"), run_all=True, send_email=False)
    diff = subprocess.run(
        ["git", "diff", "HEAD~1", "--", "snapshots/acled-kz.yaml"],
        cwd=ws,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    changed = [
        line
        for line in diff.splitlines()
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]
    print(diff)
    assert len(changed) < 30, diff
    day_lines = {line[1:].strip() for line in changed if line[1:].strip().startswith("'20")}
    assert {f"'{d}':" for d in new_days} <= day_lines


def test_bad_acled_settings_are_config_errors_naming_file_and_key(server, workspace) -> None:
    from tracker.config import load_config
    from tracker.errors import ConfigError

    bad_window = REPORT.replace(
        "from: 2025-01-01, to: 2025-09-12}", "from: 2025-09-12, to: 2025-01-01}", 1
    )
    ws = workspace(FEEDS.format(base=server.url("")), {"kz": bad_window})
    with pytest.raises(ConfigError, match=r"kz.yaml:\d+: .*`from` 2025-09-12 is after `to`"):
        load_config(ws)
    no_creds = FEEDS.format(base=server.url("")).replace(
        "    credentials: {username_env: ACLED_USERNAME, password_env: ACLED_PASSWORD}\n", ""
    )
    ws = workspace(no_creds, {"kz": REPORT}, name="ws2")
    with pytest.raises(ConfigError, match=r"feeds.yaml:\d+: .*credentials.*required"):
        load_config(ws)


def test_backfill_reads_saved_api_answers_dated_by_file_name(server, workspace, tmp_path) -> None:
    from tests.conftest import TEST_DATA
    from tracker.config import load_config
    from tracker.evaluate.history import fact_history
    from tracker.run.backfill import backfill
    from tracker.store.git import GitStore

    sample = json.loads((TEST_DATA / "acled" / "kz-sample.synthetic.json").read_text())
    archive = tmp_path / "archive"
    archive.mkdir()
    (archive / "2025-09-17-kz.json").write_text(json.dumps(sample))
    sample["data"][10]["fatalities"] = "2"  # recoded: 2025-05-30 now counts 2 dead
    (archive / "2025-10-20-kz.json").write_text(json.dumps(sample))
    ws = workspace(FEEDS.format(base=server.url("")), {"kz": REPORT})
    result = backfill(ws, "acled-kz", archive)
    assert len(result.commits) == 2 and not result.failed
    fact = load_config(ws).fact("acled-fatalities-2025")[1]
    rows = fact_history(GitStore(ws), fact.primary)
    assert [(r["value"], r["since"]) for r in rows] == [(4, "2025-09-17"), (5, "2025-10-20")]
    snapshot = (ws / "snapshots" / "acled-kz.yaml").read_text()
    assert "accessed: '2025-10-20'" in snapshot and "KAZ9" not in snapshot


def test_a_run_after_no_change_upstream_parses_nothing_and_commits_nothing(acled, workspace):
    """The validator kept with the committed snapshot makes an unchanged ACLED source a
    304; with the validator dropped (a killed run), the rows give the same snapshot."""
    from tracker.store.state import State

    ws = workspace(FEEDS.format(base=acled.base), {"kz": REPORT})
    first = run_once(ws, now=utc("2025-09-17T05:00:00"), run_all=True, send_email=False)
    assert first.commit is not None
    second = run_once(ws, now=utc("2025-09-18T05:00:00"), run_all=True, send_email=False)
    [source] = second.sources
    assert source.ok and source.not_modified and second.commit is None
    state = State.load(ws)
    state.sources["acled-kz"].validators, state.sources["acled-kz"].validators_for = {}, None
    state.save()
    third = run_once(ws, now=utc("2025-09-19T05:00:00"), run_all=True, send_email=False)
    [source] = third.sources
    assert source.ok and not source.not_modified and not source.changed
    assert third.commit is None
    assert findings(third)["acled-fatalities-2025"].status == "current"


def test_unreadable_local_rows_fail_the_acled_source_alone(acled, workspace, server) -> None:
    """ACLED's local rows can no longer be read (a folder stands where the file was): the
    ACLED source fails with one line naming the file; the other source is committed."""
    from tests.cli_fixtures import BEKTENOV, SMAILOV

    fb = f"  fb:\n    kind: factbook\n    url: {server.url('/kz.json')}\n"
    feeds = FEEDS.format(base=acled.base).replace("\nhttp:\n", f"\n{fb}http:\n", 1)
    ws = workspace(feeds, {"kz": REPORT})
    server.route("/kz.json", body=SMAILOV)
    first = run_once(ws, now=utc("2025-09-13T06:00"), run_all=True, send_email=False)
    assert not first.failed, [s.error for s in first.sources]
    local = sorted((ws / ".tracker" / "acled").glob("acled-kz.*.json"))
    assert local, "the first run keeps ACLED's rows locally"
    for path in local:
        path.unlink()
        path.mkdir()  # reading it now fails: IsADirectoryError
    acled_before = (ws / "snapshots" / "acled-kz.yaml").read_bytes()
    server.route("/kz.json", body=BEKTENOV)
    result = run_once(ws, now=utc("2025-09-14T06:00"), run_all=True, send_email=False)
    outcome = {s.source: s for s in result.sources}
    assert outcome["fb"].ok and outcome["fb"].changed
    error = outcome["acled-kz"].error or ""
    assert not outcome["acled-kz"].ok and "cannot read" in error and "acled-kz." in error
    assert "\n" not in error
    assert result.commit and (ws / "snapshots" / "acled-kz.yaml").read_bytes() == acled_before
    status = subprocess.run(
        ["git", "-C", str(ws), "status", "--porcelain", "--", "snapshots"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert not status.strip()
