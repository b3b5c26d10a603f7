"""Global options anywhere, and every way a command can end turned into an exit code.

- The global options (-w/--workspace, -q/--quiet, -v/--verbose, --log-file) are declared
  once, here; `@command` adds them to the root callback and to every command, so they
  work before or after the subcommand (`tracker -w DIR status`, `tracker status -w DIR`).
- Errors end here, each as one line on stderr, never a traceback: a TrackerError with its
  own exit code (errors.py), an unexpected exception with 1 (its traceback only with -v),
  and — in `run`, the console script's entry — a bad option value or usage with 2.
"""

from __future__ import annotations

import functools
import inspect
import sys
import traceback
from pathlib import Path
from typing import Annotated, Any, Callable, Optional, Sequence

import typer

from tracker.cli.context import Settings, activate
from tracker.cli.logs import setup_logging
from tracker.cli.output import error, one_line
from tracker.errors import TrackerError

try:  # Typer ≥ 0.26 vendors Click: its exceptions live there
    from typer._click import exceptions as click_errors
except ImportError:  # pragma: no cover - an older Typer on plain Click
    from click import exceptions as click_errors  # type: ignore[no-redef]

EXIT_USAGE = 2


def _globals_template(
    workspace: Annotated[
        Optional[Path],
        typer.Option(
            "--workspace",
            "-w",
            envvar="TRACKER_WORKSPACE",
            metavar="DIR",
            file_okay=False,
            show_default=False,
            help="workspace directory (default: here)",
        ),
    ] = None,
    quiet: Annotated[
        Optional[bool],
        typer.Option(
            "--quiet",
            "-q",
            show_default=False,
            help="only warnings and errors: no progress, no summaries",
        ),
    ] = None,
    verbose: Annotated[
        Optional[bool],
        typer.Option(
            "--verbose",
            "-v",
            show_default=False,
            help="more detail: what ran; tracebacks of unexpected errors",
        ),
    ] = None,
    log_file: Annotated[
        Optional[Path],
        typer.Option(
            "--log-file",
            metavar="FILE",
            dir_okay=False,
            show_default=False,
            help="append messages and logs to FILE, each line timestamped",
        ),
    ] = None,
) -> None:
    """The global options, declared once (only the signature is used)."""


GLOBALS = list(inspect.signature(_globals_template, eval_str=True).parameters.values())
GLOBAL_NAMES = tuple(p.name for p in GLOBALS)
CONTEXT = "_tracker_ctx"


def command(func: Callable[..., Any]) -> Callable[..., Any]:
    """`func` with the global options added, and its errors turned into exit codes."""
    own = list(inspect.signature(func, eval_str=True).parameters.values())
    clash = set(GLOBAL_NAMES) & {p.name for p in own}
    assert not clash, f"{func.__name__}: {clash} are global options"
    context = inspect.Parameter(CONTEXT, inspect.Parameter.KEYWORD_ONLY, annotation=typer.Context)
    extra = [p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in GLOBALS]
    positional = [p for p in own if p.kind is not inspect.Parameter.KEYWORD_ONLY]
    keyword = [p for p in own if p.kind is inspect.Parameter.KEYWORD_ONLY]

    @functools.wraps(func)
    def wrapper(**kwargs: Any) -> Any:
        ctx: typer.Context = kwargs.pop(CONTEXT)
        given = {name: kwargs.pop(name) for name in GLOBAL_NAMES}
        current = _settings_of(ctx)
        for name, value in given.items():
            if value is not None:
                setattr(current, name, value)
        _check(current)
        activate(current)
        setup_logging(current)
        return guarded(current, lambda: func(**kwargs))

    params = [*positional, *keyword, *extra, context]
    # typer reads this signature and these (evaluated) annotations, not the function's own
    wrapper.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    wrapper.__annotations__ = {p.name: p.annotation for p in params}
    del wrapper.__wrapped__
    return wrapper


def _settings_of(ctx: typer.Context) -> Settings:
    """One Settings per invocation, on the root context (fresh for each CliRunner call)."""
    root = ctx.find_root()
    if not isinstance(root.obj, Settings):
        root.obj = Settings()
    return root.obj


def _check(current: Settings) -> None:
    if current.quiet and current.verbose:
        raise typer.BadParameter("-q/--quiet and -v/--verbose exclude each other")
    if current.log_file is not None:
        try:
            with current.log_file.open("a", encoding="utf-8"):
                pass
        except OSError as exc:
            path, current.log_file = current.log_file, None  # the error goes to stderr only
            raise typer.BadParameter(
                f"cannot write {path}: {exc.strerror}", param_hint="'--log-file'"
            ) from None


def guarded(current: Settings, body: Callable[[], Any]) -> Any:
    """A command body: a TrackerError or an unexpected exception ends as one line and
    an exit code (typer.Exit); usage errors pass on to click."""
    try:
        return body()
    except (click_errors.ClickException, typer.Exit, typer.Abort):
        raise
    except TrackerError as exc:
        error(str(exc), current)
        raise typer.Exit(exc.exit_code) from None
    except KeyboardInterrupt:
        error("interrupted", current)
        raise typer.Exit(130) from None
    except Exception as exc:  # noqa: BLE001 - the last line of defence: no traceback
        raise typer.Exit(_unexpected(exc, current)) from None


def _unexpected(exc: BaseException, current: Settings) -> int:
    if isinstance(exc, BrokenPipeError):  # the reader went away (`tracker … | head`)
        return 1
    if current.verbose:
        sys.stderr.write("".join(traceback.format_exception(exc)))
    error(f"unexpected {type(exc).__name__}: {exc} (a bug; -v shows where)", current)
    return 1


def run(app: typer.Typer, args: Sequence[str] | None = None) -> int:
    """Parse argv and run the command; → its exit code. A bad option value or usage is
    one line and exit 2 (click would print usage, a hint and the error on three)."""
    current = Settings()
    try:
        result = _click_command(app).main(
            list(sys.argv[1:] if args is None else args),
            prog_name="tracker",
            standalone_mode=False,
            obj=current,
        )
        return result if isinstance(result, int) else 0
    except click_errors.NoArgsIsHelpError as exc:
        exc.show()  # `tracker` alone, `tracker report`: the help, as click prints it
        return exc.exit_code
    except click_errors.ClickException as exc:
        error(_usage_line(exc), current)
        return exc.exit_code
    except typer.Exit as exc:
        return exc.exit_code
    except typer.Abort:
        error("aborted", current)
        return 1
    except Exception as exc:  # noqa: BLE001 - e.g. a failing --version callback
        return _unexpected(exc, current)


@functools.lru_cache(maxsize=4)
def _click_command(app: typer.Typer) -> Any:
    """The click command tree of `app`: built once per process (it holds no state)."""
    return typer.main.get_command(app)


def _usage_line(exc: click_errors.ClickException) -> str:
    message = one_line(exc.format_message())
    ctx = getattr(exc, "ctx", None)
    if isinstance(exc, click_errors.UsageError) and ctx is not None:
        message += f" (see: {ctx.command_path} --help)"
    return message
