"""The registry of source kinds: the kinds of `config.options.SOURCE_OPTIONS`, each in the
module of its name (imported when a source of that kind is made), are every kind the
package defines."""

from __future__ import annotations

import importlib
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
