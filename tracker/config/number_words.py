"""Number words of English, Polish and Russian, as far as they are regular (a leaf).

`WORDS` maps a lower-case word form to (kind, value); kinds drive composition in
`tracker.config.numbers`: unit 0–9, teen 10–19, ten 20–90, hundreds (Polish and Russian
'sto', 'dwieście', 'двести' — additive), hundred (English, multiplies), scale (10³, 10⁶ …).
Polish and Russian decline numerals: the common case forms are listed (nominative,
genitive, dative, instrumental). Compound adjectives ('pięcioletnia kadencja', 'пятилетний
срок' — a five-year term) are read by their numeral prefix.
"""

from __future__ import annotations

import re

WORDS: dict[str, tuple[str, int]] = {}


def _add(kind: str, value: int, *forms: str) -> None:
    for form in forms:
        WORDS[form] = (kind, value)


_EN_UNITS = "zero one two three four five six seven eight nine".split()
_EN_TEENS = (
    "ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen"
).split()
_EN_TENS = "twenty thirty forty fifty sixty seventy eighty ninety".split()
for _n, _w in enumerate(_EN_UNITS):
    _add("unit", _n, _w)
for _n, _w in enumerate(_EN_TEENS, start=10):
    _add("teen", _n, _w)
for _n, _w in enumerate(_EN_TENS, start=2):
    _add("ten", _n * 10, _w)
_add("hundred", 100, "hundred")
for _power, _w in ((3, "thousand"), (6, "million"), (9, "billion"), (12, "trillion")):
    _add("scale", 10**_power, _w)

# ---------------------------------------------------------------- Polish
_add("unit", 1, "jeden", "jedna", "jedno", "jednego", "jednej", "jednemu", "jednym", "jedną")
_add("unit", 2, "dwa", "dwie", "dwóch", "dwu", "dwom", "dwoma", "dwiema")
_add("unit", 3, "trzy", "trzech", "trzem", "trzema")
_add("unit", 4, "cztery", "czterech", "czterem", "czterema")
for _n, _stem in ((5, "pięć"), (6, "sześć"), (9, "dziewięć")):
    _oblique = _stem[:-1] + "ciu"  # pięć → pięciu
    _add("unit", _n, _stem, _oblique, _oblique[:-1] + "oma")  # … pięcioma
_add("unit", 7, "siedem", "siedmiu", "siedmioma")
_add("unit", 8, "osiem", "ośmiu", "ośmioma")
_add("teen", 10, "dziesięć", "dziesięciu", "dziesięcioma")
for _n, _stems in (
    (11, ("jede",)),
    (12, ("dwa", "dwu")),
    (13, ("trzy",)),
    (14, ("czter",)),
    (15, ("pięt",)),
    (16, ("szes",)),
    (17, ("siedem",)),
    (18, ("osiem",)),
    (19, ("dziewięt",)),
):
    for _stem in _stems:
        _add("teen", _n, _stem + "naście", _stem + "nastu", _stem + "nastoma")
_add("ten", 20, "dwadzieścia", "dwudziestu", "dwudziestoma")
_add("ten", 30, "trzydzieści", "trzydziestu", "trzydziestoma")
_add("ten", 40, "czterdzieści", "czterdziestu", "czterdziestoma")
for _n, _stem in ((50, "pięć"), (60, "sześć"), (70, "siedem"), (80, "osiem"), (90, "dziewięć")):
    _add("ten", _n, _stem + "dziesiąt", _stem + "dziesięciu", _stem + "dziesięcioma")
_add("hundreds", 100, "sto", "stu")
_add("hundreds", 200, "dwieście", "dwustu")
_add("hundreds", 300, "trzysta", "trzystu")
_add("hundreds", 400, "czterysta", "czterystu")
for _n, _stem in (
    (500, "pięć"),
    (600, "sześć"),
    (700, "siedem"),
    (800, "osiem"),
    (900, "dziewięć"),
):
    _oblique = {"siedem": "siedmiu", "osiem": "ośmiu"}.get(_stem, _stem[:-1] + "ciu")
    _add("hundreds", _n, _stem + "set", _oblique + "set")
_add("scale", 1000, "tysiąc", "tysiąca", "tysiącu", "tysiącem", "tysiące", "tysięcy", "tysiącami")
_add("scale", 10**6, "milion", "miliona", "milionie", "milionem", "miliony", "milionów")
_add("scale", 10**9, "miliard", "miliarda", "miliardzie", "miliardem", "miliardy", "miliardów")

# ---------------------------------------------------------------- Russian
_add("unit", 1, "один", "одна", "одно", "одного", "одной", "одному", "одним", "одном", "одну")
_add("unit", 2, "два", "две", "двух", "двум", "двумя")
_add("unit", 3, "три", "трёх", "трех", "трём", "трем", "тремя")
_add("unit", 4, "четыре", "четырёх", "четырех", "четырём", "четырем", "четырьмя")
# numerals in -ь decline regularly: пять, пяти, пятью ('семью' is also 'family': left out)
for _n, _word in (
    (5, "пять"),
    (6, "шесть"),
    (7, "семь"),
    (8, "восемь"),
    (9, "девять"),
    (10, "десять"),
    (11, "одиннадцать"),
    (12, "двенадцать"),
    (13, "тринадцать"),
    (14, "четырнадцать"),
    (15, "пятнадцать"),
    (16, "шестнадцать"),
    (17, "семнадцать"),
    (18, "восемнадцать"),
    (19, "девятнадцать"),
    (20, "двадцать"),
    (30, "тридцать"),
):
    _kind = "unit" if _n < 10 else ("teen" if _n < 20 else "ten")
    _stem = {"восемь": "восьм"}.get(_word, _word[:-1])
    _forms = [_word, _stem + "и"] + ([_word[:-1] + "ью"] if _n != 7 else [])
    _add(_kind, _n, *_forms)
_add("ten", 40, "сорок", "сорока")
for _n, _nom, _obl in (
    (50, "пятьдесят", "пятидесяти"),
    (60, "шестьдесят", "шестидесяти"),
    (70, "семьдесят", "семидесяти"),
    (80, "восемьдесят", "восьмидесяти"),
):
    _add("ten", _n, _nom, _obl)
_add("ten", 90, "девяносто", "девяноста")
_add("hundreds", 100, "сто", "ста")
_add("hundreds", 200, "двести", "двухсот", "двумстам")
_add("hundreds", 300, "триста", "трёхсот", "трехсот")
_add("hundreds", 400, "четыреста", "четырёхсот", "четырехсот")
for _n, _nom, _obl in (
    (500, "пятьсот", "пятисот"),
    (600, "шестьсот", "шестисот"),
    (700, "семьсот", "семисот"),
    (800, "восемьсот", "восьмисот"),
    (900, "девятьсот", "девятисот"),
):
    _add("hundreds", _n, _nom, _obl)
_add("scale", 1000, "тысяча", "тысячи", "тысяч", "тысячу", "тысячей", "тысячам", "тысячами")
_add("scale", 10**6, "миллион", "миллиона", "миллионов", "миллиону", "миллионом", "миллионами")
_add("scale", 10**9, "миллиард", "миллиарда", "миллиардов", "миллиардом")

# Scale words that are a number on their own: Polish and Russian singulars ('ponad milion',
# 'тысяча человек'); English needs 'a' or a numeral before them.
SCALE_WORDS = frozenset(
    {
        "tysiąc",
        "tysiąca",
        "tysiącu",
        "tysiącem",
        "milion",
        "miliona",
        "milionie",
        "milionem",
        "miliard",
        "miliarda",
        "miliardem",
        "тысяча",
        "тысячу",
        "тысячей",
        "миллион",
        "миллиона",
        "миллионом",
        "миллиард",
        "миллиарда",
    }
)

# A numeral followed by one of these is a fraction ('two-thirds', 'one half'), not a count.
FRACTION_WORDS = frozenset(
    "half halves third thirds quarter quarters fourth fourths fifth fifths sixth sixths "
    "seventh sevenths eighth eighths ninth ninths tenth tenths "
    "trzecia trzecie trzecich czwarta czwarte czwartych piąta piąte piątych "
    "половина половины треть трети третей четверть четверти четвертей пятая пятых".split()
)

_PREFIXES = {
    "jedno": 1,
    "dwu": 2,
    "trzy": 3,
    "cztero": 4,
    "pięcio": 5,
    "sześcio": 6,
    "siedmio": 7,
    "ośmio": 8,
    "dziewięcio": 9,
    "dziesięcio": 10,
    "jedenasto": 11,
    "dwunasto": 12,
    "piętnasto": 15,
    "dwudziesto": 20,
    "trzydziesto": 30,
    "stu": 100,
    "одно": 1,
    "двух": 2,
    "трёх": 3,
    "трех": 3,
    "четырёх": 4,
    "четырех": 4,
    "пяти": 5,
    "шести": 6,
    "семи": 7,
    "восьми": 8,
    "девяти": 9,
    "десяти": 10,
    "двенадцати": 12,
    "пятнадцати": 15,
    "двадцати": 20,
    "тридцати": 30,
    "сорока": 40,
    "пятидесяти": 50,
    "сто": 100,
}
# What the compounds count: years, months, weeks, days, hours, persons, seats, times, percent.
_COUNTED = (
    "letn",
    "miesięczn",
    "tygodniow",
    "dniow",
    "godzinn",
    "osobow",
    "mandatow",
    "krotn",
    "procentow",
    "летн",
    "месячн",
    "недельн",
    "дневн",
    "часов",
    "кратн",
    "процентн",
    "местн",
)
_BY_LENGTH = sorted(_PREFIXES, key=len, reverse=True)
# one pattern, longest prefix first (as a loop over _BY_LENGTH would try them), for speed:
# every word of every sentence is tried
_COMPOUND = re.compile(
    "(" + "|".join(map(re.escape, _BY_LENGTH)) + ")(?=" + "|".join(map(re.escape, _COUNTED)) + ")"
)


def compound_prefix(word: str) -> int | None:
    """'pięcioletnia' → 5, 'пятилетний' → 5, 'dwudziestoosobowy' → 20; None otherwise."""
    found = _COMPOUND.match(word.lower())
    return _PREFIXES[found.group(1)] if found else None
