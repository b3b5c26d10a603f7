"""`tracker check`: is this workspace ready to run? One problem per finding, no writes.

- configuration: loading it (a ConfigError, exit 2, before anything else);
- paths: every fact's path (the primary and each `also:`) against its source's current
  snapshot, with the nearest existing keys for one that does not resolve, and the reason
  for one that resolves but reads nothing;
- environment: every variable the configuration names (`*_env`) is set;
- network, unless offline: the SMTP server answers (connect, EHLO, STARTTLS when
  configured, NOOP; no login, no mail) and each source answers a HEAD (a GET where HEAD
  is refused). A source whose URL is its document must answer it (< 400); one whose URL
  is an API's base (ACLED, Wikidata, World Bank) must only answer at all (< 500).

Offline, nothing here opens a socket.
"""

from __future__ import annotations

import asyncio
import os
import smtplib
import ssl
from dataclasses import dataclass, field
from typing import Any, Iterator

from pydantic import BaseModel

from tracker.config import Config, SmtpConfig, SourceRef
from tracker.errors import ConfigError, FetchError
from tracker.evaluate.extract import ExtractError
from tracker.evaluate.facts import PathMissing, extract
from tracker.fetch.client import Http
from tracker.notify.outbox import describe
from tracker.sources.base import Unloadable, loaded_source
from tracker.store.git import GitStore

HEAD_REFUSED = (400, 403, 404, 405, 501)  # servers that answer HEAD so but GET fine


@dataclass(frozen=True)
class Problem:
    kind: str  # path | reads-nothing | snapshot | environment | smtp | source
    subject: str  # REPORT/FACT, a source id, a variable's name, email.smtp
    message: str

    def to_json(self) -> dict[str, str]:
        return {"kind": self.kind, "subject": self.subject, "message": self.message}


@dataclass
class CheckResult:
    problems: list[Problem] = field(default_factory=list)
    checked: dict[str, int] = field(default_factory=dict)  # what was looked at, counted
    offline: bool = False

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "offline": self.offline,
            "checked": self.checked,
            "problems": [p.to_json() for p in self.problems],
        }


def run_check(config: Config, store: GitStore, *, offline: bool) -> CheckResult:
    result = CheckResult(offline=offline)
    result.problems += check_paths(config, store, result.checked)
    result.problems += check_environment(config, result.checked)
    if not offline:
        result.problems += asyncio.run(check_network(config, result.checked))
    return result


# ---------------------------------------------------------------- paths


def fact_refs(config: Config) -> Iterator[tuple[str, SourceRef, bool]]:
    """(REPORT/FACT, a reference, whether it is an `also:`) for every checked fact."""
    for report in config.reports.values():
        for fact in report.facts:
            if fact.primary is not None:
                yield f"{report.meta.id}/{fact.id}", fact.primary, False
            for ref in fact.also:
                yield f"{report.meta.id}/{fact.id}", ref, True


def check_paths(config: Config, store: GitStore, checked: dict[str, int]) -> list[Problem]:
    snapshots: dict[str, Any] = {}
    waiting: dict[str, list[str]] = {}  # source without a snapshot → facts it blocks
    problems: list[Problem] = []
    count = 0
    for subject, ref, also in fact_refs(config):
        count += 1
        if ref.source not in snapshots:
            snapshots[ref.source] = store.read_snapshot(ref.source)
        snapshot = snapshots[ref.source]
        if snapshot is None:
            waiting.setdefault(ref.source, []).append(subject)
            continue
        where = f"{'also ' if also else ''}{ref.source}"
        try:
            extract(snapshot, ref)
        except PathMissing as exc:
            problems.append(Problem("path", subject, f"{where}: {exc}"))
        except ExtractError as exc:
            problems.append(
                Problem(
                    "reads-nothing",
                    subject,
                    f"{where}: the path resolves, but `{ref.extract}` reads nothing there: {exc}",
                )
            )
    for source, blocked in waiting.items():
        shown = ", ".join(blocked[:3]) + (
            f" and {len(blocked) - 3} more" if len(blocked) > 3 else ""
        )
        problems.append(
            Problem(
                "snapshot",
                source,
                f"no snapshot yet, so {len(blocked)} fact path(s) cannot be "
                f"checked ({shown}): `tracker run --source {source}` or "
                f"`tracker backfill {source} --dir DIR`",
            )
        )
    checked["paths"] = count
    checked["facts"] = sum(len(r.facts) for r in config.reports.values())
    return problems


# ---------------------------------------------------------------- environment


def named_variables(config: Config) -> Iterator[tuple[str, str]]:
    """(the key naming it, the variable) for every `*_env` setting of the configuration."""
    for sid, options in config.sources.items():
        yield from _env_fields(options, f"sources.{sid}")
    if config.email is not None:
        yield from _env_fields(config.email, "email")


def _env_fields(model: BaseModel, prefix: str) -> Iterator[tuple[str, str]]:
    for name in type(model).model_fields:
        value = getattr(model, name)
        if isinstance(value, BaseModel):
            yield from _env_fields(value, f"{prefix}.{name}")
        elif name.endswith("_env") and isinstance(value, str):
            yield f"{prefix}.{name}", value


def check_environment(config: Config, checked: dict[str, int]) -> list[Problem]:
    problems = []
    names = list(named_variables(config))
    for key, variable in names:
        if not os.environ.get(variable):
            state = "is empty" if variable in os.environ else "is not set"
            problems.append(
                Problem("environment", variable, f"environment variable {variable} ({key}) {state}")
            )
    checked["environment"] = len(names)
    return problems


# ---------------------------------------------------------------- network


async def check_network(config: Config, checked: dict[str, int]) -> list[Problem]:
    targets, problems = [], []
    for sid, options in config.sources.items():
        source = loaded_source(sid, options)
        if isinstance(source, Unloadable):
            problems.append(Problem("source", sid, source.reason))
            continue
        try:
            url = source.url
        except ConfigError:
            continue  # no URL of its own (link checks read the report's citations)
        targets.append((sid, url, type(source).default_url is None, options.timeout))
    checked["sources"] = len(targets)
    jobs = [asyncio.to_thread(check_smtp, config.email.smtp)] if config.email else []
    checked["smtp"] = len(jobs)
    async with Http(config.http) as http:
        found = await asyncio.gather(*jobs, *(_answers(http, *t) for t in targets))
    return problems + [p for p in found if p is not None]


async def _answers(
    http: Http, sid: str, url: str, document: bool, timeout: float
) -> Problem | None:
    """None when the source's server answers (see the module's doc for what counts)."""
    try:
        await http.request("HEAD", url, timeout=timeout, retries=0)
        return None
    except FetchError as exc:
        if exc.status is None or exc.status not in HEAD_REFUSED:
            return _source_problem(sid, exc, document)
    try:
        await http.request("GET", url, timeout=timeout, retries=0)
        return None
    except FetchError as exc:
        return _source_problem(sid, exc, document)


def _source_problem(sid: str, exc: FetchError, document: bool) -> Problem | None:
    if not document and exc.status is not None and exc.status < 500:
        return None  # an API base answered: the server is there
    return Problem("source", sid, f"does not answer: {exc}")


def check_smtp(smtp: SmtpConfig) -> Problem | None:
    """Connect, EHLO, STARTTLS when configured, NOOP, QUIT: no login, no mail."""
    context = ssl.create_default_context()
    try:
        if smtp.security == "ssl":
            client: smtplib.SMTP = smtplib.SMTP_SSL(
                smtp.host, smtp.port, timeout=smtp.timeout, context=context
            )
        else:
            client = smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout)
        with client:
            _expect(client.ehlo(), "EHLO")
            if smtp.security == "starttls":
                client.starttls(context=context)
                _expect(client.ehlo(), "EHLO after STARTTLS")
            _expect(client.noop(), "NOOP")
    except (OSError, smtplib.SMTPException) as exc:
        return Problem("smtp", "email.smtp", describe(exc, smtp))
    return None


def _expect(reply: tuple[int, bytes], what: str) -> None:
    code, text = reply
    if code != 250:
        raise smtplib.SMTPResponseException(code, text or what.encode())
