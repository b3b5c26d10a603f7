"""Value types shared by every configuration file (a leaf: imports nothing of tracker)."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$"
ENV_NAME = r"^[A-Za-z_][A-Za-z0-9_]*$"
_DURATION = re.compile(r"^\s*(\d+)\s*(s|m|h|d|w)\s*$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_duration(value: Any) -> timedelta:
    """'45d', '12h', '30m', '2w', '90s' → timedelta."""
    if isinstance(value, timedelta):
        return value
    match = _DURATION.match(str(value))
    if not match or isinstance(value, bool):
        raise ValueError(f"bad duration {value!r}: use a number and a unit s|m|h|d|w, e.g. 45d")
    return timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})


def check_cron(value: str) -> str:
    """A five-field crontab expression, read in UTC (APScheduler's own parser)."""
    from apscheduler.triggers.cron import CronTrigger

    if not isinstance(value, str) or len(value.split()) != 5:
        raise ValueError(
            f"bad cron expression {value!r}: need five fields "
            "'minute hour day month weekday', e.g. '0 4 * * 4'"
        )
    try:
        CronTrigger.from_crontab(value, timezone="UTC")
    except ValueError as exc:
        raise ValueError(f"bad cron expression {value!r}: {exc}") from None
    return value


def check_mail_address(value: str) -> str:
    """One address as the message builder reads it (the stdlib's RFC 5322 parser, the one
    `email.policy.SMTP` uses): `name@example.org` or `Name <name@example.org>`. A CR or LF
    would pass load and break the message at send time, after the run wrote its files."""
    import email.policy

    bad = next((c for c in value if not c.isprintable()), None)
    if bad is not None:
        raise ValueError(f"a control character ({bad!r}) in the email address {value!r}")
    try:
        header = email.policy.SMTP.header_factory("to", value)
        addresses = header.addresses
    except Exception:  # noqa: BLE001 - the stdlib parser raises several types on junk
        addresses, header = (), None
    if (
        header is None
        or header.defects
        or len(addresses) != 1
        or not addresses[0].username
        or not addresses[0].domain
    ):
        raise ValueError(f"{value!r} is not one email address (name@example.org)")
    return value


def is_ident(value: object) -> bool:
    """An id that names a file (snapshots/<id>.yaml): `$` alone would allow 'id\\n'."""
    return isinstance(value, str) and re.fullmatch(ID_PATTERN, value) is not None


Duration = Annotated[timedelta, BeforeValidator(parse_duration)]
Cron = Annotated[str, AfterValidator(check_cron)]
Ident = Annotated[str, Field(pattern=ID_PATTERN)]
EnvName = Annotated[str, Field(pattern=ENV_NAME)]
Keyword = Annotated[str, Field(min_length=1)]
MailAddress = Annotated[str, AfterValidator(check_mail_address)]


class Strict(BaseModel):
    """Unknown keys are errors; every config model derives from this."""

    model_config = ConfigDict(
        extra="forbid", frozen=False, arbitrary_types_allowed=True, defer_build=True
    )
