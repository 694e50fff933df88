"""The Searcher: a request's way through the pipeline, top to bottom.

parse → retrieve (keyword ∥ semantic, through the shard seam) → fuse → boost by what the query
names and asks for → fold near-duplicates → sort → count facets → page → read and highlight the shown
passages. Each stage takes the previous one's arrays once; only the two retrievers run side by
side.
"""

import dataclasses
import difflib
import os
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from search.errors import NotFoundError, QueryError
from search.facets import counts, value_key
from search.fusion import (
    EMPTY,
    Fused,
    Ranked,
    among,
    best_per_document,
    convex_combination,
    reciprocal_rank_fusion,
    single_list,
    unranked,
)
from search.opening import CurrentIndex, OpenIndex
from search.programmes import programme_documents
from search.query import ParsedQuery, absent_words, parse, read_query, with_aliases, without_unmatched
from search.request import SearchRequest
from search.results import collapse_duplicates, document_summary, highlight_spans, page_hits
from search.shards import KeywordHits
from search.understanding import Interpretation, boost

MAX_PROGRAMME_NAME = 100
# The most documents ``Searcher.all_hits`` lists (an export), and how many it reads at a time.
MAX_EXPORT = 10_000
UNHELD_EXAMPLES = 8  # values named when a filter's value is held by no document
EXPORT_BATCH = 200
# The most keyword passages a search lists (its best, by score). A query of common words matches
# hundreds of thousands of a million passages; scoring them all is cheap, but fusing, folding,
# counting facets and choosing passages for every one was most of a hybrid query's time there
# (BENCHMARKS.md: hybrid p50/p95 63.5/417 ms listing all, 33/53 at 20,000, 26/39 at 10,000).
# Pages reach MAX_DEPTH documents, which this many passages amply cover; past it ``total`` is
# estimated, and the facets count the listed documents. Exports list everything.
KEYWORD_DEPTH = 10_000

# In date order a search lists its best DATE_ORDER_BEST documents and the others scoring at least
# DATE_ORDER_FLOOR of its best match. A whole result list holds every loose match (on the
# GlobeNewswire releases a hybrid query lists 706-755 documents on average), harmless at the
# bottom of a ranking but first when sorted by date: of the newest ten, 5-7 % were judged
# relevant. With the floor the newest ten hold 33.5-35 % judged relevant and the list keeps 90 %
# (dev) / 93 % (test) of the judged-relevant documents; chosen on the dev split, as the highest
# floor keeping about 90 % (BENCHMARKS.md). Scores are min-max normalised, so a list's weakest
# match scores near 0 however good: the best ten stay whatever their score, and a query with few
# matches lists them all.
DATE_ORDER_FLOOR = 0.2
DATE_ORDER_BEST = 10

# Runs the semantic side of hybrid queries beside the keyword side (see ``Searcher.retrieve``);
# one thread per core is enough, the encoder passes one query at a time anyway.
_SEMANTIC_THREADS = ThreadPoolExecutor(max_workers=os.cpu_count() or 1, thread_name_prefix="semantic")


@dataclass
class Retrieval:
    """What the retrievers found for one request, before fusion."""

    opened: OpenIndex
    parsed: ParsedQuery
    interpretation: Interpretation
    keyword_hits: KeywordHits  # its chunks listed (``keyword``), and the documents it matches
    semantic: Ranked
    absent: list[str]  # the query's words no document holds (``search.query.absent_words``)
    suggestion: str | None  # the query with its unknown words corrected (``search.spelling``)
    timing: dict[str, float]

    @property
    def keyword(self) -> Ranked:
        """The keyword side's listed chunk ids and scores, best first."""
        return self.keyword_hits.ranked


class Searcher:
    """Answers queries over an index directory (following its ``CURRENT``), or over an open
    shard or set of shards; safe to share between threads.

    Raises:
        IndexNotFoundError: nothing has been built in ``index_dir``.
        IndexMismatchError: the index was built in another format or with another model.
    """

    def __init__(self, index: Path | OpenIndex, open_shards=None, keyword_depth: int | None = KEYWORD_DEPTH):
        """``index``: an index directory, or an ``OpenIndex`` of a shard (of a
        ``search.shards.ShardSet``, say), which is never reloaded. ``open_shards``: how an
        index directory's generations are opened (``search.opening.CurrentIndex``).
        ``keyword_depth``: the most keyword passages a search lists (None: all)."""
        self.current = (lambda: index) if isinstance(index, OpenIndex) else CurrentIndex(index, open_shards)
        self.keyword_depth = keyword_depth

    @property
    def manifest(self) -> dict:
        return self.current().manifest

    def search(self, query: str, **options) -> dict:
        """``run(SearchRequest(query, **options))``: the convenient single call.

        Raises:
            QueryError: a bad option (see ``SearchRequest``).
        """
        return self.run(SearchRequest(query, **options))

    def run(self, request: SearchRequest) -> dict:
        """One page of the result list, its facet counts, and how the query was read.

        The result list is every document the retrievers found (every keyword match, or the
        best ``keyword_depth`` when more match, and every semantic hit above the query's cut,
        under the filters), fused, boosted by query understanding, with near-duplicates folded
        into their best-ranked version; ``listed`` counts it and the facets count its
        documents, the same on every page; ``sort`` orders it, and a page is a slice.
        ``total`` is ``listed`` when every keyword match was listed; otherwise it estimates
        what the whole list would hold (``total_estimated``). An empty query lists what the filters let through, newest
        first. ``notice`` says in words what the query named that no document holds.
        """
        started = time.perf_counter()
        retrieval = self.browse(request) if request.browses else self.retrieve(request, self.keyword_depth)
        table = retrieval.opened.table
        fused, ranked = self.result_list(request, retrieval)
        total, estimated = _total(retrieval, fused, ranked)
        retrieval.timing["fusion_ms"] = round(_elapsed_ms(started) - retrieval.timing["retrieval_ms"], 2)
        stage = time.perf_counter()
        facet_counts = counts(table, ranked.keys, request.filters.selected)
        retrieval.timing["facets_ms"] = _elapsed_ms(stage)
        stage = time.perf_counter()
        first = (request.page - 1) * request.k
        hits = page_hits(retrieval, fused, ranked.taken(slice(first, request.depth)), first + 1)
        timing = {**retrieval.timing, "snippets_ms": _elapsed_ms(stage), "total_ms": _elapsed_ms(started)}
        return {
            "query": request.query,
            "mode": request.mode,
            "sort": "date" if request.browses else request.sort,
            "k": request.k,
            "page": request.page,
            "total": total,
            "total_estimated": estimated,
            "listed": len(ranked),
            "notice": _notice(request, retrieval, total),
            "suggestion": retrieval.suggestion,
            "also_searched": retrieval.parsed.also_searched,
            "interpretation": retrieval.interpretation.as_list(),
            "facets": facet_counts,
            "timing": timing,
            "hits": hits,
        }

    def all_hits(self, request: SearchRequest, limit: int = MAX_EXPORT) -> Iterator[dict]:
        """The whole result list of ``request`` (not one page), at most ``limit`` documents, in
        order, each as a page shows a hit: for exports. Every keyword match is listed (no
        ``keyword_depth``). Reads ``EXPORT_BATCH`` documents at a time, so that an export streams."""
        retrieval = self.browse(request) if request.browses else self.retrieve(request)
        fused, ranked = self.result_list(request, retrieval)
        for first in range(0, min(limit, len(ranked)), EXPORT_BATCH):
            batch = ranked.taken(slice(first, min(first + EXPORT_BATCH, limit)))
            yield from page_hits(retrieval, fused, batch, first + 1)

    def retrieve(self, request: SearchRequest, depth: int | None = None) -> Retrieval:
        """Parse the query and run the retrievers ``request.mode`` asks for, before fusion; the
        keyword side lists its best ``depth`` passages (None: all).

        In hybrid mode the semantic side (encoding the query, scanning the matrix) runs on a
        second thread while this one runs the keyword side: the model and the matrix product
        work outside Python's interpreter lock. The query's aliases only change the keyword
        side, so they are expanded while the model runs.

        Two kinds of semantic hit are dropped as filler. When no document holds any of the
        query's words, the hits are only what lies closest to unknown words (the notice says
        so). When a hybrid query names a drug or a target, a document holding none of its words
        (nor their aliases) is not about that drug or target, however close its meaning: a
        name alone embeds poorly (for ``TROP2`` the one release naming it sits at cosine 0.21
        on the GlobeNewswire releases, eighteen T2 Biosystems releases at 0.30–0.39). When the
        keyword side lists only its best ``depth`` passages, only their documents count as
        holding the words.
        """
        opened = self.current()
        shard = opened.shard
        timing: dict[str, float] = {}
        started = time.perf_counter()
        parsed = read_query(request.query)
        semantic_side = None
        if request.mode in ("hybrid", "semantic") and parsed.semantic_text:
            semantic_side = _SEMANTIC_THREADS.submit(_semantic_hits, opened, parsed, request, timing)
        if request.aliases:
            parsed = with_aliases(parsed, opened.aliases)
        timing["parse_ms"] = _elapsed_ms(started)
        stage = time.perf_counter()
        statistics = shard.keyword_statistics(parsed.clauses())
        absent = absent_words(parsed, statistics.matching)
        keyword_hits, semantic_hits = KeywordHits(EMPTY, 0, 0, 0.0), EMPTY
        if request.mode in ("hybrid", "keyword"):
            scoring = dataclasses.replace(parsed, keyword=without_unmatched(parsed.keyword, statistics.matching))
            keyword_hits = shard.keyword_search(scoring, statistics, request.filters, depth)
        timing["keyword_ms"] = _elapsed_ms(stage)
        named = Interpretation.of(parsed.semantic_text)
        if semantic_side is not None:
            semantic_hits = semantic_side.result()
            if set(absent) == {text for text, _clause in parsed.words}:
                semantic_hits = EMPTY
            elif named.names_a_product_or_target() and request.mode == "hybrid":
                semantic_hits = _of_documents(semantic_hits, keyword_hits.ranked, opened.table.chunk_document)
        suggestion = opened.speller.suggest(request.query, lambda word: word not in absent) if absent else None
        timing["retrieval_ms"] = _elapsed_ms(started)
        interpretation = named if request.interpret else Interpretation()
        return Retrieval(opened, parsed, interpretation, keyword_hits, semantic_hits, absent, suggestion, timing)

    def browse(self, request: SearchRequest) -> Retrieval:
        """What an empty query lists: every document the filters let through, each with its
        first passage (as a keyword list of score 0, for ``rank``)."""
        opened = self.current()
        started = time.perf_counter()
        documents = np.arange(len(opened.table.doc_ids))
        mask = request.filters.document_mask(opened.table)
        if mask is not None:
            documents = documents[mask]
        passages = (opened.table.first_chunks[documents], np.zeros(len(documents)))
        passages = KeywordHits(passages, len(documents), len(documents), 0.0)
        timing = {"retrieval_ms": _elapsed_ms(started)}
        return Retrieval(opened, read_query(""), Interpretation(), passages, EMPTY, [], None, timing)

    @staticmethod
    def result_list(request: SearchRequest, retrieval: Retrieval) -> tuple[Fused, Fused]:
        """The retrieval's documents (by number) fused by the request's method and boosted by
        what the query names, best first (a browse's unscored, in document order); and the
        result list: those with near-duplicates folded, in the order the request sorts by."""
        table = retrieval.opened.table
        keyword_documents = best_per_document(retrieval.keyword, table.chunk_document)
        if request.browses:
            fused = unranked(keyword_documents[0])
        else:
            semantic_documents = best_per_document(retrieval.semantic, table.chunk_document)
            fused = fuse(request, keyword_documents, semantic_documents, retrieval.keyword_hits.lowest)
            fused = boost(fused, retrieval.interpretation, table.documents_naming)
        ranked = collapse_duplicates(fused, table.group_numbers)
        if request.sort == "date" and not request.browses and len(ranked):  # ranked is best first
            kept = ranked.scores >= DATE_ORDER_FLOOR * ranked.scores.max()
            kept[:DATE_ORDER_BEST] = True
            ranked = ranked.taken(np.flatnonzero(kept))
        if request.sort == "date" or request.browses:  # newest first; a day's documents in relevance order
            ranked = ranked.taken(np.argsort(-table.date_order[ranked.keys], kind="stable"))
        return fused, ranked

    def document(self, doc_id: str, query: str = "", chunk_id: int | None = None) -> dict:
        """A whole announcement: metadata, entities, body, passages; the passage ``chunk_id`` (a
        result's) marked and the ``query``'s words highlighted; the other versions of its news,
        and the other announcements about its drugs in date order.

        Raises:
            NotFoundError: the index holds no document ``doc_id``.
        """
        opened = self.current()
        document = opened.shard.document(doc_id)
        if document is None:
            raise NotFoundError(f"No announcement with id {doc_id!r} in this index.")
        terms = parse(query, None).terms if query.strip() else set()
        document["highlights"] = highlight_spans(document["body"], terms)
        document["matched_chunk"] = chunk_id if any(c["chunk_id"] == chunk_id for c in document["chunks"]) else None
        versions = opened.shard.group_members([document["group_id"]])[document["group_id"]]
        document["other_versions"] = [document_summary(member) for member in versions if member["doc_id"] != doc_id]
        names = document["entities"].get("drug_codes") or document["entities"].get("drug_names") or []
        document["programmes"] = [_timeline(opened, name, exclude=doc_id) for name in names[:3]]
        return document

    def programme(self, name: str) -> dict:
        """Every announcement about the drug ``name`` (code, name or alias), oldest first.

        Raises:
            QueryError: ``name`` is empty or too long.
        """
        name = " ".join(name.split())
        if not name or len(name) > MAX_PROGRAMME_NAME:
            raise QueryError(f"give a drug code or name of 1 to {MAX_PROGRAMME_NAME} characters")
        return _timeline(self.current(), name)


def fuse(request: SearchRequest, keyword_hits: Ranked, semantic_hits: Ranked, keyword_lowest: float) -> Fused:
    """The request's fusion of the two lists (or the one list of a single-retriever mode);
    ``keyword_lowest``: the lowest keyword score of a matching document, listed or not."""
    if request.mode != "hybrid":
        return single_list(keyword_hits, semantic_hits)
    if request.fusion == "rrf":
        return reciprocal_rank_fusion(keyword_hits, semantic_hits, request.rrf_k)
    return convex_combination(keyword_hits, semantic_hits, request.keyword_weight, keyword_lowest)


def _semantic_hits(opened: OpenIndex, parsed: ParsedQuery, request: SearchRequest, timing: dict) -> Ranked:
    """The chunks whose cosine with the query's text clears its cut, best first, under the
    request's filters and the query's required and excluded clauses; records ``encode_ms`` and
    ``vector_ms`` in ``timing``."""
    started = time.perf_counter()
    vector = opened.encoder.encode([parsed.semantic_text])[0]
    timing["encode_ms"] = _elapsed_ms(started)
    started = time.perf_counter()
    hits = opened.shard.semantic_search(vector, None, parsed, request.filters)
    timing["vector_ms"] = _elapsed_ms(started)
    return hits


def _of_documents(hits: Ranked, keyword_hits: Ranked, chunk_document: np.ndarray) -> Ranked:
    """The chunks of ``hits`` whose documents have a chunk among ``keyword_hits``."""
    documents = np.unique(chunk_document[keyword_hits[0]])
    kept = among(chunk_document[hits[0]], documents)
    return hits[0][kept], hits[1][kept]


def _timeline(opened: OpenIndex, name: str, exclude: str | None = None) -> dict:
    doc_ids = [doc_id for doc_id in programme_documents(name, opened.table, opened.aliases) if doc_id != exclude]
    documents = opened.shard.documents(doc_ids)
    return {"name": name, "announcements": [document_summary(documents[doc_id]) for doc_id in doc_ids]}


def _total(retrieval: Retrieval, fused: Fused, ranked: Fused) -> tuple[int, bool]:
    """The result list's length had every keyword match been listed, and whether that is an
    estimate: the unlisted matching documents are taken to fold into near-duplicates as the
    listed ones did (``ranked`` is ``fused`` folded)."""
    if retrieval.keyword_hits.complete:
        return len(ranked), False
    unlisted = retrieval.keyword_hits.documents - int(np.count_nonzero(fused.keyword_ranks))
    return len(ranked) + round(unlisted * len(ranked) / len(fused)), True


def _notice(request: SearchRequest, retrieval: Retrieval, total: int) -> str:
    """What to tell a user whose query names something no document holds, or who filters by a
    value no document has (a mistyped ``event=approvals``, say), or searches for nothing at
    all; else ""."""
    parsed = retrieval.parsed
    if not request.browses and parsed.keyword is None and not parsed.semantic_text:
        return "Nothing to search for: the query holds only exclusions or words too common to search."
    unheld = _unheld_filter_value(request, retrieval.opened.table)
    if unheld:
        return unheld
    if not retrieval.absent:
        return ""
    named = " or ".join(f"“{word}”" for word in retrieval.absent)
    if not total:
        return f"No document mentions {named}."
    return f"No document mentions {named}; showing {total:,} related {'document' if total == 1 else 'documents'}."


def _unheld_filter_value(request: SearchRequest, table) -> str:
    """A notice naming the first filter value no document has, with the facet's values nearest
    it in spelling, then its commonest; "" when every value is held."""
    for name, values in request.filters.facets:
        held = table.keys[name]
        unheld = [value for value in values if value_key(value) not in held]
        if unheld:
            near = difflib.get_close_matches(value_key(unheld[0]), list(held), n=3)
            common = sorted(held, key=lambda key: -len(held[key]))
            named = list(dict.fromkeys(near + common))[:UNHELD_EXAMPLES]
            return f"No document has {name} “{unheld[0]}”; this index's values include {', '.join(named)}."
    return ""


def _elapsed_ms(since: float) -> float:
    return round((time.perf_counter() - since) * 1000, 2)
