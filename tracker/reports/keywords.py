"""What a report sentence is about: topic keywords in Polish, Russian and English (a leaf).

A topic word names the value beside it ("zginęło 238 osób" → deaths, "ludność ok. 20,26
mln" → population): it picks, in a sentence with several numbers, the one a draft fact
should track, makes a small count worth a draft at all, and names the draft
(`fn1-population`, `fn10-prime-minister`). Words are compared folded (lower case, no
diacritics: `tracker.text.fold`), by stem.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tracker.text import fold


@dataclass(frozen=True)
class Topic:
    slug: str  # names the draft: fn<N>-<slug>
    stems: tuple[str, ...]  # a folded word starting with one of these names it
    english: str = ""  # the words a Factbook-like source uses for it
    counts: bool = False  # it names counts: a small number beside it is a fact

    def names(self, word: str) -> bool:
        """`word` (folded) starts with a stem, or is one written `stem$` (a whole word)."""
        return any(
            word == stem[:-1] if stem.endswith("$") else word.startswith(stem)
            for stem in self.stems
        )


def _t(slug: str, stems: str, english: str = "", counts: bool = False) -> Topic:
    return Topic(slug, tuple(stems.split()), english, counts)


TOPICS = (
    _t(
        "deaths",
        "zginel zginal zgineli zgin smierc ofiar zabit zabil zmarl killed kill dead "
        "death deaths fatalit погиб убит жертв смерт",
        "fatalities deaths killed",
        True,
    ),
    _t("injured", "rann injur wound ранен", "injured wounded", True),
    _t("evacuated", "ewakuow evacuat эвакуир", "evacuated", True),
    _t("detained", "zatrzym aresztow arrest detain задерж арест", "arrested detained", True),
    _t("convicted", "skazal skazan skazany convict sentenced осужд", "convicted", True),
    _t("protests", "protest demonstrac протест митинг", "protests demonstrations", True),
    _t("events", "wydarzen incydent incident event инцидент событ", "events", True),
    _t("cases", "przypadk cases случа", "cases", True),
    _t("regions", "obwod obwodow region oblast област", "regions provinces", True),
    _t("cities", "miast cities город", "cities", True),
    _t("households", "gospodarstw household домохозяйств", "households", True),
    _t("seats", "mandat seats мандат", "seats", True),
    _t("bases", "baz bases баз", "bases", True),
    _t(
        "population",
        "ludnosc ludnos populac population mieszkanc inhabitant населен жител",
        "population",
    ),
    _t("urbanization", "urbaniz zurbaniz urban miejsk городск", "urban urbanization"),
    _t("ethnic-groups", "etniczn ethnic этническ", "ethnic groups"),
    _t("religions", "religi wyznan relig религи", "religions"),
    _t("prime-minister", "premier prime премьер", "prime minister head government"),
    _t("president", "prezydent president президент", "president chief state"),
    _t(
        "government",
        "rzad$ rzadu$ rzadem$ rzady$ rzadow$ rzadzie$ government правительств",
        "government",
    ),
    _t("vote-share", "poparci glosow votes vote голос", "percent vote"),
    _t("election", "wybor electio elector выбор", "election"),
    _t("independence", "niepodleg independ независим", "independence"),
    _t("capital", "stolic capital столиц", "capital"),
    _t("term", "kadencj term$ terms$ срок$ срока$", "term"),
    _t("gdp", "pkb$ gdp$ ввп$", "gdp"),
    _t("inflation", "inflac inflation инфляц", "inflation"),
    _t("unemployment", "bezroboc unemploy безработ", "unemployment"),
    _t("refugees", "uchodzc refugee беженц", "refugees"),
    _t("migration", "migrac emigrac imigrac migrant migrat мигра", "migration"),
    _t("mci", "mci$ мрп$", "monthly calculation index"),
)
# Words that mark a count ("238 osób") without saying of what.
COUNT_NOUNS = ("osob", "ludzi", "people", "persons", "человек", "obywatel", "citizens")
# Qualifiers an election takes, from anywhere in the sentence.
ELECTION_KINDS = (
    ("presidential", ("prezydenck", "presidential", "президентск")),
    ("mazhilis", ("mazylis", "mazhilis", "мажилис")),
    ("senate", ("senat", "сенат")),
    ("parliamentary", ("parlament", "parliament", "парламент")),
    ("local", ("lokaln", "samorzad", "maslikhat", "маслихат")),
)
NEXT = ("kolejn", "nastepn", "next", "upcoming", "следующ", "очередн")
WINDOW = 6  # words on either side of a value that may name it


@dataclass(frozen=True)
class Word:
    text: str  # folded
    start: int  # in the sentence
    end: int


def words(sentence: str) -> list[Word]:
    return [Word(fold(m.group(0)), m.start(), m.end()) for m in re.finditer(r"[^\W\d_]+", sentence)]


def topic_of(word: str) -> Topic | None:
    return next((topic for topic in TOPICS if topic.names(word)), None)


def topics_in(sentence: str) -> list[Topic]:
    return [t for t in (topic_of(w.text) for w in words(sentence)) if t is not None]


def naming_topic(sentence: str, start: int, end: int) -> Topic | None:
    """The topic word nearest the text at [start, end) within WINDOW words; on a tie the
    one after it ('238 osób zginęło' and 'zginęło 238 osób' alike)."""
    found = words(sentence)
    before = [w for w in found if w.end <= start][-WINDOW:]
    after = [w for w in found if w.start >= end][:WINDOW]
    ranked = [(distance, 0, w) for distance, w in enumerate(after)]
    ranked += [(distance, 1, w) for distance, w in enumerate(reversed(before))]
    for _, _, word in sorted(ranked, key=lambda r: (r[0], r[1])):
        topic = topic_of(word.text)
        if topic is not None:
            return topic
    return None


def counted(sentence: str, end: int) -> bool:
    """A count noun follows the number ending at `end` ('238 osób')."""
    following = [w for w in words(sentence) if w.start >= end][:2]
    return any(w.text.startswith(COUNT_NOUNS) for w in following)


def slug_for(topic: Topic, sentence: str, future: bool) -> str:
    """The topic's slug; an election says which and whether it is the next one."""
    if topic.slug != "election":
        return topic.slug
    folded = [w.text for w in words(sentence)]
    kind = next(
        (name for name, stems in ELECTION_KINDS if any(w.startswith(stems) for w in folded)), None
    )
    nxt = future and any(w.startswith(NEXT) for w in folded)
    return "-".join(p for p in ("next" if nxt else None, kind, "election") if p)


def slugify(text: str, limit: int = 40) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", fold(text)).strip("-")
    return slug[:limit].rstrip("-")
