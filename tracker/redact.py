"""Remove secrets from text that may quote them back: server messages, SMTP replies, errors.

A server that echoes a login rarely echoes it as it was sent: it may change its case, or
quote it percent-encoded (`analyst%40example.org`), form-encoded (`+` for a space) or inside
a Basic-auth header (base64 of `user:password`). `Redactor` knows every form of each secret
and replaces all of them, case-insensitively, with `***`.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass, field
from typing import Iterable
from urllib.parse import quote, quote_plus

MASK = "***"
# Shorter values are too likely to occur in ordinary text (a "1234" PIN would mask years).
MIN_SECRET = 4


def encoded_forms(secret: str) -> set[str]:
    """The ways `secret` can appear in text: as is, percent-, plus- and fully quoted."""
    forms = {
        secret,
        quote(secret, safe=""),
        quote(secret),
        quote_plus(secret),
        quote_plus(secret, safe=""),
    }
    # JSON and Python reprs escape these; a message quoting a JSON body shows them so
    forms.add(secret.replace("\\", "\\\\").replace('"', '\\"'))
    return {f for f in forms if len(f) >= MIN_SECRET}


def basic_auth_forms(username: str, password: str) -> set[str]:
    """The base64 of a Basic-auth `user:password` pair (with and without padding)."""
    token = base64.b64encode(f"{username}:{password}".encode()).decode()
    return {token, token.rstrip("=")}


@dataclass
class Redactor:
    """Masks every known secret, in every encoded form, case-insensitively."""

    secrets: set[str] = field(default_factory=set)
    _pattern: re.Pattern[str] | None = None

    def add(self, *secrets: str | None) -> "Redactor":
        for secret in secrets:
            if secret and len(secret) >= MIN_SECRET:
                self.secrets |= encoded_forms(secret)
                self._pattern = None
        return self

    def add_literal(self, *forms: str) -> "Redactor":
        """Mask these exact strings (already encoded, e.g. base64 of an AUTH exchange)."""
        self.secrets |= {form for form in forms if len(form) >= MIN_SECRET}
        self._pattern = None
        return self

    def add_basic_auth(self, username: str, password: str) -> "Redactor":
        self.secrets |= basic_auth_forms(username, password)
        self._pattern = None
        return self

    def __call__(self, text: str) -> str:
        if not self.secrets or not text:
            return text
        if self._pattern is None:
            # longest first: a secret containing another is masked whole
            ordered = sorted(self.secrets, key=len, reverse=True)
            self._pattern = re.compile("|".join(map(re.escape, ordered)), re.IGNORECASE)
        return self._pattern.sub(MASK, text)


def redact(text: str, secrets: Iterable[str | None]) -> str:
    """`text` without any of `secrets` (in any case or encoding)."""
    return Redactor().add(*secrets)(text)
