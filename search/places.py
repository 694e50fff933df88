"""Places by the names releases and queries give them (``vocabulary/territories.txt``): the
territory of a deal on the indexer's side, the region a query asks about on the reader's.

>>> places("Acme's Greater China rights, and Japan")
['Greater China', 'Japan']
"""

import functools
import re

from search.entities import VOCABULARY_DIR, read_lexicon


def places(text: str) -> list[str]:
    """Canonical names of the places named in ``text``, in order (``Europe, Canada and
    Turkey`` → three)."""
    table = _canonical_names()
    found = (table.get(_key(match.group())) for match in place_pattern().finditer(text))
    return [name for name in found if name]


def excluded_name(name: str) -> str:
    """The name of everywhere except ``name``, as deals are faceted (``ex-US``, ``ex-Japan``)."""
    return "ex-US" if name == "United States" else f"ex-{name}"


@functools.lru_cache(maxsize=1)
def place_pattern() -> re.Pattern:
    """One place name, not inside a word, a U.S.-based or a Japan's (a company); an ``ex-``
    before it is left to the caller."""
    members = sorted((member for members, _ in _lexicon() for member in members), key=len, reverse=True)
    # Capitals such as US or EU are ordinary words in lower case ("us"), so they keep their case.
    alternatives = [
        f"(?-i:{re.escape(member)})" if member.replace(".", "").isupper() else re.escape(member).replace(r"\ ", r"\s+")
        for member in members
    ]
    pattern = rf"(?<![\w.])(?:(?<=ex-)|(?<!-))(?:{'|'.join(alternatives)})(?![\w-]|['’]s\b|\.\w)"
    return re.compile(pattern, re.IGNORECASE)


def listed_places() -> str:
    """The pattern of a list of places ("Europe, Canada and Turkey", "US/EU") as group ``places``."""
    place = place_pattern().pattern
    return rf"(?P<places>{place}(?:(?:\s*,\s*(?:and\s+)?|\s+(?:and|or)\s+|\s*/\s*)(?:the\s+)?{place})*)"


@functools.lru_cache(maxsize=1)
def excluded_places() -> re.Pattern:
    """Places named as excluded: "outside the U.S.", "excluding Japan and Korea", "ex-US"
    (their list as group ``places``)."""
    before = r"\b(?:outside|excluding|except(?:\s+for)?|exclusive\s+of|other\s+than)\s+(?:of\s+)?(?:the\s+)?"
    return re.compile(rf"(?:{before}|\bex-\s*){listed_places()}", re.IGNORECASE)


@functools.lru_cache(maxsize=1)
def _canonical_names() -> dict[str, str]:
    """Every vocabulary member, as ``_key`` writes it, to its canonical place."""
    return {_key(member): members[0] for members, _ in _lexicon() for member in members}


def _key(written: str) -> str:
    """How a place name is looked up: case folded, spaces collapsed (the pattern matches both
    loosely: "Greater  China", "TÜRKİYE")."""
    return " ".join(written.casefold().split())


@functools.lru_cache(maxsize=1)
def _lexicon() -> list[tuple[list[str], bool]]:
    return read_lexicon(VOCABULARY_DIR / "territories.txt")
