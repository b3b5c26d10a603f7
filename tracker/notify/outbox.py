"""Email: build the multipart message, keep it in an outbox, send it over SMTP exactly once.

Every message is first written to `.tracker/outbox/<id>.eml`; `flush` then sends whatever
waits there. A message leaves the outbox only after the server accepted it, and its
Message-ID is recorded in `.tracker/outbox/sent.json` *before* the file is removed, so a
run that crashes in between does not send it a second time. A failed send keeps the file
for the next run. The password is read from the environment variable that `feeds.yaml`
names (`email.smtp.password_env`); it is never written anywhere.
"""

from __future__ import annotations

import os
import re
import smtplib
import ssl
from dataclasses import dataclass, field
from datetime import datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Callable

from tracker.config import EmailConfig, SmtpConfig
from tracker.errors import NotifyError
from tracker.notify.replies import safe_reply
from tracker.store.files import STATE_DIR, JsonFile

OUTBOX = "outbox"
REJECTED = "rejected"  # outbox/rejected/: messages the server refused for good (5xx)
SENT_LOG = "sent.json"
SENT_LOG_KEEP = 1000  # Message-IDs remembered; far more than a year of daily digests


def build_message(
    *,
    sender: str,
    to: list[str],
    subject: str,
    text: str,
    html: str | None,
    now: datetime,
    tag: str,
) -> EmailMessage:
    """A UTF-8 multipart/alternative message (plain text first, HTML preferred)."""
    message = EmailMessage(policy=policy.SMTP)
    message["From"] = sender
    message["To"] = ", ".join(to)
    message["Subject"] = subject  # the policy encodes non-ASCII as RFC 2047
    message["Date"] = format_datetime(now)
    message["Message-ID"] = make_msgid(idstring=_safe_tag(tag), domain=_domain(sender))
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation auto-replies
    message.set_content(text, charset="utf-8")
    if html is not None:
        message.add_alternative(html, subtype="html", charset="utf-8")
    return message


def _domain(address: str) -> str:
    return address.rpartition("@")[2].strip("> ") or "localhost"


def _safe_tag(tag: str) -> str:
    return re.sub(r"[^A-Za-z0-9.-]", "-", tag)[:60]


@dataclass
class FlushResult:
    sent: list[str] = field(default_factory=list)  # Message-IDs delivered now
    skipped: list[str] = field(default_factory=list)  # already delivered earlier
    waiting: list[str] = field(default_factory=list)  # still in the outbox
    rejected: list[str] = field(default_factory=list)  # refused for good: why, per message
    error: str | None = None


class Outbox:
    """`.tracker/outbox/`: one .eml file per message not yet accepted by the server."""

    def __init__(self, root: Path | str) -> None:
        self.folder = Path(root) / STATE_DIR / OUTBOX

    def put(self, message: EmailMessage) -> Path:
        path = self.folder / f"{_file_stem(message['Message-ID'])}.eml"
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(message.as_bytes(policy=policy.SMTP))
        os.replace(tmp, path)  # atomic: a half-written message is never sent
        return path

    def pending(self) -> list[Path]:
        return sorted(self.folder.glob("*.eml")) if self.folder.is_dir() else []

    def _sent_log(self) -> JsonFile[list[str]]:
        # Damaged or misshapen: set aside, and only messages still in the outbox could go
        # out twice — the ones a crash caught between the send and the removal.
        return JsonFile(self.folder / SENT_LOG, list[str], list, indent=0)

    def sent_ids(self) -> list[str]:
        return self._sent_log().load()

    def mark_sent(self, message_id: str) -> None:
        ids = [i for i in self.sent_ids() if i != message_id] + [message_id]
        self._sent_log().save(ids[-SENT_LOG_KEEP:])

    def flush(self, email: EmailConfig, redact: Callable[[str], str] | None = None) -> FlushResult:
        """Send every waiting message on one connection; stop at the first failure.
        What the server said passes `redact` too (every secret of the workspace)."""
        result = self._flush(email)
        if redact is not None:
            result.rejected = [redact(why) for why in result.rejected]
            result.error = redact(result.error) if result.error else result.error
        return result

    def _flush(self, email: EmailConfig) -> FlushResult:
        result = FlushResult()
        files = self.pending()
        if not files:
            return result
        already = set(self.sent_ids())
        try:
            with connect(email.smtp) as smtp:
                for path in files:
                    message = _read(path)
                    message_id = str(message["Message-ID"])
                    if message_id in already:
                        result.skipped.append(message_id)
                    else:
                        refusal = _send(smtp, message)
                        if refusal is not None:  # kept aside, never tried again
                            result.rejected.append(
                                safe_reply(
                                    f"{describe(refusal, email.smtp)} ({message['Subject']})",
                                    email.smtp,
                                )
                            )
                            self._set_aside(path)
                            continue
                        self.mark_sent(message_id)
                        result.sent.append(message_id)
                    path.unlink()
        except (OSError, smtplib.SMTPException, NotifyError) as exc:
            result.error = describe(exc, email.smtp)
        result.waiting = [p.name for p in self.pending()]
        return result

    def _set_aside(self, path: Path) -> None:
        folder = self.folder / REJECTED
        folder.mkdir(parents=True, exist_ok=True)
        os.replace(path, folder / path.name)


def _send(smtp: smtplib.SMTP, message: EmailMessage) -> smtplib.SMTPException | None:
    """None when the server took the message; the refusal when it refused this message
    for good (5xx to every recipient, or to the data). Anything else (4xx, a dropped
    connection, a refused sender — a setting, not this message) raises: the message
    waits in the outbox for the next run."""
    try:
        smtp.send_message(message)
    except smtplib.SMTPRecipientsRefused as exc:
        if all(code >= 500 for code, _ in exc.recipients.values()):
            return exc
        raise
    except smtplib.SMTPDataError as exc:
        if exc.smtp_code >= 500:
            return exc
        raise
    return None


def _file_stem(message_id: str) -> str:
    return re.sub(r"[^A-Za-z0-9.@_-]", "", message_id)[:150]


def _read(path: Path) -> EmailMessage:
    with path.open("rb") as handle:
        return BytesParser(policy=policy.SMTP).parse(handle)


def connect(smtp: SmtpConfig) -> smtplib.SMTP:
    """An authenticated SMTP connection per `email.smtp` (starttls, ssl or plain)."""
    context = ssl.create_default_context()
    if smtp.security == "ssl":
        client: smtplib.SMTP = smtplib.SMTP_SSL(
            smtp.host, smtp.port, timeout=smtp.timeout, context=context
        )
    else:
        client = smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout)
    try:
        if smtp.security == "starttls":
            client.starttls(context=context)
        user, password = credentials(smtp)
        if user and password is not None:
            client.login(user, password)
    except BaseException:
        client.close()
        raise
    return client


def credentials(smtp: SmtpConfig) -> tuple[str | None, str | None]:
    """(username, password) from the config and the environment variables it names."""
    user = smtp.username
    if smtp.username_env:
        user = os.environ.get(smtp.username_env) or user
        if not user:
            raise NotifyError(
                f"email.smtp.username_env: environment variable {smtp.username_env} is not set"
            )
    password = None
    if smtp.password_env:
        password = os.environ.get(smtp.password_env)
        if password is None:
            raise NotifyError(
                f"email.smtp.password_env: environment variable {smtp.password_env} is not set"
            )
    return user, password


def describe(exc: BaseException, smtp: SmtpConfig) -> str:
    """A failure in words, naming the server but never a credential (whatever the server
    quoted back, in any reply: replies.py), on one line."""
    return safe_reply(_describe(exc, smtp), smtp)


def _describe(exc: BaseException, smtp: SmtpConfig) -> str:
    where = f"SMTP {smtp.host}:{smtp.port} ({smtp.security})"
    if isinstance(exc, NotifyError):
        return str(exc)
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return f"{where}: login refused ({exc.smtp_code})"
    if isinstance(exc, smtplib.SMTPResponseException):
        said = exc.smtp_error
        text = said.decode(errors="replace") if isinstance(said, bytes) else said
        return f"{where}: server said {exc.smtp_code} {text}"
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return f"{where}: recipients refused: {', '.join(exc.recipients)}"
    return f"{where}: {type(exc).__name__}: {exc}"
