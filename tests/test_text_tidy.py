"""html_to_text's tidying: the one-line shortcut says what the general rule says."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from tracker.text import _tidy, _tidy_lines, html_to_text

SPACEY = st.text(
    alphabet=st.sampled_from(list("ab \t\u00a0\u2002\u200b\u3000\x0b\x0c\u2028\u0085.é")),
    max_size=40,
)


@settings(max_examples=300, deadline=None)
@given(st.one_of(SPACEY, st.text(max_size=40)))
def test_one_line_shortcut_equals_the_general_rule(text):
    assert _tidy(text) == _tidy_lines(text)


def test_titles_and_paragraphs():
    assert html_to_text("  Feed 1\u00a0 story:\tnews  ") == "Feed 1 story: news"
    assert html_to_text("<p>one</p><p>two <b>x</b></p>") == "one\n\ntwo x"
    assert html_to_text("\u2003") == ""
