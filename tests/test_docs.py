"""The README stays true: every command and every option of it is documented there."""

from __future__ import annotations

from pathlib import Path

import typer.main

from tracker.cli.app import app

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def commands() -> dict[str, object]:
    group = typer.main.get_command(app)
    out = {}
    for name, command in group.commands.items():
        subcommands = getattr(command, "commands", None)
        if subcommands:
            out.update({f"{name} {sub}": cmd for sub, cmd in subcommands.items()})
        else:
            out[name] = command
    return out


def test_every_command_is_in_the_readme():
    missing = [name for name in commands() if f"tracker {name}" not in README]
    assert not missing, f"commands missing from README.md: {missing}"


def test_every_option_is_in_the_readme():
    missing = []
    for name, command in commands().items():
        for param in command.params:
            for opt in getattr(param, "opts", []):
                if opt.startswith("--") and opt not in ("--help",) and opt not in README:
                    missing.append(f"tracker {name} {opt}")
    assert not missing, f"options missing from README.md: {missing}"


def test_every_command_has_help_text():
    assert all((cmd.help or "").strip() for cmd in commands().values())
