"""SMTP replies and errors made safe to print, log or store.

A server may quote the login back in any reply, not only AUTH's 535: a MAIL FROM 550 or
451 naming the authenticated user, a DATA 554 echoing it, a disconnect message. Every
text that describes an SMTP failure passes `safe_reply`: the username and password of
`email.smtp`, in any case and percent-, plus- or base64-encoded (as AUTH PLAIN and LOGIN
send them) become `***`, and control characters are escaped, so the text is one line.
"""

from __future__ import annotations

import os

from tracker.config import SmtpConfig
from tracker.config.secrets import redactor_of
from tracker.redact import Redactor

MESSAGE_CHARS = 500


def smtp_secrets(smtp: SmtpConfig) -> tuple[str | None, str | None]:
    """(username, password) as the connection would use them; None where unset."""
    user = (os.environ.get(smtp.username_env) if smtp.username_env else None) or smtp.username
    password = os.environ.get(smtp.password_env) if smtp.password_env else None
    return user, password


def redactor_for(smtp: SmtpConfig) -> Redactor:
    return redactor_of([smtp_secrets(smtp)])


def safe_reply(text: str, smtp: SmtpConfig) -> str:
    """`text` without a credential of `smtp`, on one line."""
    line = "".join(c if c.isprintable() else " " for c in text)
    line = " ".join(redactor_for(smtp)(line).split())
    return line if len(line) <= MESSAGE_CHARS else line[: MESSAGE_CHARS - 1] + "…"
