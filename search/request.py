"""A search request: every option a front end can set, checked once, parsed from strings once.

The web page, the JSON API and the command line all build a ``SearchRequest``; a bad value
raises ``QueryError`` with a message that names the parameter and what it accepts.
"""

import datetime
from collections.abc import Mapping
from dataclasses import dataclass, field, fields

from search.errors import QueryError
from search.facets import FILTER_FACETS
from search.filters import Filters
from search.fusion import RRF_K
from search.query import SHORT_QUERY_WORDS

MODES = ("hybrid", "keyword", "semantic")
FUSIONS = ("rrf", "convex")
SORTS = ("relevance", "date")
MAX_K = 100
MAX_DEPTH = 1000  # page × k: how deep a result list can be paged
MAX_QUERY_LENGTH = 2000  # room for a pasted abstract or patient case
# Facet selections: a watch list of competitors fits well within these; a URL that goes past
# them is a script's or an attacker's, and each selected value costs a link on the page.
MAX_FACET_VALUES = 50  # values of one facet
MAX_FILTER_VALUES = 100  # values of all facets together
MAX_FACET_VALUE_LENGTH = 200  # characters of one value
DEFAULT_FUSION = "convex"
# The keyword weight of convex fusion when a request sets none, by query length: short queries
# (codes, names, a target and an indication) are lexical; sentences and case descriptions lean
# on meaning. Chosen by bench/fusion_sweep.py over SciFact, BIRCO and our GlobeNewswire
# judgments (see BENCHMARKS.md): the only setting tried that beat both retrievers on all three.
SHORT_QUERY_ALPHA = 0.7
LONG_QUERY_ALPHA = 0.5
# Every URL parameter a search reads (``SearchRequest.from_params``): links that keep the
# current search carry these and nothing else.
SEARCH_PARAMETERS = (
    "q",
    "k",
    "page",
    "sort",
    "mode",
    "fusion",
    "rrf_k",
    "alpha",
    "aliases",
    "interpret",
    "date_from",
    "date_to",
    *FILTER_FACETS,
)


@dataclass(frozen=True)
class SearchRequest:
    """What to search for and how.

    Attributes:
        query: the user's words, with the syntax of ``search.query``; empty to browse: every
            document that passes the filters, newest first (at least one filter is then needed).
        k: how many documents a page holds (1–100).
        page: which page of the result list (from 1; page × k at most 1000).
        sort: ``relevance`` or ``date`` (newest first).
        mode: ``hybrid``, ``keyword`` or ``semantic``.
        fusion: ``rrf`` (reciprocal rank fusion) or ``convex`` (min-max-normalised combination).
        rrf_k: the k of RRF (≥ 1).
        alpha: the keyword weight of the convex combination (0–1); None chooses it by the
            query's length (see ``keyword_weight``).
        aliases: expand the query with alias groups.
        interpret: boost documents about what the query names and asks for (``search.understanding``).
        filters: date range and facet values.
    """

    query: str
    k: int = 10
    page: int = 1
    sort: str = "relevance"
    mode: str = "hybrid"
    fusion: str = DEFAULT_FUSION
    rrf_k: int = RRF_K
    alpha: float | None = None
    aliases: bool = True
    interpret: bool = True
    filters: Filters = field(default_factory=Filters)

    def __post_init__(self):
        query = " ".join((self.query or "").split())
        object.__setattr__(self, "query", query)
        if not query and not self.filters:
            raise QueryError(
                "the query is empty: type a drug, target, indication or event, or choose a filter to browse"
            )
        _check_query_length(query)
        _check_facet_values(self.filters)
        _one_of("mode", self.mode, MODES)
        _one_of("fusion", self.fusion, FUSIONS)
        _one_of("sort", self.sort, SORTS)
        if not 1 <= self.k <= MAX_K:
            raise QueryError(f"k must be between 1 and {MAX_K}; got {self.k}")
        if self.page < 1 or self.page * self.k > MAX_DEPTH:
            raise QueryError(f"page must be at least 1, and page × k at most {MAX_DEPTH}; got page {self.page}")
        if self.rrf_k < 1:
            raise QueryError(f"rrf_k must be a whole number of at least 1; got {self.rrf_k}")
        if self.alpha is not None and not 0.0 <= self.alpha <= 1.0:
            raise QueryError(f"alpha must be between 0 and 1; got {self.alpha}")
        if self.filters.date_from and self.filters.date_to and self.filters.date_from > self.filters.date_to:
            raise QueryError(f"date_from ({self.filters.date_from}) is after date_to ({self.filters.date_to})")

    @property
    def browses(self) -> bool:
        """Whether this request lists what passes the filters rather than searching."""
        return not self.query

    @property
    def keyword_weight(self) -> float:
        """The alpha of convex fusion: the request's own, else one for the query's length."""
        if self.alpha is not None:
            return self.alpha
        return SHORT_QUERY_ALPHA if len(self.query.split()) <= SHORT_QUERY_WORDS else LONG_QUERY_ALPHA

    @property
    def depth(self) -> int:
        """How many documents the pages up to this one hold."""
        return self.page * self.k

    @classmethod
    def from_params(cls, params: Mapping) -> "SearchRequest":
        """A request from string parameters (a URL's query string); unknown names are ignored.

        Facet filters (``event``, ``regulator``, …, ``company``, ``source``) may repeat when
        ``params`` has ``getlist`` (as Flask's does).
        """
        many = params.getlist if hasattr(params, "getlist") else lambda name: [params[name]] if name in params else []
        defaults = {item.name: item.default for item in fields(cls) if item.name != "filters"}
        return cls(
            query=params.get("q", ""),
            k=_number("k", params.get("k"), int, defaults["k"]),
            page=_number("page", params.get("page"), int, defaults["page"]),
            sort=params.get("sort") or defaults["sort"],
            mode=params.get("mode") or defaults["mode"],
            fusion=params.get("fusion") or defaults["fusion"],
            rrf_k=_number("rrf_k", params.get("rrf_k"), int, defaults["rrf_k"]),
            alpha=_number("alpha", params.get("alpha"), float, defaults["alpha"]),
            aliases=_flag("aliases", params.get("aliases"), defaults["aliases"]),
            interpret=_flag("interpret", params.get("interpret"), defaults["interpret"]),
            filters=Filters.of(
                date_from=_iso_date("date_from", params.get("date_from")),
                date_to=_iso_date("date_to", params.get("date_to")),
                **{name: tuple(value for value in many(name) if value.strip()) for name in FILTER_FACETS},
            ),
        )


@dataclass(frozen=True)
class DocumentRequest:
    """What a document page (and ``/api/documents/<id>``) is asked for besides the id.

    Attributes:
        query: the words to highlight in the body (the query of the results it was opened
            from); empty for none.
        chunk: the passage to mark (a result's ``chunk_id``), or None.
    """

    query: str = ""
    chunk: int | None = None

    def __post_init__(self):
        object.__setattr__(self, "query", " ".join(self.query.split()))
        _check_query_length(self.query)
        if self.chunk is not None and self.chunk < 0:
            raise QueryError(f"chunk must be a whole number of at least 0; got {self.chunk}")

    @classmethod
    def from_params(cls, params: Mapping) -> "DocumentRequest":
        """A request from string parameters ``q`` and ``chunk``; others are ignored."""
        return cls(query=params.get("q", ""), chunk=_number("chunk", params.get("chunk"), int, None))


def _check_query_length(query: str) -> None:
    if len(query) > MAX_QUERY_LENGTH:
        raise QueryError(f"the query is {len(query)} characters long; the limit is {MAX_QUERY_LENGTH}")


def _check_facet_values(filters: Filters) -> None:
    """Bound what a URL may select, so no request can make a page of thousands of links."""
    for name, values in filters.facets:
        if len(values) > MAX_FACET_VALUES:
            raise QueryError(f"{name} is given {len(values)} values; choose at most {MAX_FACET_VALUES} per filter")
        longest = max(values, key=len)
        if len(longest) > MAX_FACET_VALUE_LENGTH:
            raise QueryError(f"a {name} value is {len(longest)} characters long; the limit is {MAX_FACET_VALUE_LENGTH}")
    chosen = sum(len(values) for _name, values in filters.facets)
    if chosen > MAX_FILTER_VALUES:
        raise QueryError(f"{chosen} filter values are chosen; the limit is {MAX_FILTER_VALUES} in all")


def _one_of(name: str, value: str, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise QueryError(f"{name} must be one of {', '.join(choices)}; got {value!r}")


def _number(name: str, text: str | None, kind: type, default):
    if text is None or text == "":
        return default
    try:
        return kind(text)
    except ValueError:
        raise QueryError(f"{name} must be a {'whole number' if kind is int else 'number'}; got {text!r}") from None


def _flag(name: str, text: str | None, default: bool) -> bool:
    if text is None or text == "":
        return default
    if text.lower() in ("1", "true", "yes", "on"):
        return True
    if text.lower() in ("0", "false", "no", "off"):
        return False
    raise QueryError(f"{name} must be true or false; got {text!r}")


def _iso_date(name: str, text: str | None) -> str | None:
    if not text:
        return None
    try:
        return datetime.date.fromisoformat(text).isoformat()
    except ValueError:
        raise QueryError(f"{name} must be an ISO date such as 2025-03-21; got {text!r}") from None
