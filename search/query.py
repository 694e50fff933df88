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
"""

import re
from dataclasses import dataclass, field

from whoosh import query as whoosh_query
from whoosh.fields import Schema

from search.aliases import AliasTable

ALIAS_WEIGHT = 0.5
FIELDS = {"title", "text", "company", "source"}
KEYWORD_FIELDS = ["text"]  # the title and the passage (see search.index_format.keyword_schema)

# A sign is an operator only before a letter or a quote: "+1 nucleosomes" and "-2" are numbers.
_CLAUSE = re.compile(
    r'(?:(?P<sign>[-+])(?=[A-Za-z"]))?(?:(?P<field>[A-Za-z_]+):)?(?:"(?P<phrase>[^"]*)"?|(?P<word>[^\s"]+))'
)


@dataclass
class ParsedQuery:
    """A query taken apart: the Whoosh query that scores, the text to embed, the constraints a
    passage must meet (``required``) or must not (``excluded``), and the expansions.
    ``optional`` holds the scoring clauses that are not required (alias expansions included);
    ``words`` the user's own positive words and phrases with their clauses, and ``aliases`` the
    clauses of the expansions of each (keyed by the analysed terms they expand), so that a word
    no passage holds, under any of its names, can be told to the user."""

    keyword: whoosh_query.Query
    semantic_text: str
    required: whoosh_query.Query | None = None
    excluded: whoosh_query.Query | None = None
    also_searched: list[str] = field(default_factory=list)
    terms: set[str] = field(default_factory=set)
    optional: list[whoosh_query.Query] = field(default_factory=list)
    words: list[tuple[str, whoosh_query.Query]] = field(default_factory=list)
    aliases: dict[str, list[whoosh_query.Query]] = field(default_factory=dict)

    def names_of(self, word_clause: whoosh_query.Query) -> list[whoosh_query.Query]:
        """The clause of one of ``words`` and the clauses of its alias expansions."""
        terms = {term for _field, term in word_clause.iter_all_terms()}
        expanded = [clauses for key, clauses in self.aliases.items() if terms <= set(key.split())]
        return [word_clause, *(clause for clauses in expanded for clause in clauses)]


def parse(text: str, schema: Schema, aliases: AliasTable | None) -> ParsedQuery:
    """Take ``text`` apart (see the module docstring); ``aliases=None`` switches expansion off."""
    parsed = read_query(text, schema)
    return with_aliases(parsed, schema, aliases) if aliases else parsed


def read_query(text: str, schema: Schema) -> ParsedQuery:
    """``text`` taken apart without alias expansion: all the semantic side needs, so that a
    hybrid query's model can start before the expansion (see ``search.engine.retrieve``)."""
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
        clause = _clause_query(schema, field_name, phrase if phrase is not None else word, phrase is not None)
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
        required=whoosh_query.And(required) if required else None,
        excluded=whoosh_query.Or(excluded) if excluded else None,
        terms=_terms([*required, *optional]),
        optional=optional,
        words=words,
    )


def with_aliases(parsed: ParsedQuery, schema: Schema, aliases: AliasTable) -> ParsedQuery:
    """``parsed`` with the other names of the alias groups its words mention searched too."""
    expansions = aliases.expansions(parsed.semantic_text) if parsed.semantic_text else []
    clauses = [(expansion, _clause_query(schema, None, expansion.text, True)) for expansion in expansions]
    alias_queries = [clause for _expansion, clause in clauses if clause is not None]
    if not alias_queries:
        return parsed
    by_word: dict[str, list[whoosh_query.Query]] = {}
    for expansion, clause in clauses:
        if clause is not None:
            by_word.setdefault(expansion.matched, []).append(clause)
    # Highlight the user's words and one-word aliases; words of a phrase alias ("cell" of
    # "chimeric antigen receptor T cell") would light up everywhere on their own.
    one_word = [alias for alias in alias_queries if isinstance(alias, whoosh_query.Term)]
    optional = [*parsed.optional, whoosh_query.Or(alias_queries, boost=ALIAS_WEIGHT)]
    required = [] if parsed.required is None else list(parsed.required.subqueries)
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


def _terms(clauses: list[whoosh_query.Query]) -> set[str]:
    """The words ``clauses`` search for, as analysed terms (to highlight)."""
    return {term for clause in clauses for _field, term in clause.iter_all_terms() if isinstance(term, str)}


def _clause_query(schema, field_name: str | None, text: str, is_phrase: bool) -> whoosh_query.Query | None:
    """One clause as a Whoosh query over ``field_name`` (or the default ``KEYWORD_FIELDS``); None
    if it is empty after analysis (a stop word, punctuation)."""
    fields = [field_name.lower()] if field_name else KEYWORD_FIELDS
    subqueries = []
    for name in fields:
        terms = [token.text for token in schema[name].analyzer(text)]
        if not terms:
            continue
        if len(terms) == 1:
            subqueries.append(whoosh_query.Term(name, terms[0]))
        elif is_phrase:
            subqueries.append(whoosh_query.Phrase(name, terms))
        else:  # one word that analyses to several terms ("fusion-positive")
            subqueries.append(whoosh_query.And([whoosh_query.Term(name, term) for term in terms]))
    if not subqueries:
        return None
    return subqueries[0] if len(subqueries) == 1 else whoosh_query.Or(subqueries)


def _combine(optional: list, required: list) -> whoosh_query.Query:
    """The scoring query: every positive clause, or ``NullQuery`` when there is none.

    Required clauses score here and are enforced as a filter (see ``search.keyword``): Whoosh's
    ``AndMaybe`` matcher was seen to spin without end on long queries.
    """
    clauses = required + optional
    # scale=0.9: a passage holding more of the query's clauses ranks above one repeating one.
    return whoosh_query.Or(clauses, scale=0.9) if clauses else whoosh_query.NullQuery
