"""Is this the same person, spelt another way? (Transliteration-insensitive name matching.)

Sources change how they transliterate a name: Polish Tokajew, German Tokajew, French
Tokaïev, English Tokayev, the Russian passport's Tokaev, Kazakh Latin Toqaev; Jomart,
Zhomart, Żomart, Schomart; Bektenow/Bektenov; Smaiłow/Smailov; 'BEKTENOV Olzhas'. Each
word of a name is reduced to a coarse sound skeleton in which the letters these schemes
disagree on fall together (w/v, y/i/j/ï, zh/ż/sch/j, kh/ch/h, q/k, s/z/ss, ou/u, doubled
letters, diacritics); where one spelling can stand for two sounds (English 'ch' is ч,
Polish 'ch' is х; 'j' is й in Polish and ж in French; German 'tsch' is ч or т+ш) a word has
several skeletons.

Two names are the same person when every word of the shorter one matches a different word
of the longer one (word order free, so 'BEKTENOV Olzhas' is 'Olzhas Bektenov'; a missing
patronymic is not a new person) and the shorter has a given name as well as a surname. A
different given name with the same surname — father and son — is a different person, and
so is a surname with another ending (Nazarbayev, Nazarbayeva).
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from functools import lru_cache

_CYRILLIC = {
    **dict(zip("абвгдезийклмнопрстуфыэ", "abvgdeziiklmnoprstufye")),
    "ж": "zh",
    "х": "kh",
    "ц": "ts",
    "ч": "cz",
    "ш": "sh",
    "щ": "shch",
    "ё": "yo",
    "ю": "yu",
    "я": "ya",
    "ъ": "",
    "ь": "",
    "й": "y",
    "қ": "q",
    "ғ": "g",
    "ң": "n",
    "ө": "o",
    "ұ": "u",
    "ү": "u",
    "һ": "h",
    "і": "i",
    "ә": "a",
}
# Letters that lose their sound when their diacritic is stripped.
_LETTERS = {
    "ż": "zh",
    "ž": "zh",
    "ź": "z",
    "ł": "l",
    "š": "sh",
    "ş": "sh",
    "č": "cz",
    "ç": "cz",
    "ś": "s",
    "ć": "c",
    "ñ": "n",
    "ń": "n",
    "ğ": "g",
    "ı": "i",
    "ŋ": "n",
    "ø": "o",
    "đ": "d",
    "ß": "ss",
}
# Spelling units, longest first, each with the skeleton letters it may stand for.
_UNITS: list[tuple[str, tuple[str, ...]]] = sorted(
    [
        ("schtsch", ("S",)),
        ("shch", ("S",)),
        ("szcz", ("S",)),
        ("chtch", ("S",)),
        ("tsch", ("S", "tS")),
        ("tch", ("S", "tS", "tH")),
        ("sch", ("S",)),
        ("zh", ("S",)),
        ("sh", ("S",)),
        ("sz", ("S",)),
        ("cz", ("S",)),
        ("ch", ("S", "H")),
        ("kh", ("H",)),
        ("h", ("H",)),
        ("ts", ("c",)),
        ("ou", ("u",)),
        ("ph", ("f",)),
        ("x", ("ks",)),
        ("q", ("k",)),
        ("w", ("v",)),
        ("z", ("s",)),
        ("j", ("I", "S")),
        ("y", ("I",)),
        ("i", ("I",)),
    ],
    key=lambda unit: -len(unit[0]),
)
_UNIT_RE = re.compile("|".join(re.escape(u) for u, _ in _UNITS) + "|.", re.DOTALL)
_UNIT_MAP = dict(_UNITS)
_MAX_SKELETONS = 64  # per word
_DOUBLE = re.compile(r"(.)\1+")
_SPLIT = re.compile(r"[\s,‐-―-]+")


def same_person(a: str, b: str) -> bool:
    """Do two renderings of a name denote the same person? (See the module docstring.)"""
    words_a, words_b = name_words(a), name_words(b)
    if not words_a or not words_b:
        return False
    short, long = sorted((words_a, words_b), key=len)
    if len(short) == 1 and len(long) > 1:
        return False  # a surname alone cannot tell father from son
    return _cover(short, long)


def name_words(name: str) -> list[frozenset[str]]:
    """Each word of a name as its set of skeletons."""
    return [skeletons(w) for w in _SPLIT.split(str(name)) if skeletons(w)]


@lru_cache(maxsize=4096)
def skeletons(word: str) -> frozenset[str]:
    """'Tokajew' → {'tokaev', 'tokaSev'}; 'Tokayev' → {'tokaev'}."""
    latin = _latin(word)
    if not latin:
        return frozenset()
    choices = [_UNIT_MAP.get(unit, (unit,)) for unit in _UNIT_RE.findall(latin)]
    count = 1
    for i, choice in enumerate(choices):
        if count * len(choice) > _MAX_SKELETONS:
            choices[i] = choice[:1]  # a pathological word: its first readings only
        count *= len(choices[i])
    return frozenset(_tidy("".join(parts)) for parts in itertools.product(*choices))


def _latin(word: str) -> str:
    lower = word.casefold()
    lower = "".join(_CYRILLIC.get(c, _LETTERS.get(c, c)) for c in lower)
    stripped = "".join(
        c for c in unicodedata.normalize("NFKD", lower) if not unicodedata.combining(c)
    )
    stripped = re.sub(r"gu(?=[eiy])", "g", stripped)  # French 'Saguintaïev': gu = g
    stripped = re.sub(r"ine$", "in", stripped)  # French 'Mamine', 'Poutine': -ин
    return re.sub(r"[^a-z]", "", stripped)


def _tidy(skeleton: str) -> str:
    # doubled letters fall together (Kassym/Kasym), then the glide before 'e' that English
    # writes 'ye', Polish 'je', French 'ïe' and the passport leaves out (Tokayev/Tokaev)
    return _DOUBLE.sub(r"\1", _DOUBLE.sub(r"\1", skeleton).replace("Ie", "e"))


def _cover(short: list[frozenset[str]], long: list[frozenset[str]]) -> bool:
    """Every word of `short` matches a distinct word of `long` (small: backtracking)."""

    def place(i: int, used: frozenset[int]) -> bool:
        if i == len(short):
            return True
        return any(
            j not in used and short[i] & long[j] and place(i + 1, used | {j})
            for j in range(len(long))
        )

    return place(0, frozenset())
