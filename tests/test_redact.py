"""The one redaction helper (tracker/redact.py): every secret, in any case and in its
percent-, plus- and form-encoded forms and as Basic-auth base64, becomes `***`."""

from __future__ import annotations

import base64
from urllib.parse import quote, quote_plus, urlencode

from tracker.redact import MASK, Redactor, redact

USER, PASSWORD = "Analyst.Name@example.org", "p@ss w0rd/+&=ü"


def test_every_form_and_case_is_masked():
    redactor = Redactor().add(USER, PASSWORD).add_basic_auth(USER, PASSWORD)
    forms = [
        USER,
        USER.upper(),
        USER.lower(),
        quote(USER, safe=""),
        quote(USER),
        quote_plus(USER),
        PASSWORD,
        PASSWORD.upper(),
        quote(PASSWORD, safe=""),
        quote_plus(PASSWORD),
        quote(PASSWORD, safe="").lower(),
        base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode(),
    ]
    for form in forms:
        assert redactor(f"server said: <{form}> no") == f"server said: <{MASK}> no", form


def test_a_form_body_quoted_back_is_masked_whole():
    body = urlencode({"grant_type": "password", "username": USER, "password": PASSWORD})
    masked = redact(f"echo: {body}", [USER, PASSWORD])
    assert masked == f"echo: grant_type=password&username={MASK}&password={MASK}"


def test_short_and_empty_secrets_are_left_alone_and_text_is_kept():
    assert redact("in 2024 the pin was 123", ["123", "", None]) == "in 2024 the pin was 123"
    assert redact("", [USER]) == ""
    assert Redactor()("nothing to hide") == "nothing to hide"


def test_a_secret_containing_another_is_masked_whole():
    assert redact("token abcdefgh-1234", ["abcdefgh", "abcdefgh-1234"]) == f"token {MASK}"


def test_regex_characters_in_secrets_are_literal():
    assert redact("a.*b (xy) a+b", ["a.*b", "(xy)"]) == f"{MASK} {MASK} a+b"
