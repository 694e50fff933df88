"""Alias groups (drug code ↔ INN ↔ brand, gene ↔ aliases, abbreviation ↔ full name) for expansion.

Groups come from ``aliases.txt`` beside this module and from pairs the indexer mined from the
corpus itself (``aliases.json`` in a generation). Members are compared as analysed terms, so
``ICP723`` in a query finds the group of ``ICP-723``.
"""

import json
from dataclasses import dataclass
from pathlib import Path

ALIASES_FILE = Path(__file__).with_name("aliases.txt")


@dataclass(frozen=True)
class Expansion:
    """A member of a matched group that the query did not contain."""

    text: str
    matched: str


def read_alias_file(path: Path = ALIASES_FILE) -> list[list[str]]:
    """The groups of an alias file: one per line, members separated by `` | ``, ``#`` comments."""
    groups = []
    for line in path.read_text(encoding="utf-8").splitlines():
        members = [member.strip() for member in line.split("#", 1)[0].split("|")]
        if len([member for member in members if member]) > 1:
            groups.append([member for member in members if member])
    return groups


def read_mined_aliases(path: Path) -> list[list[str]]:
    """Groups mined from a corpus; none if absent."""
    return [entry["names"] for entry in read_mined_entries(path)]


def read_mined_entries(path: Path) -> list[dict]:
    """What ``indexer.aliases.mine_aliases`` wrote at ``path``: ``[{"names": [...], "doc_id": ...}, ...]``."""
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else []


class AliasTable:
    """Finds the groups a query mentions and the other names to search for."""

    def __init__(self, groups: list[list[str]], analyzer):
        self._analyzer = analyzer
        self._groups = [[(member, self._terms(member)) for member in group] for group in groups]
        self._by_first_term: dict[str, list[tuple[tuple[str, ...], int]]] = {}
        for number, group in enumerate(self._groups):
            for _member, terms in group:
                if terms:
                    self._by_first_term.setdefault(terms[0], []).append((terms, number))

    def _terms(self, text: str) -> tuple[str, ...]:
        return tuple(token.text for token in self._analyzer(text))

    def expansions(self, text: str) -> list[Expansion]:
        """Other members of every group one of whose members occurs in ``text`` as a run of terms."""
        terms = self._terms(text)
        present = {terms[start:end] for start in range(len(terms)) for end in range(start + 1, len(terms) + 1)}
        found: list[Expansion] = []
        seen: set[tuple[str, ...]] = set(present)
        for start, term in enumerate(terms):
            for member_terms, number in self._by_first_term.get(term, ()):
                if terms[start : start + len(member_terms)] != member_terms:
                    continue
                matched = " ".join(member_terms)
                for other, other_terms in self._groups[number]:
                    if other_terms and other_terms not in seen:
                        seen.add(other_terms)
                        found.append(Expansion(other, matched))
        return found
