"""Near-duplicate groups: the same news published twice, by a partner, or in another language.

Two announcements are compared only when they could be one piece of news: the same company
(or a shared drug code in the headline) within ``MAX_DAYS_APART`` days. Such a pair is the same
news when

- their words overlap (Jaccard of word 3-shingles ≥ ``SHINGLE_THRESHOLD``): a re-published or
  corrected release; or
- one is in English and the other is not, they share a date, and their *anchors* overlap
  (Jaccard ≥ ``ANCHOR_THRESHOLD`` of the numbers, codes and capitalised names, which a
  translation keeps): a translation.

A corpus header's ``same_news_as`` joins two documents outright. Groups are the connected
components, each named by its earliest member. Measured with ``bench/duplicates.py`` on 95
hand-checked groups of GlobeNewswire releases: embedding cosine (all-MiniLM-L6-v2 is an English
model) separated no translation that the language and date did not, so it is not used.
"""

import datetime
import re
from collections import defaultdict
from collections.abc import Iterable

from indexer.documents import Document
from search.entities import code_key, drug_codes

MAX_DAYS_APART = 3
SHINGLE_THRESHOLD = 0.7
ANCHOR_THRESHOLD = 0.2
_WORD = re.compile(r"\w+")
_ANCHOR = re.compile(r"\b(?:[A-Z][\w-]*[A-Z0-9][\w-]*|\d[\d.,]*)\b")  # IMC001, FDA, 45, 2.3
# Function words frequent in any English text; a release where they are rare is in another language.
_ENGLISH_WORDS = frozenset(
    "the and of to in for with on is a that its as by from has will an at be today announced company".split()
)
ENGLISH_SHARE = 0.12


def duplicate_groups(documents: list[Document], joined: Iterable[tuple[str, str]] = ()) -> dict[str, str]:
    """Each document's group: the doc_id of the group's earliest member (itself when alone).
    ``joined``: pairs of doc_ids known to be one piece of news already (groups found before)."""
    parent = list(range(len(documents)))

    def root(item: int) -> int:
        while parent[item] != item:
            parent[item] = parent[parent[item]]
            item = parent[item]
        return item

    def join(first: int, second: int) -> None:
        parent[root(first)] = root(second)

    number = {document.doc_id: position for position, document in enumerate(documents)}
    for position, document in enumerate(documents):
        target = document.metadata.get("same_news_as")
        if isinstance(target, str) and target in number:
            join(position, number[target])
    for first, second in joined:
        join(number[first], number[second])
    features = {}  # only documents in some candidate pair: at a million passages, all would not fit in memory
    for first, second in candidate_pairs(documents):
        for position in (first, second):
            if position not in features:
                features[position] = _Features.of(documents[position])
        if same_news(features[first], features[second]):
            join(first, second)
    members = defaultdict(list)
    for position in range(len(documents)):
        members[root(position)].append(position)
    group_of = {}
    for positions in members.values():
        name = min(positions, key=lambda item: (documents[item].date or "9999", documents[item].doc_id))
        for position in positions:
            group_of[documents[position].doc_id] = documents[name].doc_id
    return group_of


class _Features:
    """What a pair comparison needs of one document."""

    def __init__(self, shingles: set, anchors: set, english: bool, date: str):
        self.shingles, self.anchors, self.english, self.date = shingles, anchors, english, date

    @classmethod
    def of(cls, document: Document) -> "_Features":
        text = f"{document.title}\n{document.body}"
        words = [word.lower() for word in _WORD.findall(text)]
        # Hashes, not word tuples: a tenth of the memory; equal shingles hash alike within the run.
        shingles = {hash(tuple(words[start : start + 3])) for start in range(max(1, len(words) - 2))}
        anchors = {anchor.lower() for anchor in _ANCHOR.findall(text)} - _COMMON_ANCHORS
        return cls(shingles, anchors, _is_english(document, words), document.date)


# Anchors every release has: they say nothing about which news it is.
_COMMON_ANCHORS = {"globe", "newswire", "nasdaq", "nyse", "inc", "ltd", "the", "a", "us", "u.s"}


def same_news(first: _Features, second: _Features) -> bool:
    """The pair rule of the module docstring."""
    if _jaccard(first.shingles, second.shingles) >= SHINGLE_THRESHOLD:
        return True
    translated = first.english != second.english and first.date == second.date
    return translated and _jaccard(first.anchors, second.anchors) >= ANCHOR_THRESHOLD


def _is_english(document: Document, words: list[str]) -> bool:
    """The header's ``language`` when it has one, else whether English function words are common."""
    language = document.metadata.get("language")
    if isinstance(language, str) and language:
        return language.lower().startswith("en")
    return bool(words) and sum(word in _ENGLISH_WORDS for word in words) / len(words) >= ENGLISH_SHARE


def candidate_pairs(documents: list[Document]) -> set[tuple[int, int]]:
    """Pairs of documents by one company, or naming one drug code, at most ``MAX_DAYS_APART``
    days apart."""
    buckets: dict[str, list[int]] = defaultdict(list)
    for position, document in enumerate(documents):
        if not document.date:
            continue
        keys = {"company:" + document.company.lower()} if document.company else set()
        keys |= {"code:" + code_key(code) for code in drug_codes(document.title)}
        for key in keys:
            buckets[key].append(position)
    pairs = set()
    for positions in buckets.values():
        positions.sort(key=lambda item: documents[item].date)
        for start, first in enumerate(positions):  # a window over dates, not all pairs
            for second in positions[start + 1 :]:
                if _days_apart(documents[first].date, documents[second].date) > MAX_DAYS_APART:
                    break
                pairs.add((min(first, second), max(first, second)))
    return pairs


def _days_apart(first: str, second: str) -> int:
    return abs((datetime.date.fromisoformat(first) - datetime.date.fromisoformat(second)).days)


def _jaccard(first: set, second: set) -> float:
    return len(first & second) / len(first | second) if first and second else 0.0
