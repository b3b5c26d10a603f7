"""The registry of source kinds: the kinds of `config.options.SOURCE_OPTIONS`, each in the
module of its name (imported when a source of that kind is made), are every kind the
package defines."""

from __future__ import annotations

import importlib
import json
import pkgutil
import subprocess
import sys

import pytest

import tracker.sources
from tracker.config.options import SOURCE_OPTIONS
from tracker.sources.base import SOURCES, all_kinds, kind_module, source_class


def test_every_kind_has_its_options_and_each_options_model_a_kind():
    kinds = all_kinds()
    assert set(kinds) == set(SOURCE_OPTIONS)
    for kind, cls in kinds.items():
        assert cls.kind == kind and cls.Options is SOURCE_OPTIONS[kind]


def test_the_explicit_list_names_every_kind_the_package_defines():
    for module in pkgutil.iter_modules(tracker.sources.__path__, "tracker.sources."):
        importlib.import_module(module.name)
    assert dict(SOURCES) == all_kinds(), "a kind missing from config.options.SOURCE_OPTIONS"


def test_an_unknown_kind_is_a_key_error():
    with pytest.raises(KeyError):
        source_class("gopher")


def test_making_a_feed_source_loads_no_other_kind():
    code = (
        "import sys\n"
        "from tracker.config.options import RssOptions\n"
        "from tracker.sources import make_source\n"
        "make_source('news', RssOptions(kind='rss', url='https://example.org/feed'))\n"
        "print(sorted(m for m in sys.modules if m.startswith('tracker.sources.')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    loaded = eval(out.stdout)  # noqa: S307 - our own child's printed list
    assert "tracker.sources.rss" in loaded
    assert not {kind_module(k) for k in SOURCE_OPTIONS if k != "rss"} & set(loaded)


def test_a_kind_that_cannot_be_loaded_fails_its_sources_alone(tmp_path, server, monkeypatch):
    """A broken install (the rss kind's module will not import): the feed fails, saying
    why, its snapshot is kept; the Factbook source is fetched and committed; exit 3."""
    from tests.cli_fixtures import BEKTENOV, cli, make

    root = make(tmp_path, server)  # two good runs: both snapshots exist
    feed_before = (root / "snapshots" / "news.yaml").read_bytes()
    head = git(root, "rev-parse", "HEAD").strip()
    server.route("/kz.json", body=BEKTENOV)  # the Factbook changes back
    monkeypatch.delitem(SOURCES, "rss")
    monkeypatch.setitem(sys.modules, kind_module("rss"), None)  # `import` now fails
    outcome = cli("-w", str(root), "run", "--all", "--no-email", "--now", "2026-01-30T07:00")
    assert outcome.code == 3, outcome.out + outcome.err
    printed = outcome.out + outcome.err
    lines = [line for line in printed.splitlines() if "news" in line]
    assert len(lines) == 1 and "'rss' source kind cannot be loaded" in lines[0], printed
    assert "Traceback" not in outcome.out + outcome.err
    assert (root / "snapshots" / "news.yaml").read_bytes() == feed_before
    committed = git(root, "diff", "--name-only", head, "HEAD").split()
    assert "snapshots/fb.yaml" in committed and "snapshots/news.yaml" not in committed
    assert not git(root, "status", "--porcelain").strip()
    # `tracker check` names it as that source's problem
    checked = cli("-w", str(root), "check", "--format", "json")
    problems = json.loads(checked.out)["problems"]
    assert checked.code == 1, checked.out + checked.err
    assert [p["subject"] for p in problems if "cannot be loaded" in p["message"]] == ["news"]


def git(root, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(root), *args], capture_output=True, text=True, check=True
    ).stdout
