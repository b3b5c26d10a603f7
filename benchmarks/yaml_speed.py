"""Snapshot YAML: tracker (ruamel.yaml's C emitter and parser, driven with events) against the
PyYAML C dumper and loader it replaced, measured in the same run.

    .venv/bin/python benchmarks/yaml_speed.py [--rounds 15] [--no-install]

Two snapshots: the Kazakhstan Factbook profile of 2026-01-22 (the demo data shipped in
the package: ~165 KB of geos JSON, ~37 KB of snapshot YAML) and a 20-item news feed.
The baseline is what `store/snapshot_yaml.py` did before: `yaml.CSafeDumper` with a
representer that writes multi-line text as literal blocks, and `yaml.CSafeLoader`.
PyYAML is no dependency any more: it is imported from this interpreter if present, else
installed on first use into `benchmarks/.venv-pyyaml` (git-ignored) and imported from
there (same interpreter, so its C extension loads); `--no-install` skips the baseline.
ruamel.yaml's own safe dumper and loader are shown too, for what driving libyaml directly buys.

Each operation runs a few times per round, rounds interleave all operations, and the
best round counts (CPU time of this process: other jobs on a shared machine disturb it
less than wall time). Ratios are tracker / PyYAML: below 1 is faster.
"""

from __future__ import annotations

import argparse
import gzip
import io
import subprocess
import sys
import sysconfig
import time
from pathlib import Path
from typing import Any, Callable

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
SCRATCH = HERE / ".venv-pyyaml"
FACTBOOK = ROOT / "tracker" / "demo" / "data" / "factbook" / "2026-01-22T2232.json.gz"

from tracker.sources.factbook import normalize_factbook  # noqa: E402
from tracker.store import snapshot_yaml  # noqa: E402


def feed_snapshot(items: int = 20) -> dict[str, Any]:
    """The shape the rss kind stores: items by id, multi-line summaries, unicode."""
    entries = {}
    for n in range(items):
        link = f"https://news.example.org/2025/10/{n + 1:02d}/story-{n}/"
        summary = (f"Депутаты Мажилиса одобрили поправки, история {n}. " * 3).strip()
        if n % 3 == 0:
            summary += f"\n\nThe post Story {n} appeared first on Example Central Asia Times."
        entries[f"https://news.example.org/?p={1000 + n}"] = {
            "title": f"Kazakhstan’s Senate passes amendments on migration ({n})",
            "link": link,
            "published": f"2025-10-{n % 28 + 1:02d}T07:15:00Z",
            "summary": summary,
        }
    return {
        "title": "Example Central Asia Times",
        "link": "https://news.example.org",
        "items": entries,
    }


def pyyaml(install: bool) -> Any:
    """The PyYAML module, or None (with a message) when it cannot be had."""
    try:
        import yaml

        return yaml
    except ImportError:
        pass
    site = Path(
        sysconfig.get_path("purelib", vars={"base": str(SCRATCH), "platbase": str(SCRATCH)})
    )
    if not site.is_dir() and install:
        print(f"installing PyYAML into {SCRATCH.relative_to(ROOT)} (the baseline only)")
        subprocess.run([sys.executable, "-m", "venv", str(SCRATCH)], check=True)
        subprocess.run(
            [str(SCRATCH / "bin" / "python"), "-m", "pip", "install", "-q", "pyyaml"], check=True
        )
    if site.is_dir():
        sys.path.append(str(site))
        try:
            import yaml

            return yaml
        except ImportError:
            pass
    print("PyYAML is not available (no network, or --no-install): baseline skipped")
    return None


def pyyaml_codec(yaml: Any) -> tuple[Callable[[Any], str], Callable[[str], Any]]:
    """What store/snapshot_yaml.py did with PyYAML before ruamel.yaml replaced it."""

    class CanonicalDumper(yaml.CSafeDumper):  # type: ignore[misc,name-defined]
        pass

    def literal(dumper: Any, value: str) -> Any:
        if "\n" in value and not any(line != line.rstrip(" \t") for line in value.split("\n")):
            return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|")
        return dumper.represent_scalar("tag:yaml.org,2002:str", value)

    CanonicalDumper.add_representer(str, literal)

    def dump(data: Any) -> str:
        return yaml.dump(
            data,
            Dumper=CanonicalDumper,
            sort_keys=True,
            default_flow_style=False,
            allow_unicode=True,
            width=1_000_000,
            indent=2,
        )

    def load(text: str) -> Any:
        return yaml.load(text, Loader=yaml.CSafeLoader)  # noqa: S506 - the safe C loader

    return dump, load


def ruamel_codec() -> tuple[Callable[[Any], str], Callable[[str], Any]]:
    """ruamel.yaml's own safe (C) dumper and loader, configured the same way."""
    from ruamel.yaml import YAML

    yaml = YAML(typ="safe")
    yaml.default_flow_style, yaml.allow_unicode, yaml.width = False, True, 1_000_000

    def dump(data: Any) -> str:
        out = io.StringIO()
        yaml.dump(data, out)
        return out.getvalue()

    return dump, yaml.load


def best_times(
    operations: dict[str, Callable[[], Any]], rounds: int, repeat: int
) -> dict[str, float]:
    best = {name: float("inf") for name in operations}
    for _ in range(rounds):
        for name, operation in operations.items():
            start = time.process_time()
            for _ in range(repeat):
                operation()
            best[name] = min(best[name], (time.process_time() - start) / repeat)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument(
        "--no-install", action="store_true", help="do not install PyYAML for the baseline"
    )
    args = parser.parse_args()
    snapshots = {
        "factbook": normalize_factbook(gzip.decompress(FACTBOOK.read_bytes())),
        "feed": feed_snapshot(),
    }
    yaml = pyyaml(install=not args.no_install)
    codecs = {"tracker": (snapshot_yaml.dumps, snapshot_yaml.loads), "ruamel": ruamel_codec()}
    if yaml is not None:
        codecs["pyyaml"] = pyyaml_codec(yaml)
    for name, data in snapshots.items():
        text = snapshot_yaml.dumps(data)
        for codec, (dump, load) in codecs.items():
            assert load(dump(data)) == data and load(text) == data, (codec, name)
        operations = {}
        for codec, (dump, load) in codecs.items():
            operations[f"{codec} dump"] = lambda dump=dump, data=data: dump(data)
            operations[f"{codec} load"] = lambda load=load, text=text: load(text)
        repeat = max(1, 200_000 // len(text))
        times = best_times(operations, args.rounds, repeat)
        report(name, len(text), times, "pyyaml" in codecs)


def report(name: str, size: int, times: dict[str, float], baseline: bool) -> None:
    print(f"\n{name} snapshot ({size / 1000:.1f} KB of YAML), best of the rounds, CPU ms:")
    for op in ("dump", "load"):
        row = "  ".join(
            f"{codec} {times[f'{codec} {op}'] * 1000:7.3f}"
            for codec in ("tracker", "ruamel", "pyyaml")
            if f"{codec} {op}" in times
        )
        ratio = (
            f"   tracker/pyyaml {times[f'tracker {op}'] / times[f'pyyaml {op}']:.2f}"
            if baseline
            else ""
        )
        own = f"   tracker/ruamel-own {times[f'tracker {op}'] / times[f'ruamel {op}']:.2f}"
        print(f"  {op}:  {row}{ratio}{own}")


if __name__ == "__main__":
    main()
