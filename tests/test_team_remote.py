"""Team workspace against real git servers on loopback (`git daemon --enable=receive-pack`
and `file://`): clones integrate before writing and push after committing, never force,
never lose a commit — with a rejected push, the server stopped mid-run, a real conflict,
a run killed mid-rebase."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import pytest
from typer.testing import CliRunner

from tests.conftest import make_workspace, utc
from tests.support.gitserver import GitDaemon, git, git_env, ref_updates_are_fast_forwards
from tests.support.server import LocalServer, Reply
from tests.support.zygote import run as warm_run
from tracker.cli.app import app
from tracker.errors import ConfigError, PushError
from tracker.run.runner import run_once
from tracker.store.remote import read_sync_problem
from tracker.workspace import Workspace, clone_workspace

FEEDS = """\
sources:
  fb:
    kind: factbook
    url: {url}
http: {{retries: 0, backoff: 0.01}}
git:
  branch: main
  remote: origin
  push: true
  timeout: {timeout}
"""
REPORT = """\
report: {id: kz}
facts:
  - id: pm
    expect: Person A
    source: fb
    path: [Government, Executive branch, head of government]
    extract: text
"""


def doc(person: str) -> bytes:
    return json.dumps(
        {"Government": {"Executive branch": {"head of government": {"text": person}}}}
    ).encode()


@dataclass
class Team:
    daemon: GitDaemon
    bare: Path
    a: Path
    b: Path
    server: LocalServer

    def serve(self, person: str) -> None:
        self.server.route("/fb.json", Reply(body=doc(person), etag=True))


def seed(tmp_path: Path, url: str, server: LocalServer, timeout: float = 20) -> Path:
    root = make_workspace(
        tmp_path / "seed", FEEDS.format(url=server.url("/fb.json"), timeout=timeout), {"kz": REPORT}
    )
    git(root, "remote", "add", "origin", url)
    git(root, "push", "-q", "origin", "main")
    return root


@pytest.fixture
def team(tmp_path, server):
    with GitDaemon(tmp_path / "server") as daemon:
        bare = daemon.bare("team")
        seed(tmp_path, daemon.url("team"), server)
        a = clone_workspace(daemon.url("team"), tmp_path / "a", now=utc("2026-03-01"))
        b = clone_workspace(daemon.url("team"), tmp_path / "b", now=utc("2026-03-01"))
        yield Team(daemon, bare, a, b, server)


def cli(root: Path, *args: str) -> SimpleNamespace:
    """The command line, in this process (a subprocess costs a second of start-up)."""
    result = CliRunner().invoke(app, ["-w", str(root), *args])
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return SimpleNamespace(returncode=result.exit_code, stdout=result.stdout, stderr=result.stderr)


def cli_process(root: Path, *args: str) -> subprocess.CompletedProcess:
    env = dict(git_env(), PYTHONPATH=str(Path(__file__).resolve().parents[1]))
    return warm_run(
        [sys.executable, "-m", "tracker.cli", "-w", str(root), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def run(root: Path, when: str) -> object:
    return run_once(root, now=utc(when), run_all=True, send_email=False)


def subjects(repo: Path, rev: str = "HEAD") -> list[str]:
    """Commit subjects, oldest first, without the digests a run commits beside its data."""
    return [
        s
        for s in git(repo, "log", "--format=%s", "--reverse", rev).splitlines()
        if not s.startswith("Digest ")
    ]


def remote_main(team: Team) -> str:
    return git(team.bare, "rev-parse", "refs/heads/main")


def fsck_clean(*repos: Path) -> None:
    for repo in repos:
        proc = subprocess.run(
            ["git", "fsck", "--no-progress", "--strict"],
            cwd=repo,
            capture_output=True,
            text=True,
            env=git_env(),
        )
        assert proc.returncode == 0 and "error" not in proc.stderr.lower(), proc.stderr


# ---------------------------------------------------------------- acceptance


def test_run_in_a_ack_in_b_run_in_a_all_three_reach_the_remote_in_order(team):
    team.serve("Person B")
    first = cli(team.a, "run", "--all", "--no-email", "--now", "2026-03-02T04:00")
    assert first.returncode == 0, first.stderr
    ack = cli(team.b, "ack", "pm", "--note", "seen", "--now", "2026-03-02T09:00")
    assert ack.returncode == 0, ack.stderr
    team.serve("Person C")
    again = cli(team.a, "run", "--all", "--no-email", "--now", "2026-03-03T04:00")
    assert again.returncode == 0, again.stderr

    log = subjects(team.bare, "main")
    assert log[0] == "Create workspace"
    assert (
        log[1].startswith("Update fb")
        and log[2].startswith("Acknowledge kz/pm")
        and log[3].startswith("Update fb")
        and len(log) == 4
    )
    # B converges on its next writer; A already is the remote's main
    assert cli(team.b, "run", "--all", "--no-email", "--now", "2026-03-03T05:00").returncode == 0
    assert git(team.a, "rev-parse", "main") == git(team.b, "rev-parse", "main") == remote_main(team)
    assert ref_updates_are_fast_forwards(team.bare)[-1] == remote_main(team)
    fsck_clean(team.bare, team.a, team.b)
    assert read_sync_problem(team.a) is None and read_sync_problem(team.b) is None
    status = json.loads(cli(team.b, "status", "--format", "json").stdout)
    assert status[0]["current"] == "Person C" and status[0]["status"] == "stale"


# ---------------------------------------------------------------- rejected, retried


def test_a_push_rejected_because_someone_pushed_meanwhile_is_integrated_and_retried(team):
    team.serve("Person B")
    ws = Workspace(team.a)
    with ws.writing(now=utc("2026-03-02T04:00")) as writer:
        writer.write_file("reports/notes.txt", "from A\n")
        ours = writer.commit(["reports/notes.txt"], "Note from A", when=utc("2026-03-02T04:00"))
        ack = cli(team.b, "ack", "pm", "--now", "2026-03-02T04:01")  # pushes meanwhile
        assert ack.returncode == 0, ack.stderr
    log = subjects(team.bare, "main")
    assert log[-2:] == ["Acknowledge kz/pm (unverifiable)", "Note from A"]
    assert git(team.a, "rev-parse", "main") == remote_main(team)
    assert remote_main(team) != ours  # rebased onto B's push, then pushed
    dates = git(team.bare, "log", "-1", "--format=%cI", "main")
    assert dates.startswith("2026-03-02T04:00")  # the run's date survives the rebase
    ref_updates_are_fast_forwards(team.bare)
    fsck_clean(team.bare, team.a)


# ---------------------------------------------------------------- unreachable


def test_server_stopped_mid_run_keeps_the_commit_and_the_next_run_pushes_it(team):
    team.serve("Person B")
    ws = Workspace(team.a)
    with pytest.raises(PushError, match="^push failed: cannot push to origin"):
        with ws.writing(now=utc("2026-03-02T04:00")) as writer:
            writer.write_file("reports/notes.txt", "from A\n")
            sha = writer.commit(["reports/notes.txt"], "Note from A")
            team.daemon.stop()
    assert git(team.a, "rev-parse", "main") == sha  # kept locally
    problem = read_sync_problem(team.a)
    assert problem is not None and problem.kind == "unreachable" and problem.unpushed == 1
    assert "1 local commit(s) kept" in problem.message
    # still down: the nightly run commits locally and says so (exit 3, "push failed")
    proc = cli(team.a, "run", "--all", "--no-email", "--now", "2026-03-02T05:00")
    assert proc.returncode == 3 and "push failed" in proc.stderr, proc.stderr
    assert subjects(team.a)[-1].startswith("Update fb")
    waiting = int(git(team.a, "rev-list", "--count", "origin/main..main"))
    assert waiting > 1 and read_sync_problem(team.a).unpushed == waiting
    assert read_sync_problem(team.a).since == problem.since
    team.daemon.start()
    proc = cli(team.a, "run", "--all", "--no-email", "--now", "2026-03-02T06:00")
    assert proc.returncode == 0, proc.stderr
    assert remote_main(team) == git(team.a, "rev-parse", "main")
    assert subjects(team.bare, "main")[-2:] == ["Note from A", subjects(team.a)[-1]]
    assert read_sync_problem(team.a) is None
    fsck_clean(team.bare, team.a)


@pytest.mark.waits
def test_a_server_that_never_answers_is_given_up_after_the_timeout(tmp_path, server):
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)  # accepts connections into the backlog, never says a word
    try:
        url = f"git://127.0.0.1:{silent.getsockname()[1]}/team.git"
        root = make_workspace(
            tmp_path / "ws", FEEDS.format(url=server.url("/fb.json"), timeout=1), {"kz": REPORT}
        )
        git(root, "remote", "add", "origin", url)
        server.route("/fb.json", Reply(body=doc("Person B")))
        with pytest.raises(PushError, match="push failed"):
            run(root, "2026-03-02T04:00")
        assert subjects(root)[-1].startswith("Update fb")
        assert read_sync_problem(root).kind == "unreachable"
    finally:
        silent.close()


# ---------------------------------------------------------------- conflict


def _edit_expect(root: Path, value: str, message: str) -> None:
    path = root / "reports" / "kz.yaml"
    path.write_text(path.read_text().replace("expect: Person A", f"expect: {value}"))
    git(root, "commit", "-q", "-am", message)


def test_a_real_conflict_aborts_the_integration_keeps_both_sides_and_pushes_nothing(team):
    _edit_expect(team.b, "Person Y", "B: claim Y")
    git(team.b, "push", "-q", "origin", "main")
    _edit_expect(team.a, "Person X", "A: claim X")
    ours = git(team.a, "rev-parse", "main")
    theirs = remote_main(team)
    team.serve("Person B")

    proc = cli(team.a, "run", "--all", "--no-email", "--now", "2026-03-02T04:00")
    assert proc.returncode == 3, proc.stderr
    assert "push failed: conflict" in proc.stderr and "reports/kz.yaml" in proc.stderr
    assert "git pull --rebase origin main" in proc.stderr
    assert remote_main(team) == theirs  # nothing pushed
    log = git(team.a, "log", "--format=%H", "main").splitlines()
    assert ours in log  # our side kept as it was
    assert subjects(team.a)[-1].startswith("Update fb")  # the run still recorded its data
    assert not (team.a / ".git" / "rebase-merge").exists()
    assert git(team.a, "status", "--porcelain", "--untracked-files=no") == ""
    problem = read_sync_problem(team.a)
    assert problem.kind == "conflict" and problem.files == ["reports/kz.yaml"]
    # every later writer says so again, and still loses nothing
    proc = cli(team.a, "run", "--all", "--no-email", "--now", "2026-03-03T04:00")
    assert proc.returncode == 3 and "conflict" in proc.stderr
    # a person merges; then the next writer is in sync again
    git(team.a, "pull", "-q", "--rebase", "origin", "main", check=False)
    (team.a / "reports" / "kz.yaml").write_text(REPORT.replace("Person A", "Person Z"))
    git(team.a, "add", "reports/kz.yaml")
    subprocess.run(
        ["git", "-c", "core.editor=true", "rebase", "--continue"],
        cwd=team.a,
        env=git_env(),
        capture_output=True,
        check=True,
    )
    proc = cli(team.a, "run", "--all", "--no-email", "--now", "2026-03-04T04:00")
    assert proc.returncode == 0, proc.stderr
    assert read_sync_problem(team.a) is None
    remote_log = git(team.bare, "log", "--format=%s", "main").splitlines()
    assert "A: claim X" in remote_log and "B: claim Y" in remote_log
    ref_updates_are_fast_forwards(team.bare)
    fsck_clean(team.bare, team.a)


def test_uncommitted_edits_keep_the_remote_out_and_are_never_touched(team):
    git(team.b, "commit", "-q", "--allow-empty", "-m", "B: empty")
    git(team.b, "push", "-q", "origin", "main")
    path = team.a / "reports" / "kz.yaml"
    path.write_text(path.read_text() + "# a thought\n")
    team.serve("Person B")
    with pytest.raises(PushError, match="uncommitted changes in reports/kz.yaml"):
        run(team.a, "2026-03-02T04:00")
    assert path.read_text().endswith("# a thought\n")
    assert read_sync_problem(team.a).kind == "not-integrated"
    assert git(team.bare, "log", "-1", "--format=%s", "main") == "B: empty"


# ---------------------------------------------------------------- killed mid-rebase


KILLER = """#!/bin/sh
# the tracker's rebase checks out the remote's commit: kill the run (and its git) right here
if [ -f kill-me ]; then
  rm -f kill-me
  tracker=$(ps -o ppid= -p $PPID | tr -d ' ')
  kill -9 $PPID $tracker
fi
"""


def test_a_run_killed_mid_rebase_is_repaired_by_the_next_run(team):
    git(team.b, "commit", "-q", "--allow-empty", "-m", "B: empty")
    git(team.b, "push", "-q", "origin", "main")
    (team.a / "reports" / "notes.txt").write_text("A's note\n")
    git(team.a, "add", "reports/notes.txt")
    git(team.a, "commit", "-q", "-m", "A: note")
    ours = git(team.a, "rev-parse", "main")
    hook = team.a / ".git" / "hooks" / "post-checkout"
    hook.parent.mkdir(exist_ok=True)  # the suite's git copies no templates
    hook.write_text(KILLER)
    hook.chmod(0o755)
    (team.a / "kill-me").write_text("")
    (team.a / ".git" / "info").mkdir(exist_ok=True)
    (team.a / ".git" / "info" / "exclude").write_text("kill-me\n")
    team.serve("Person B")

    killed = cli_process(team.a, "run", "--all", "--no-email", "--now", "2026-03-02T04:00")
    assert killed.returncode == -9, (killed.returncode, killed.stderr)
    assert (team.a / ".git" / "rebase-merge").is_dir()  # left mid-rebase
    assert (team.a / ".tracker" / "integrating.json").exists()

    proc = cli_process(team.a, "run", "--all", "--no-email", "--now", "2026-03-02T05:00")
    assert proc.returncode == 0, proc.stderr
    assert "aborted the rebase" in proc.stderr
    assert not (team.a / ".git" / "rebase-merge").exists()
    assert not (team.a / ".tracker" / "integrating.json").exists()
    log = subjects(team.bare, "main")
    assert log[-3] == "B: empty" and log[-2] == "A: note" and log[-1].startswith("Update fb")
    assert git(team.a, "rev-parse", "main") == remote_main(team) != ours
    assert git(team.a, "status", "--porcelain", "--untracked-files=no") == ""
    fsck_clean(team.bare, team.a)


# ---------------------------------------------------------------- file://, clone, config


def test_a_file_url_remote_works_the_same(tmp_path, server):
    bare = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", "-b", "main", str(bare))
    url = bare.as_uri()
    seed(tmp_path, url, server)
    a = clone_workspace(url, tmp_path / "a", now=utc("2026-03-01"))
    b = clone_workspace(url, tmp_path / "b", now=utc("2026-03-01"))
    server.route("/fb.json", Reply(body=doc("Person B")))
    run(a, "2026-03-02T04:00")
    server.route("/fb.json", Reply(body=doc("Person C")))
    run(b, "2026-03-02T05:00")  # integrates A's commit first, then adds its own
    assert subjects(bare, "main")[1:] == [subjects(a)[-1], subjects(b)[-1]]
    assert git(b, "rev-parse", "main") == git(bare, "rev-parse", "main")
    fsck_clean(bare, a, b)


def test_init_clone_of_an_empty_remote_seeds_it_and_of_a_non_workspace_refuses(tmp_path):
    with GitDaemon(tmp_path / "server") as daemon:
        bare = daemon.bare("empty")
        proc = cli(tmp_path, "init", str(tmp_path / "ws"), "--clone", daemon.url("empty"))
        assert proc.returncode == 0, proc.stderr
        assert "remote: origin" in (tmp_path / "ws" / "feeds.yaml").read_text()
        assert git(bare, "log", "--format=%s", "main") == "Create workspace"
        other = daemon.bare("other")
        plain = tmp_path / "plain"
        git(tmp_path, "init", "-q", "-b", "main", str(plain))
        git(plain, "commit", "-q", "--allow-empty", "-m", "x")
        git(plain, "push", "-q", other.as_uri(), "main")
        proc = cli(tmp_path, "init", str(tmp_path / "nope"), "--clone", daemon.url("other"))
        assert proc.returncode == 2 and "not a tracker workspace" in proc.stderr
        assert not (tmp_path / "nope").exists()
    proc = cli(tmp_path, "init", str(tmp_path / "down"), "--clone", daemon.url("empty"))
    assert proc.returncode == 1 and "git clone" in proc.stderr
    assert not (tmp_path / "down").exists()


def test_a_remote_git_does_not_know_is_a_configuration_error_before_anything(tmp_path, server):
    root = make_workspace(
        tmp_path / "ws", FEEDS.format(url=server.url("/fb.json"), timeout=5), {"kz": REPORT}
    )
    with pytest.raises(ConfigError, match="no remote 'origin'"):
        run(root, "2026-03-02T04:00")
    assert server.requests == []


def test_credentials_are_never_asked_for(tmp_path, server, monkeypatch):
    """An https remote that wants a login: git fails at once instead of prompting."""
    server.route(
        "/team.git/info/refs",
        Reply(
            401,
            b"login",
            headers={"WWW-Authenticate": 'Basic realm="git"'},
            content_type="text/plain",
        ),
    )
    root = make_workspace(
        tmp_path / "ws", FEEDS.format(url=server.url("/fb.json"), timeout=20), {"kz": REPORT}
    )
    git(root, "remote", "add", "origin", server.url("/team.git"))
    monkeypatch.delenv("GIT_ASKPASS", raising=False)
    monkeypatch.delenv("SSH_ASKPASS", raising=False)
    server.route("/fb.json", Reply(body=doc("Person B")))
    with pytest.raises(PushError, match="push failed"):
        run(root, "2026-03-02T04:00")
    assert os.environ.get("GIT_TERMINAL_PROMPT") != "1"


def test_backfill_integrates_first_and_pushes_its_commits(team, tmp_path):
    team.serve("Person B")
    run(team.a, "2026-03-02T04:00")  # B is behind now
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "2026-03-05T1200.json").write_bytes(doc("Person D"))
    proc = cli(team.b, "backfill", "fb", "--dir", str(raw), "--now", "2026-03-06")
    assert proc.returncode == 0, proc.stderr
    assert subjects(team.bare, "main")[-2:] == [
        subjects(team.a)[-1],
        "Backfill fb from 2026-03-05T1200.json",
    ]
    assert git(team.b, "rev-parse", "main") == remote_main(team)


def test_a_push_the_server_refuses_is_not_retried_and_says_why(tmp_path, server):
    bare = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", "-b", "main", str(bare))
    seed(tmp_path, bare.as_uri(), server)
    a = clone_workspace(bare.as_uri(), tmp_path / "a", now=utc("2026-03-01"))
    hook = bare / "hooks" / "pre-receive"
    hook.parent.mkdir(exist_ok=True)  # the suite's git copies no templates
    hook.write_text("#!/bin/sh\necho 'main is protected' >&2\nexit 1\n")
    hook.chmod(0o755)
    server.route("/fb.json", Reply(body=doc("Person B")))
    with pytest.raises(PushError, match="origin refused the push"):
        run(a, "2026-03-02T04:00")
    problem = read_sync_problem(a)
    assert problem.kind == "refused" and problem.unpushed >= 1
    assert len(subjects(bare, "main")) == 1  # nothing arrived


def test_credentials_in_a_url_never_reach_a_message(tmp_path):
    proc = cli(
        tmp_path, "init", str(tmp_path / "ws"), "--clone", "http://bob:s3cret@127.0.0.1:9/team.git"
    )
    assert proc.returncode == 1 and "git clone" in proc.stderr
    assert "s3cret" not in proc.stderr and "***@127.0.0.1" in proc.stderr


def test_the_cli_shows_gits_bracketed_words(tmp_path, server):
    bare = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", "-b", "main", str(bare))
    seed(tmp_path, bare.as_uri(), server)
    a = clone_workspace(bare.as_uri(), tmp_path / "a", now=utc("2026-03-01"))
    hook = bare / "hooks" / "pre-receive"
    hook.parent.mkdir(exist_ok=True)  # the suite's git copies no templates
    hook.write_text("#!/bin/sh\nexit 1\n")
    hook.chmod(0o755)
    server.route("/fb.json", Reply(body=doc("Person B")))
    proc = cli(a, "run", "--all", "--no-email", "--now", "2026-03-02T04:00")
    assert proc.returncode == 3 and "[remote rejected]" in proc.stderr, proc.stderr


def test_maintainers_are_told_in_their_mail_and_told_again_when_it_is_over(team):
    path = team.a / "feeds.yaml"
    path.write_text(
        path.read_text() + "email: {smtp: {host: 127.0.0.1, port: 9, security: "
        "plain, timeout: 2}, from: t@example.org, to: [a@example.org], "
        "maintainers: [m@example.org]}\n"
    )
    git(team.a, "commit", "-q", "-am", "mail")
    team.serve("Person B")
    with team.daemon.down():
        with pytest.raises(PushError):
            run_once(team.a, now=utc("2026-03-02T04:00"), run_all=True)  # SMTP down too
    told = [p.read_text() for p in (team.a / ".tracker" / "outbox").glob("*.eml")]
    mail = [m for m in told if "git sync: unreachable" in m]
    assert mail and "git origin/main: unreachable since 2026-03-02" in mail[0]
    run_once(team.a, now=utc("2026-03-03T04:00"), run_all=True)  # pushes: in sync again
    told = [p.read_text() for p in (team.a / ".tracker" / "outbox").glob("*.eml")]
    assert any("all sources healthy again" in m and "Recovered: git sync" in m for m in told)
