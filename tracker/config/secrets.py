"""Every secret a workspace's configuration names, and a Redactor of them all.

Secrets are only ever named in feeds.yaml (`*_env`: ACLED's credentials, the SMTP login);
their values live in the environment. A server may quote back not only the login it was
sent but any text it got hold of, so each message the tracker keeps or shows (a source's
error, an SMTP reply, a notice) is cleaned of every secret of the workspace, in every case
and encoding — not only of the secrets of the server that answered.
"""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING, Any, Iterable, Mapping

from tracker.redact import Redactor

if TYPE_CHECKING:
    from tracker.config.loader import Config


def secret_pairs(config: Config, environ: Mapping[str, str]) -> list[tuple[str | None, str | None]]:
    """(username, password) of each login the configuration names, from `environ`."""
    pairs: list[tuple[str | None, str | None]] = []
    for options in config.sources.values():
        credentials: Any = getattr(options, "credentials", None)
        if credentials is not None:
            pairs.append(
                (environ.get(credentials.username_env), environ.get(credentials.password_env))
            )
    if config.email is not None:
        smtp = config.email.smtp
        user = (environ.get(smtp.username_env) if smtp.username_env else None) or smtp.username
        password = environ.get(smtp.password_env) if smtp.password_env else None
        pairs.append((user, password))
    return pairs


def login_forms(user: str | None, password: str | None) -> set[str]:
    """What HTTP Basic and SMTP AUTH PLAIN/LOGIN send of a login: base64, with and
    without padding."""
    pieces = [p for p in (user, password) if p]
    if user and password:
        pieces += [f"{user}:{password}", f"\0{user}\0{password}", f"{user}\0{user}\0{password}"]
    forms = set()
    for piece in pieces:
        token = base64.b64encode(piece.encode("utf-8")).decode("ascii")
        forms |= {token, token.rstrip("=")}
    return forms


def redactor_of(pairs: Iterable[tuple[str | None, str | None]]) -> Redactor:
    redactor = Redactor()
    for user, password in pairs:
        redactor.add(user, password)
        redactor.add_literal(*login_forms(user, password))
    return redactor


def workspace_redactor(config: Config, environ: Mapping[str, str]) -> Redactor:
    """Masks every secret `config` names (values from `environ`), in any case or encoding."""
    return redactor_of(secret_pairs(config, environ))
