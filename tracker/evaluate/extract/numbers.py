"""`number`, `percent`, `year`: numbers as reports and sources write them."""
from __future__ import annotations

import re
from typing import Any

from tracker.evaluate.extract.registry import pick, register

_SCALES = {
    "thousand": 1e3, "tys": 1e3, "тыс": 1e3, "million": 1e6, "mln": 1e6, "mio": 1e6,
    "млн": 1e6, "billion": 1e9, "bn": 1e9, "mld": 1e9, "mlrd": 1e9, "млрд": 1e9,
    "trillion": 1e12, "трлн": 1e12,
}
NUMBER_RE = re.compile(
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
                         else m.group(0), m.group(1)) for m in NUMBER_RE.finditer(text)]


def tidy_number(value: float) -> float | int:
    return int(value) if float(value).is_integer() else round(value, 6)


@register("number")
def extract_number(text: str, params: dict[str, Any]) -> float | int:
    return tidy_number(pick(find_numbers(text), params, "number"))


@register("percent")
def extract_percent(text: str, params: dict[str, Any]) -> float | int:
    label = params.get("label")
    prefix = rf"{re.escape(str(label))}\W{{0,3}}" if label else ""
    pattern = prefix + r"([-−]?\d+(?:[.,]\d+)?)\s*(?:%|percent|proc|процент)"
    found = [parse_number(m.group(1)) for m in re.finditer(pattern, text, re.IGNORECASE)]
    return tidy_number(pick(found, params, "percentage"))


@register("year")
def extract_year(text: str, params: dict[str, Any]) -> int:
    years = [int(y) for y in re.findall(r"(?<!\d)(1[89]\d\d|20\d\d|21\d\d)(?!\d)", text)]
    return pick(years, params, "year")
