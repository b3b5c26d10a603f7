"""docs/architecture.md and the import contracts describe one structure, and the contracts
bite: a copy of the package with a cycle, an upward import and a terminal library outside
cli/ fails each of them (lint-imports, as scripts/test runs it)."""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "tracker"
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def contracts() -> list[dict]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return config["tool"]["importlinter"]["contracts"]


def contract_layers() -> list[set[str]]:
    (layers,) = [c["layers"] for c in contracts() if c["type"] == "layers"]
    return [{name.strip() for name in layer.split("|")} for layer in layers]


def documented_layers() -> list[set[str]]:
    """The packages table of docs/architecture.md: one set of names per layer number."""
    by_number: dict[int, set[str]] = {}
    for line in (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8").splitlines():
        row = re.match(r"\|\s*(\d+)\s*\|([^|]*)\|", line)
        if row:
            names = re.findall(r"`([a-z_]+)(?:/|\.py)`", row.group(2))
            by_number.setdefault(int(row.group(1)), set()).update(names)
    return [by_number[number] for number in sorted(by_number)]


def top_level_modules() -> set[str]:
    return {
        path.stem if path.is_file() else path.name
        for path in PACKAGE.iterdir()
        if (path.suffix == ".py" and path.stem != "__init__") or (path / "__init__.py").is_file()
    }


def test_the_documented_layers_are_the_contracts_layers():
    assert documented_layers() == contract_layers()


def test_every_package_and_module_has_a_layer():
    layered = set().union(*contract_layers())
    assert top_level_modules() == layered


def test_only_cli_touches_the_standard_streams():
    """ruff's T20 forbids print; writing to sys.stdout/stderr directly is the other way."""
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        if path.relative_to(PACKAGE).parts[0] == "cli":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id == "sys"
                and node.attr in {"stdout", "stderr", "__stdout__", "__stderr__"}
            ):
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not offenders


INJECTED = {  # file of the copy → the import that breaks one contract
    "run/parse.py": "import tracker.run.pool",  # parse ← pool already: a cycle of siblings
    "store/files.py": "import tracker.run.runner",  # a lower layer importing a higher one
    "sources/base.py": "import rich",  # a terminal library outside cli/
}


def lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(root)}  # the copy, not the installed package
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--no-logo", str(root / "pyproject.toml")],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_each_contract_fails_on_a_copy_that_breaks_it(tmp_path: Path):
    shutil.copytree(PACKAGE, tmp_path / "tracker", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    for rel, line in INJECTED.items():
        with (tmp_path / "tracker" / rel).open("a", encoding="utf-8") as module:
            module.write(f"\n{line}  # injected by the test\n")

    out = lint_imports(tmp_path)

    assert out.returncode == 1, out.stdout + out.stderr
    report = out.stdout
    assert "Contracts: 0 kept, 3 broken." in report, report
    for contract in contracts():
        assert f"{contract['name']} BROKEN" in report, report
    assert "No cycles are allowed in tracker.run." in report, report  # parse <-> pool
    assert "tracker.store.files -> tracker.run.runner" in report, report
    assert "tracker.sources.base -> rich" in report, report


def test_the_unbroken_copy_keeps_every_contract(tmp_path: Path):
    """The other half of the test above: the copy itself passes, so what broke it there
    was the injected imports, not the copying."""
    shutil.copytree(PACKAGE, tmp_path / "tracker", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    out = lint_imports(tmp_path)
    assert out.returncode == 0, out.stdout + out.stderr
    assert f"Contracts: {len(contracts())} kept, 0 broken." in out.stdout
