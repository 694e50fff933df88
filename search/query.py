"""Reading a user's query: words, quoted phrases, ``-exclusions``, ``field:value``, and aliases.

The syntax is the one search-engine users expect:

- plain words rank passages (more of them, higher) but none is required;
- ``"quoted phrases"``, ``+word`` and ``field:value`` (``company:``, ``source:``, ``title:``)
  are required;
- ``-word``, ``-"a phrase"`` and ``NOT word`` exclude passages;
- ``AND`` and ``OR`` are accepted and mean what the defaults already do.

Required and excluded clauses constrain the semantic retriever too, so a hybrid list never
holds a passage the keyword syntax ruled out. Alias expansions (``EpCAM`` → ``CD326``) are
searched at a lower weight than the user's own words and reported back.

The parsed query is plain data (``Term``, ``Phrase``, ``AllOf``, ``AnyOf``), the same for any
engine: a shard translates it to what it runs (``search.embedded.keyword`` scores it on its
own arrays). Words are analysed as the index analyses them (``search.analysis``).
"""

import dataclasses
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from search.aliases import AliasTable
from search.analysis import domain_analyzer

ALIAS_WEIGHT = 0.5
# A query of at most this many words is a list of names (a drug, a target and an indication)
# rather than a sentence: ranking weighs its words as names (search.request, search.understanding).
SHORT_QUERY_WORDS = 6
# Coordination: a passage holding more of the query's clauses ranks above one repeating one.
COORDINATION = 0.9
FIELDS = {"title", "text", "company", "source"}
KEYWORD_FIELD = "text"  # the title and the passage (see search.embedded.index_format.keyword_schema)
_ANALYZER = domain_analyzer()  # every field's (search.embedded.index_format.keyword_schema)

# A sign is an operator only before a letter or a quote: "+1 nucleosomes" and "-2" are numbers.
_CLAUSE = re.compile(
    r'(?:(?P<sign>[-+])(?=[A-Za-z"]))?(?:(?P<field>[A-Za-z_]+):)?(?:"(?P<phrase>[^"]*)"?|(?P<word>[^\s"]+))'
)


@dataclass(frozen=True)
class Term:
    """One analysed term in one field."""

    field: str
    text: str
    boost: float = 1.0


@dataclass(frozen=True)
class Phrase:
    """Analysed terms in one field, next to each other in this order."""

    field: str
    words: tuple[str, ...]
    boost: float = 1.0


@dataclass(frozen=True)
class AllOf:
    """Passages matching every clause; the score is the sum of theirs."""

    clauses: tuple["Clause", ...]
    boost: float = 1.0


@dataclass(frozen=True)
class AnyOf:
    """Passages matching any clause; the score sums those that match. With a ``scale``
    (``COORDINATION``), a passage matching more of the clauses' words gains (BM25F's
    coordination factor, see ``search.embedded.keyword``)."""

    clauses: tuple["Clause", ...]
    boost: float = 1.0
    scale: float | None = None


Clause = Term | Phrase | AllOf | AnyOf


def clause_terms(clause: Clause) -> Iterator[tuple[str, str]]:
    """Every ``(field, term)`` a clause searches for, phrase words included."""
    if isinstance(clause, Term):
        yield clause.field, clause.text
    elif isinstance(clause, Phrase):
        yield from ((clause.field, word) for word in clause.words)
    else:
        for part in clause.clauses:
            yield from clause_terms(part)


def subclauses(clause: Clause) -> Iterator[Clause]:
    """``clause`` and every clause inside it."""
    yield clause
    if isinstance(clause, AllOf | AnyOf):
        for part in clause.clauses:
            yield from subclauses(part)


@dataclass
class ParsedQuery:
    """A query taken apart: the clause that scores (``keyword``, None when nothing does), the
    text to embed, the constraints a passage must meet (``required``) or must not
    (``excluded``), and the expansions. ``optional`` holds the scoring clauses that are not
    required (alias expansions included); ``words`` the user's own positive words and phrases
    with their clauses, and ``aliases`` the clauses of the expansions of each (keyed by the
    analysed terms they expand), so that a word no passage holds, under any of its names, can be
    told to the user."""

    keyword: Clause | None
    semantic_text: str
    required: AllOf | None = None
    excluded: AnyOf | None = None
    also_searched: list[str] = field(default_factory=list)
    terms: set[str] = field(default_factory=set)
    optional: list[Clause] = field(default_factory=list)
    words: list[tuple[str, Clause]] = field(default_factory=list)
    aliases: dict[str, list[Clause]] = field(default_factory=dict)

    def names_of(self, word_clause: Clause) -> list[Clause]:
        """The clause of one of ``words`` and the clauses of its alias expansions."""
        terms = {term for _field, term in clause_terms(word_clause)}
        expanded = [clauses for key, clauses in self.aliases.items() if terms <= set(key.split())]
        return [word_clause, *(clause for clauses in expanded for clause in clauses)]

    def clauses(self) -> list[Clause]:
        """Every top clause whose matches a shard must know of: the scoring one, the
        constraints, and each word under each of its names."""
        named = [name for _text, clause in self.words for name in self.names_of(clause)]
        return [clause for clause in (self.keyword, self.required, self.excluded, *named) if clause is not None]


def parse(text: str, aliases: AliasTable | None) -> ParsedQuery:
    """Take ``text`` apart (see the module docstring); ``aliases=None`` switches expansion off."""
    parsed = read_query(text)
    return with_aliases(parsed, aliases) if aliases else parsed


def read_query(text: str) -> ParsedQuery:
    """``text`` taken apart without alias expansion: all the semantic side needs, so that a
    hybrid query's model can start before the expansion (see ``search.pipeline``)."""
    optional, required, excluded, positive_text, words = [], [], [], [], []
    negate_next = False
    for match in _CLAUSE.finditer(text):
        sign, field_name, phrase, word = match["sign"], match["field"], match["phrase"], match["word"]
        if word in ("AND", "OR") and not sign and not field_name:
            continue
        if word == "NOT" and not sign and not field_name:
            negate_next = True
            continue
        if field_name and field_name.lower() not in FIELDS:  # "x:y" that is not a field is a word
            word, field_name = f"{field_name}:{word or phrase}", None
        clause = _clause(field_name, phrase if phrase is not None else word, phrase is not None)
        if clause is None:
            negate_next = False
            continue
        if sign == "-" or negate_next:
            excluded.append(clause)
        elif sign == "+" or phrase is not None or field_name:
            required.append(clause)
        else:
            optional.append(clause)
        if not (sign == "-" or negate_next) and not field_name:
            positive_text.append(phrase if phrase is not None else word)
            words.append((phrase if phrase is not None else word, clause))
        negate_next = False
    return ParsedQuery(
        keyword=_combine(optional, required),
        semantic_text=" ".join(positive_text),
        required=AllOf(tuple(required)) if required else None,
        excluded=AnyOf(tuple(excluded)) if excluded else None,
        terms=_terms([*required, *optional]),
        optional=optional,
        words=words,
    )


def with_aliases(parsed: ParsedQuery, aliases: AliasTable) -> ParsedQuery:
    """``parsed`` with the other names of the alias groups its words mention searched too."""
    expansions = aliases.expansions(parsed.semantic_text) if parsed.semantic_text else []
    clauses = [(expansion, _clause(None, expansion.text, True)) for expansion in expansions]
    alias_clauses = [clause for _expansion, clause in clauses if clause is not None]
    if not alias_clauses:
        return parsed
    by_word: dict[str, list[Clause]] = {}
    for expansion, clause in clauses:
        if clause is not None:
            by_word.setdefault(expansion.matched, []).append(clause)
    # Highlight the user's words and one-word aliases; words of a phrase alias ("cell" of
    # "chimeric antigen receptor T cell") would light up everywhere on their own.
    one_word = [alias for alias in alias_clauses if isinstance(alias, Term)]
    # One expansion is weighted itself: an AnyOf of one part would drop its boost (as Whoosh's Or does).
    weighted = (
        dataclasses.replace(alias_clauses[0], boost=ALIAS_WEIGHT)
        if len(alias_clauses) == 1
        else AnyOf(tuple(alias_clauses), boost=ALIAS_WEIGHT)
    )
    optional = [*parsed.optional, weighted]
    required = [] if parsed.required is None else list(parsed.required.clauses)
    return ParsedQuery(
        keyword=_combine(optional, required),
        semantic_text=parsed.semantic_text,
        required=parsed.required,
        excluded=parsed.excluded,
        also_searched=[expansion.text for expansion in expansions],
        terms=parsed.terms | _terms(one_word),
        optional=optional,
        words=parsed.words,
        aliases=by_word,
    )


def without_unmatched(clause: Clause | None, matching: frozenset[Clause]) -> Clause | None:
    """``clause`` without the parts of its top ``AnyOf`` that match nothing (not in
    ``matching``), and without the ``AnyOf`` when one part is left: the coordination factor
    over one clause is 0, so an alias expansion that matched nothing zeroed every score of the
    user's word."""
    if not isinstance(clause, AnyOf):
        return clause
    kept = [part for part in clause.clauses if part in matching]
    if len(kept) == len(clause.clauses):
        return clause
    if len(kept) <= 1:
        return kept[0] if kept else None
    return AnyOf(tuple(kept), clause.boost, clause.scale)


def absent_words(parsed: ParsedQuery, matching: frozenset[Clause]) -> list[str]:
    """The query's own words and phrases that no passage holds under any of their names (the
    word itself or an alias expansion), whatever the filters; ``matching``: the clauses that
    match a passage."""
    absent = [text for text, clause in parsed.words if not any(name in matching for name in parsed.names_of(clause))]
    return list(dict.fromkeys(absent))  # a word repeated in the query is named once


def _terms(clauses: list[Clause]) -> set[str]:
    """The words ``clauses`` search for, as analysed terms (to highlight)."""
    return {term for clause in clauses for _field, term in clause_terms(clause)}


def _clause(field_name: str | None, text: str, is_phrase: bool) -> Clause | None:
    """One clause over ``field_name`` (or ``KEYWORD_FIELD``); None if it is empty after
    analysis (a stop word, punctuation)."""
    name = field_name.lower() if field_name else KEYWORD_FIELD
    terms = [token.text for token in _ANALYZER(text)]
    if not terms:
        return None
    if len(terms) == 1:
        return Term(name, terms[0])
    if is_phrase:
        return Phrase(name, tuple(terms))
    return AllOf(tuple(Term(name, term) for term in terms))  # one word of several terms ("fusion-positive")


def _combine(optional: list[Clause], required: list[Clause]) -> Clause | None:
    """The scoring clause: every positive clause, or None when there is none. Required
    clauses score here and are enforced as a constraint (see ``search.embedded.keyword``)."""
    clauses = required + optional
    return AnyOf(tuple(clauses), scale=COORDINATION) if clauses else None
