"""Same person, other spelling: renderings of Kazakh names in real transliteration schemes.

Each person is written as Polish (Wikipedia's PWN-style: w, j, ż, ł, ch), German (w, j,
sch, s for з), French (v, ï, j for ж, ou, gu, ss), English (v, y, zh, kh), the Russian
passport (ICAO 9303: zh, kh, no glide: Tokaev), the Kazakh Latin alphabet (q, j, ä, ū) and
Cyrillic, plus the Factbook's "SURNAME Given" word order.
"""

from __future__ import annotations

import itertools
from datetime import datetime, timezone

import pytest

from tracker.config import Fact
from tracker.evaluate.extract import EXTRACTORS
from tracker.evaluate.extract.names import same_person
from tracker.evaluate.facts import Health, evaluate

NOW = datetime(2026, 1, 23, tzinfo=timezone.utc)

PEOPLE = {
    "tokayev": [
        "Kassym-Jomart Tokayev",
        "Kasym-Zhomart Tokayev",
        "Kasym-Żomart Tokajew",
        "Qassym-Schomart Toqajew",
        "Kassym-Jomart Tokaïev",
        "Kasym-Zhomart Tokaev",
        "Qasym-Jomart Toqaev",
        "Касым-Жомарт Токаев",
        "TOKAYEV Kassym-Jomart",
    ],
    "bektenov": [
        "Olzhas Bektenov",
        "Ołżas Bektenow",
        "Olżas Bektenow",
        "Olschas Bektenow",
        "Oljas Bektenov",
        "Олжас Бектенов",
        "BEKTENOV Olzhas",
        "Bektenov Olzhas",
    ],
    "nazarbayev": [
        "Nursultan Nazarbayev",
        "Nursułtan Nazarbajew",
        "Nursultan Nasarbajew",
        "Noursoultan Nazarbaïev",
        "Nursultan Nazarbaev",
        "Nursūltan Nazarbaev",
        "Нурсултан Назарбаев",
        "Nursultan Abishuly Nazarbayev",
    ],
    "smailov": [
        "Alikhan Smailov",
        "Ałichan Smaiłow",
        "Alichan Smailow",
        "Alikhan Smaïlov",
        "Älihan Smaiylov",
        "Әлихан Смаилов",
    ],
    "sagintayev": [
        "Bakytzhan Sagintayev",
        "Bakytżan Sagintajew",
        "Bakytschan Sagintajew",
        "Bakytjan Saguintaïev",
        "Bakytzhan Sagintaev",
        "Бакытжан Сагинтаев",
    ],
    "masimov": [
        "Karim Masimov",
        "Karim Massimov",
        "Karim Masimow",
        "Karim Massimow",
        "Карим Масимов",
    ],
    "mamin": ["Askar Mamin", "Asqar Mamin", "Askar Mamine", "Аскар Мамин"],
}
# Members of Kazakh governments 2019–2025 (English spellings): no two are one person.
OTHERS = [
    "Roman Sklyar",
    "Serik Zhumangarin",
    "Yerlan Karin",
    "Murat Nurtleu",
    "Maulen Ashimbayev",
    "Yerlan Koshanov",
    "Askar Zhumagaliyev",
    "Bakhyt Sultanov",
    "Daniyar Akishev",
    "Askar Uzakbayev",
    "Kanat Bozumbayev",
    "Alikhan Baimenov",
    "Yerzhan Ashikbayev",
    "Marat Beketayev",
    "Bakhyt Kozhakhmetov",
    "Akmaral Alnazarova",
    "Tamara Duisenova",
    "Aida Balayeva",
    "Gani Beisembayev",
    "Yermek Kosherbayev",
]
# Same surname, another person: father and son, father and daughter, grandfather and grandson.
RELATIVES = [
    ("Kassym-Jomart Tokayev", "Kemel Tokayev"),
    ("Kasym-Żomart Tokajew", "Kemel Tokajew"),
    ("Nursultan Nazarbayev", "Dariga Nazarbayeva"),
    ("Nursultan Nazarbayev", "Aisultan Nazarbayev"),
    ("Nursułtan Nazarbajew", "Ajsułtan Nazarbajew"),
    ("Olzhas Bektenov", "Olzhas Bektenova"),
    ("Tokayev", "Kassym-Jomart Tokayev"),  # a surname alone cannot tell them apart
]


def pairs_of_one_person():
    for person, names in PEOPLE.items():
        for a, b in itertools.combinations(names, 2):
            yield pytest.param(a, b, id=f"{person}:{a}|{b}")


@pytest.mark.parametrize("a,b", list(pairs_of_one_person()))
def test_one_person_spelt_anew_is_the_same_person(a, b):
    assert same_person(a, b) and same_person(b, a)


def test_different_people_are_never_confused():
    groups = list(PEOPLE.values()) + [[name] for name in OTHERS]
    confused = [
        (a, b)
        for names, others in itertools.combinations(groups, 2)
        for a in names
        for b in others
        if same_person(a, b)
    ]
    assert confused == []


@pytest.mark.parametrize("a,b", RELATIVES)
def test_same_surname_other_given_name_is_another_person(a, b):
    assert not same_person(a, b) and not same_person(b, a)


def person_fact(**kw) -> Fact:
    return Fact.model_validate(
        {
            "id": "pm",
            "source": "fb",
            "path": ["pm"],
            "extract": "person",
            "expect": "Olzhas Bektenov",
            **kw,
        }
    )


def test_a_respelt_claim_is_current_with_the_spelling_noted():
    snapshot = {"pm": "Prime Minister Olzhas BEKTENOW (since 6 February 2024)"}
    finding = evaluate("r", person_fact(), snapshot, Health(), NOW)
    assert finding.status == "current" and finding.current == "Olzhas Bektenow"
    assert finding.details.spelling == "Olzhas Bektenow"
    assert "same person" in finding.note and "'Olzhas Bektenow'" in finding.note
    assert finding.to_json()["details"]["spelling"] == "Olzhas Bektenow"


def test_the_same_spelling_notes_nothing_and_another_person_is_stale():
    same = evaluate("r", person_fact(), {"pm": "Prime Minister Olzhas BEKTENOV"}, Health(), NOW)
    assert same.status == "current" and same.details.spelling is None and same.note is None
    other = evaluate(
        "r",
        person_fact(expect="Kassym-Jomart Tokayev"),
        {"pm": "President Kemel TOKAYEV (since 2030)"},
        Health(),
        NOW,
    )
    assert other.status == "stale" and other.details.spelling is None


def test_the_factbooks_word_order_in_the_claim():
    fact = person_fact(expect="BEKTENOV Olzhas")
    finding = evaluate("r", fact, {"pm": "Prime Minister Olzhas BEKTENOV"}, Health(), NOW)
    assert finding.status == "current"


def test_a_review_of_one_spelling_holds_for_another():
    reviewed = {"on": "2026-02-01", "value": "Roman Sklyar", "note": "seen"}
    fact = person_fact(reviewed=reviewed)
    finding = evaluate("r", fact, {"pm": "Prime Minister Roman SKLIAR"}, Health(), NOW)
    assert finding.status == "acknowledged"


def test_the_person_extractor_reads_every_rendering():
    assert EXTRACTORS["person"]("Prime Minister Ołżas BEKTENOW (since 2024)") == "Ołżas Bektenow"
