"""Value extractors: turn the text at a snapshot path into a comparable value.

Each extractor is a function `(value, params) -> extracted` plus the params it accepts and
the way its values compare (`text`, `number`, `date`, `shares`). All accept two common
params: `within`, a regex whose first group (or whole match) narrows the text first, and
`index`, which occurrence to take (0 = first).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any, Callable

from dateutil import parser as dateparser

from tracker.config.extractors import EXTRACTOR_SPECS, ExtractorSpec


class ExtractError(ValueError):
    """The text at the path does not hold what the extractor looks for."""


@dataclass(frozen=True)
class Extractor:
    """An extractor function with its declaration (`tracker.config.extractors`)."""

    spec: ExtractorSpec
    func: Callable[[Any, dict[str, Any]], Any]
    annotate: Callable[[Any, dict[str, Any]], dict[str, Any]] | None = None  # finding details

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def compare(self) -> str:
        return self.spec.compare

    def check(self, params: dict[str, Any]) -> None:
        self.spec.check(params)

    def __call__(self, value: Any, params: dict[str, Any] | None = None) -> Any:
        params = params or {}
        if self.spec.takes_structure:
            return self.func(value, params)
        text = as_text(value)
        if "within" in params:
            text = _narrow(text, str(params["within"]))
        return self.func(text, params)


EXTRACTORS: dict[str, Extractor] = {}
Func = Callable[[Any, dict[str, Any]], Any]


def register(name: str, annotate: Callable[[Any, dict[str, Any]], dict[str, Any]] | None = None
             ) -> Callable[[Func], Func]:
    """Attach the function to its declaration in EXTRACTOR_SPECS (which must exist)."""
    def wrap(func: Func) -> Func:
        EXTRACTORS[name] = Extractor(EXTRACTOR_SPECS[name], func, annotate)
        return func
    return wrap


def as_text(value: Any) -> str:
    """A field dict {text: …} reads as its text; other scalars as str."""
    if isinstance(value, dict):
        if "text" in value and isinstance(value["text"], str):
            return value["text"]
        raise ExtractError(f"path leads to a group of fields ({', '.join(list(value)[:6])}), "
                           "not a text")
    if value is None:
        raise ExtractError("no value at path")
    if isinstance(value, list):
        return "\n".join(str(v) for v in value)
    return str(value)


def _narrow(text: str, pattern: str) -> str:
    match = re.search(pattern, text, re.IGNORECASE | re.DOTALL)
    if not match:
        raise ExtractError(f"`within` pattern {pattern!r} not found")
    return match.group(1) if match.groups() else match.group(0)


def _pick(items: list[Any], params: dict[str, Any], what: str) -> Any:
    index = int(params.get("index", 0))
    if not items:
        raise ExtractError(f"no {what} found")
    if index >= len(items):
        raise ExtractError(f"only {len(items)} {what}(s) found, index {index} asked")
    return items[index]


# ------------------------------------------------------------------ text


@register("text")
def extract_text(text: str, params: dict[str, Any]) -> str:
    return " ".join(text.split())


@register("regex")
def extract_regex(text: str, params: dict[str, Any]) -> str:
    matches = list(re.finditer(str(params["pattern"]), text, re.IGNORECASE | re.DOTALL))
    match = _pick(matches, params, "match")
    group = params.get("group", 1 if match.groups() else 0)
    return " ".join((match.group(group) or "").split())


# ------------------------------------------------------------------ people

_TITLE_WORDS = {
    "president", "prime", "minister", "ministers", "acting", "interim", "caretaker", "chairman",
    "chairwoman", "chair", "chairperson", "cabinet", "council", "deputy", "first", "vice",
    "premier", "supreme", "leader", "head", "state", "government", "of", "the", "king", "queen",
    "emir", "sultan", "general", "governor-general", "chancellor", "federal", "executive",
    "secretary", "presidium", "mr", "mrs", "dr", "and",
}


@register("person")
def extract_person(text: str, params: dict[str, Any]) -> str:
    """'Acting Prime Minister Alikhan SMAILOV (since 5 January 2022); note - …' → 'Alikhan Smailov'.

    The Factbook writes surnames in capitals, a title before the name, '(since …)' after
    it, and deputies or notes after ';'. Only the first person is the value.
    """
    head = re.split(r";|\n", text, maxsplit=1)[0]
    head = re.sub(r"\([^)]*\)?", " ", head)
    tokens = [t.strip(",.") for t in head.split()]
    tokens = [t for t in tokens if t]
    start = next((i for i, t in enumerate(tokens) if _is_surname(t)), None)
    if start is None:
        words = [t for t in tokens if t.lower() not in _TITLE_WORDS]
        if not words:
            raise ExtractError("no person name found")
        return " ".join(words)
    end = start
    while end + 1 < len(tokens) and _is_surname(tokens[end + 1]):
        end += 1
    given: list[str] = []
    i = start - 1
    while i >= 0 and tokens[i][:1].isupper() and tokens[i].lower() not in _TITLE_WORDS:
        given.insert(0, tokens[i])
        i -= 1
    surname = [_natural_case(t) for t in tokens[start:end + 1]]
    return " ".join(given + surname)


def _is_surname(token: str) -> bool:
    letters = [c for c in token if c.isalpha()]
    return len(letters) >= 2 and all(c.isupper() for c in letters)


def _natural_case(token: str) -> str:
    return re.sub(r"[^\W\d_]+", lambda m: m.group(0).capitalize(), token)


# ------------------------------------------------------------------ numbers

_SCALES = {
    "thousand": 1e3, "tys": 1e3, "тыс": 1e3, "million": 1e6, "mln": 1e6, "mio": 1e6,
    "млн": 1e6, "billion": 1e9, "bn": 1e9, "mld": 1e9, "mlrd": 1e9, "млрд": 1e9,
    "trillion": 1e12, "трлн": 1e12,
}
_NUMBER = re.compile(
    r"(?<![\w.,])[-−]?(?:\d{1,3}(?:[,\u00a0\u202f ]\d{3})+(?:[.]\d+)?"
    r"|\d{1,3}(?:\.\d{3})+(?:,\d+)?(?=\s|$|[^\d.,])"
    r"|\d+(?:[.,]\d+)?)"
    r"(?:\s*(thousand|tys\.?|тыс\.?|million|mln\.?|mio\.?|млн\.?|billion|bn|mld\.?|mlrd\.?"
    r"|млрд\.?|trillion|трлн\.?)(?![\w]))?",
    re.IGNORECASE,
)


def parse_number(token: str, scale: str | None = None) -> float:
    """'20,260,006' '20 260 006' '20,26' (+mln) '3.692' (dot thousands) → float."""
    raw = token.replace("−", "-").replace("\u00a0", " ").replace("\u202f", " ")
    if scale and re.fullmatch(r"-?\d+[.,]\d+", raw):  # '181.194 billion', '20,26 mln'
        raw = raw.replace(",", ".")
    elif re.fullmatch(r"-?\d{1,3}(?:[, ]\d{3})+(?:\.\d+)?", raw):
        raw = raw.replace(",", "").replace(" ", "")
    elif re.fullmatch(r"-?\d{1,3}(?:\.\d{3})+(?:,\d+)?", raw):
        raw = raw.replace(".", "").replace(",", ".")
    else:
        raw = raw.replace(",", ".")
    value = float(raw)
    if scale:
        value *= _SCALES[scale.lower().rstrip(".")]
    return value


def find_numbers(text: str) -> list[float]:
    return [parse_number(m.group(0)[: m.start(1) - m.start(0)].strip() if m.group(1)
                         else m.group(0), m.group(1)) for m in _NUMBER.finditer(text)]


def tidy_number(value: float) -> float | int:
    return int(value) if float(value).is_integer() else round(value, 6)


@register("number")
def extract_number(text: str, params: dict[str, Any]) -> float | int:
    return tidy_number(_pick(find_numbers(text), params, "number"))


@register("percent")
def extract_percent(text: str, params: dict[str, Any]) -> float | int:
    label = params.get("label")
    prefix = rf"{re.escape(str(label))}\W{{0,3}}" if label else ""
    pattern = prefix + r"([-−]?\d+(?:[.,]\d+)?)\s*(?:%|percent|proc|процент)"
    found = [parse_number(m.group(1)) for m in re.finditer(pattern, text, re.IGNORECASE)]
    return tidy_number(_pick(found, params, "percentage"))


@register("year")
def extract_year(text: str, params: dict[str, Any]) -> int:
    years = [int(y) for y in re.findall(r"(?<!\d)(1[89]\d\d|20\d\d|21\d\d)(?!\d)", text)]
    return _pick(years, params, "year")


# ------------------------------------------------------------------ dates

_DATE_PATTERNS = [
    r"\d{4}-\d{2}-\d{2}",
    r"\d{1,2}\.\d{1,2}\.\d{4}",
    r"\d{1,2}/\d{1,2}/\d{4}",  # day first unless `month_first` (the Factbook's '3/19/2023')
    r"\d{1,2}\s+(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?,?\s+\d{4}",
    r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?\s+\d{1,2},\s*\d{4}",
]
# Polish and Russian month names (genitive, as in dates) and the Roman-numeral months of
# Polish bibliographies ('28 xi 2021'); dateutil knows neither.
_LOCAL_MONTHS = {
    "stycz": 1, "lut": 2, "marz": 3, "marc": 3, "kwie": 4, "maj": 5, "czerw": 6, "lip": 7,
    "sierp": 8, "wrze": 9, "paźdz": 10, "pazdz": 10, "listop": 11, "grud": 12,
    "январ": 1, "феврал": 2, "март": 3, "апрел": 4, "ма": 5, "июн": 6, "июл": 7, "август": 8,
    "сентябр": 9, "октябр": 10, "ноябр": 11, "декабр": 12,
}
_ROMAN_MONTHS = {r: i for i, r in enumerate(
    "i ii iii iv v vi vii viii ix x xi xii".split(), start=1)}
_LOCAL_DATE = re.compile(
    r"(?<![\w.])(\d{1,2})\s+(" + "|".join(sorted(_ROMAN_MONTHS, key=len, reverse=True))
    + r"|(?:stycz|lut|mar|kwie|maj|czerw|lip|sierp|wrze|pa[źz]dz|listop|grud|январ|феврал|март"
    r"|апрел|ма|июн|июл|август|сентябр|октябр|ноябр|декабр)\w*)\.?\s+(\d{4}|\d{2})(?!\d)"
    r"(?:\s*(?:r\.|г\.|года))?", re.IGNORECASE)
_DATE_PATTERNS.append(_LOCAL_DATE.pattern)
_DATE = re.compile("|".join(f"(?:{p})" for p in _DATE_PATTERNS), re.IGNORECASE)


def parse_date(text: str, month_first: bool = False) -> date:
    """A date written as ISO, 'DD.MM.YYYY', '6 February 2024' or 'February 6, 2024'."""
    if isinstance(text, date):
        return text
    local = parse_local_date(str(text))
    if local is not None:
        return local
    try:
        return dateparser.parse(str(text), dayfirst=not month_first, default=None).date()
    except (ValueError, OverflowError, TypeError, AttributeError):
        raise ExtractError(f"not a date: {text!r}") from None


def parse_local_date(text: str) -> date | None:
    """'1 stycznia 2025 r.', '28 xi 2021', '5 марта 2014 г.' → date; None if not that form."""
    match = _LOCAL_DATE.fullmatch(text.strip()) or _LOCAL_DATE.match(text.strip())
    if not match:
        return None
    day, month_word, year = int(match.group(1)), match.group(2).lower(), match.group(3)
    month = _ROMAN_MONTHS.get(month_word) or next(
        (n for stem, n in sorted(_LOCAL_MONTHS.items(), key=lambda kv: -len(kv[0]))
         if month_word.startswith(stem)), None)
    if len(year) == 2 and month_word == "i":  # '5 i 10' is more often 'five and ten'
        return None
    full_year = int(year) + (2000 if len(year) == 2 else 0)  # '10 iv 15' in a bibliography
    try:
        return date(full_year, month, day) if month else None
    except ValueError:
        return None


@register("date")
def extract_date(text: str, params: dict[str, Any]) -> str:
    month_first = bool(params.get("month_first", False))
    found = [parse_date(m.group(0), month_first) for m in _DATE.finditer(text)]
    return _pick(found, params, "date").isoformat()


# ------------------------------------------------------------------ shares


@register("shares")
def extract_shares(text: str, params: dict[str, Any]) -> dict[str, float | int]:
    """'Kazakh (Qazaq) 68%, Russian 19.3%, …, other 4.4% (2019 est.)' → {name: percent}."""
    shares: dict[str, float | int] = {}
    for part in _split_top_level(text):
        match = re.match(r"\s*(.+?)\s+(\d+(?:[.,]\d+)?)\s*%", re.sub(r"\([^)]*\)", " ", part))
        if match:
            name = " ".join(match.group(1).split()).strip(" :-;")
            shares[name] = tidy_number(parse_number(match.group(2)))
    if not shares:
        raise ExtractError("no 'name NN%' shares found")
    return shares


def _split_top_level(text: str) -> list[str]:
    parts, depth, current = [], 0, ""
    for char in text:
        depth += char == "("
        depth -= char == ")" and depth > 0
        if char in ",;" and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    return parts + [current]


# Extractors kept in their own modules register on import.
from tracker.evaluate import extract_acled  # noqa: E402, F401
