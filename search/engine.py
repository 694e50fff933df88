"""The Searcher: opens the current index generation once, answers hybrid queries, reloads on switch."""

import contextlib
import dataclasses
import os
import queue
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from whoosh import index as whoosh_index

from search import keyword, semantic, store
from search.aliases import AliasTable, read_alias_file, read_mined_aliases
from search.encoder import ENCODERS_DIR, configured_model_name, get_encoder
from search.errors import DocumentNotFoundError, IndexMismatchError, QueryError
from search.facets import FacetIndex
from search.fusion import (
    EMPTY,
    Fused,
    Ranked,
    among,
    best_per_document,
    convex_combination,
    ranked_list,
    reciprocal_rank_fusion,
    single_list,
    unranked,
)
from search.index_format import (
    CURRENT_FILE,
    MINED_ALIASES_FILE,
    Generation,
    current_generation_name,
    open_generation,
)
from search.programmes import programme_documents
from search.query import ParsedQuery, parse, read_query, with_aliases
from search.request import SearchRequest
from search.results import (
    ResultReader,
    collapse_duplicates,
    document_summary,
    found_with,
    highlight_spans,
    hit_record,
    passages_by_document,
)
from search.spelling import load_speller
from search.term_arrays import TermArrays
from search.understanding import Interpretation, boost

MAX_PROGRAMME_NAME = 100
# The most documents ``Searcher.all_hits`` lists (an export), and how many it reads at a time.
MAX_EXPORT = 10_000
EXPORT_BATCH = 200

# Cores one query's encoding may use: a short query gains little from a second core, which
# the keyword search of the same query (and other users' requests) can use instead.
QUERY_THREADS = 1
# Whoosh searchers one generation lends out at a time (see OpenGeneration.keyword_searcher).
KEYWORD_SEARCHERS = os.cpu_count() or 1

# Runs the semantic side of hybrid queries beside the keyword side (see ``Searcher.retrieve``);
# one thread per core is enough, the encoder passes one query at a time anyway.
_SEMANTIC_THREADS = ThreadPoolExecutor(max_workers=os.cpu_count() or 1, thread_name_prefix="semantic")


class OpenGeneration:
    """One generation's readers. The Whoosh index, matrix, facets and model are shared by all
    threads; SQLite connections are opened once per thread that uses them, and Whoosh searchers
    are lent out from a small pool (``keyword_searcher``)."""

    def __init__(self, generation: Generation):
        self.generation = generation
        self.keyword_index = whoosh_index.open_dir(str(generation.keyword_dir))
        _check_document_numbers(self.keyword_index, generation)
        self.schema = self.keyword_index.schema
        self.analyzer = self.schema["text"].analyzer
        self.vectors = np.load(generation.vectors_path, mmap_mode="r", allow_pickle=False)
        semantic.set_scan_threads(len(self.vectors), keyword.configured_backend())
        self.encoder = get_encoder(generation.manifest["model"], generation.path.parent / ENCODERS_DIR, QUERY_THREADS)
        self._local = threading.local()
        self._idle_searchers: queue.SimpleQueue = queue.SimpleQueue()
        self._searcher_slots = threading.BoundedSemaphore(KEYWORD_SEARCHERS)
        self.facets = FacetIndex.load(self.store, generation.manifest["chunk_rows"])
        self.term_arrays = None
        if keyword.configured_backend() == "numpy":
            with self.keyword_searcher() as searcher:
                live = self.facets.live  # the store's chunks are Whoosh's undeleted documents
                self.term_arrays = TermArrays(searcher, keyword.WEIGHTING.K1, keyword.WEIGHTING.B, live)
        mined = read_mined_aliases(generation.path / MINED_ALIASES_FILE)
        self.aliases = AliasTable(read_alias_file() + mined, self.analyzer)
        self.speller = load_speller(generation)

    @contextlib.contextmanager
    def keyword_searcher(self):
        """A Whoosh searcher for this thread's use until the block ends. Each searcher holds its
        own copy of much of the index (about 570 MB at 200,000 passages), so there are at most
        ``KEYWORD_SEARCHERS``; a thread waits for one rather than opening another."""
        with self._searcher_slots:
            try:
                searcher = self._idle_searchers.get_nowait()
            except queue.Empty:
                searcher = self.keyword_index.searcher(weighting=keyword.WEIGHTING)
            try:
                yield searcher
            finally:
                self._idle_searchers.put(searcher)

    def keyword_hits(self, parsed: ParsedQuery, limit: int | None, allowed=None) -> list[tuple[int, float]]:
        """``search.keyword.keyword_search`` by the configured backend (Whoosh for a query the
        numpy backend does not score), of the query without its clauses that match nothing
        (``search.keyword.without_unmatched``)."""
        with self.keyword_searcher() as searcher:
            parsed = dataclasses.replace(parsed, keyword=keyword.without_unmatched(searcher, parsed.keyword))
            hits = None if self.term_arrays is None else self.term_arrays.search(searcher, parsed, limit, allowed)
            return hits if hits is not None else keyword.keyword_search(searcher, parsed, limit, allowed)

    def absent_words(self, parsed: ParsedQuery) -> list[str]:
        """The query's own words and phrases that no passage holds under any of their names
        (the word itself or an alias expansion), whatever the filters."""
        with self.keyword_searcher() as searcher:
            return [
                text
                for text, clause in parsed.words
                if not any(keyword.matches_any(searcher, name) for name in parsed.names_of(clause))
            ]

    @property
    def store(self):
        if not hasattr(self._local, "store"):
            self._local.store = store.open_read_only(self.generation.store_path)
        return self._local.store


class Searcher:
    """Answers queries over the index in ``index_dir``; safe to share between threads.

    Raises:
        IndexNotFoundError: nothing has been built in ``index_dir``.
        IndexMismatchError: the index was built in another format or with another model.
    """

    def __init__(self, index_dir: Path):
        self.index_dir = Path(index_dir)
        self._switch_lock = threading.Lock()
        self._current_file = str(self.index_dir / CURRENT_FILE)
        self._current_stamp = _file_stamp(self._current_file)
        self._open = self._load(open_generation(self.index_dir))

    @staticmethod
    def _load(generation: Generation) -> OpenGeneration:
        wanted = configured_model_name()
        if generation.manifest["model"] != wanted:
            raise IndexMismatchError(
                f"The index in {generation.path.parent} was built with the embedding model "
                f"{generation.manifest['model']!r}, but {wanted!r} is configured. "
                f"Run `clinsearch reindex --index {generation.path.parent}` to rebuild it."
            )
        return OpenGeneration(generation)

    @property
    def manifest(self) -> dict:
        return self._current().generation.manifest

    def _current(self) -> OpenGeneration:
        """The open generation, switched to the newest one when a reindex moved ``CURRENT``.

        A reindex replaces ``CURRENT`` with a new file (``switch_current``), so while its inode
        and modification time stay the same, it names the open generation: one ``stat`` per
        query instead of reading the file (0.02 ms warm, 0.15 ms in a query's timeline)."""
        opened, stamp = self._open, _file_stamp(self._current_file)
        if stamp == self._current_stamp:
            return opened
        with self._switch_lock:
            name = current_generation_name(self.index_dir)
            if name not in (None, self._open.generation.name):
                self._open = self._load(open_generation(self.index_dir, name))
            self._current_stamp = stamp
            return self._open

    def search(self, query: str, **options) -> dict:
        """``run(SearchRequest(query, **options))``: the convenient single call.

        Raises:
            QueryError: a bad option (see ``SearchRequest``).
        """
        return self.run(SearchRequest(query, **options))

    def run(self, request: SearchRequest) -> dict:
        """One page of the result list, its facet counts, and how the query was read.

        The result list is every document the retrievers found (every keyword match and every
        semantic hit above the query's cut, under the filters), fused, boosted by query
        understanding, with near-duplicates folded into their best-ranked version; ``total``
        counts it and the facets count its documents, the same on every page; ``sort`` orders
        it, and a page is a slice. An empty query lists what the filters let through, newest
        first. ``notice`` says in words what the query named that no document holds.
        """
        started = time.perf_counter()
        retrieval, fused, ranked = self._result_list(request)
        facets = retrieval.opened.facets
        page = ranked.taken(slice((request.page - 1) * request.k, request.depth))
        versions = found_with(fused, page.keys, facets.group_numbers)
        retrieval.timing["fusion_ms"] = round(_elapsed_ms(started) - retrieval.timing["retrieval_ms"], 2)
        stage = time.perf_counter()
        counts = facets.counts(ranked.keys, request.filters.selected)
        retrieval.timing["facets_ms"] = _elapsed_ms(stage)
        stage = time.perf_counter()
        hits = self._hits(retrieval, page, versions, first_rank=(request.page - 1) * request.k + 1)
        timing = {**retrieval.timing, "snippets_ms": _elapsed_ms(stage), "total_ms": _elapsed_ms(started)}
        return {
            "query": request.query,
            "mode": request.mode,
            "sort": "date" if request.browses else request.sort,
            "k": request.k,
            "page": request.page,
            "total": len(ranked),
            "notice": _notice(retrieval.absent, len(ranked)),
            "suggestion": retrieval.suggestion,
            "also_searched": retrieval.parsed.also_searched,
            "interpretation": retrieval.interpretation.as_list(),
            "facets": counts,
            "timing": timing,
            "hits": hits,
        }

    def all_hits(self, request: SearchRequest, limit: int = MAX_EXPORT) -> Iterator[dict]:
        """The whole result list of ``request`` (not one page), at most ``limit`` documents, in
        order, each as a page shows a hit: for exports. Reads ``EXPORT_BATCH`` documents at a
        time, so that an export streams."""
        retrieval, fused, ranked = self._result_list(request)
        group_numbers = retrieval.opened.facets.group_numbers
        for first in range(0, min(limit, len(ranked)), EXPORT_BATCH):
            batch = ranked.taken(slice(first, min(first + EXPORT_BATCH, limit)))
            yield from self._hits(retrieval, batch, found_with(fused, batch.keys, group_numbers), first + 1)

    def _result_list(self, request: SearchRequest) -> tuple["Retrieval", Fused, Fused]:
        """The retrieval, its fused documents (by number) and the result list: those with
        near-duplicates folded, in the order the request sorts by."""
        retrieval = self.browse(request) if request.browses else self.retrieve(request)
        facets = retrieval.opened.facets
        fused = self.rank(request, retrieval)
        ranked = collapse_duplicates(fused, facets.group_numbers)
        if request.sort == "date" or request.browses:  # newest first; a day's documents in relevance order
            ranked = ranked.taken(np.argsort(-facets.date_order[ranked.keys], kind="stable"))
        return retrieval, fused, ranked

    def document(self, doc_id: str, query: str = "", chunk_id: int | None = None) -> dict:
        """A whole announcement: metadata, entities, body, passages; the passage ``chunk_id`` (a
        result's) marked and the ``query``'s words highlighted; the other versions of its news,
        and the other announcements about its drugs in date order.

        Raises:
            DocumentNotFoundError: the index holds no document ``doc_id``.
        """
        opened = self._current()
        document = store.document_with_body(opened.store, doc_id)
        if document is None:
            raise DocumentNotFoundError(f"No announcement with id {doc_id!r} in this index.")
        terms = parse(query, opened.schema, None).terms if query.strip() else set()
        document["highlights"] = highlight_spans(document["body"], terms)
        document["matched_chunk"] = chunk_id if any(c["chunk_id"] == chunk_id for c in document["chunks"]) else None
        versions = store.group_members(opened.store, [document["group_id"]])[document["group_id"]]
        document["other_versions"] = [document_summary(member) for member in versions if member["doc_id"] != doc_id]
        names = document["entities"].get("drug_codes") or document["entities"].get("drug_names") or []
        document["programmes"] = [self._timeline(opened, name, exclude=doc_id) for name in names[:3]]
        return document

    def programme(self, name: str) -> dict:
        """Every announcement about the drug ``name`` (code, name or alias), oldest first.

        Raises:
            QueryError: ``name`` is empty or too long.
        """
        name = " ".join(name.split())
        if not name or len(name) > MAX_PROGRAMME_NAME:
            raise QueryError(f"give a drug code or name of 1 to {MAX_PROGRAMME_NAME} characters")
        return self._timeline(self._current(), name)

    @staticmethod
    def _timeline(opened: OpenGeneration, name: str, exclude: str | None = None) -> dict:
        doc_ids = [doc_id for doc_id in programme_documents(name, opened.facets, opened.aliases) if doc_id != exclude]
        documents = store.documents_by_id(opened.store, doc_ids)
        return {"name": name, "announcements": [document_summary(documents[doc_id]) for doc_id in doc_ids]}

    def retrieve(self, request: SearchRequest) -> "Retrieval":
        """Parse the query and run the retrievers ``request.mode`` asks for, before fusion.

        In hybrid mode the semantic side (encoding the query, scanning the matrix) runs on a
        second thread while this one runs the keyword search: the model and the matrix product
        work outside Python's interpreter lock, the keyword search mostly inside it. The query's
        aliases only change the keyword side, so they are expanded while the model runs.

        Two kinds of semantic hit are dropped as filler. When no document holds any of the
        query's words, the hits are only what lies closest to unknown words (the notice says
        so). When a hybrid query names a drug or a target, a document holding none of its words
        (nor their aliases) is not about that drug or target, however close its meaning: a
        name alone embeds poorly (for ``TROP2`` the one release naming it sits at cosine 0.21
        on the GlobeNewswire releases, eighteen T2 Biosystems releases at 0.30–0.39).
        """
        opened = self._current()
        timing: dict[str, float] = {}
        started = time.perf_counter()
        parsed = read_query(request.query, opened.schema)
        semantic_side = None
        if request.mode in ("hybrid", "semantic") and parsed.semantic_text:
            clauses = _clause_chunks(opened, parsed)
            semantic_side = _SEMANTIC_THREADS.submit(
                self._semantic_hits, opened, parsed.semantic_text, request, clauses, timing
            )
        if request.aliases:
            parsed = with_aliases(parsed, opened.schema, opened.aliases)
        timing["parse_ms"] = _elapsed_ms(started)
        keyword_hits = semantic_hits = EMPTY
        if request.mode in ("hybrid", "keyword"):
            stage = time.perf_counter()
            keyword_hits = ranked_list(opened.keyword_hits(parsed, None, request.filters.keyword_filter()))
            timing["keyword_ms"] = _elapsed_ms(stage)
        absent = opened.absent_words(parsed)
        named = Interpretation.of(parsed.semantic_text)
        interpretation = named if request.interpret else Interpretation()
        if semantic_side is not None:
            semantic_hits = semantic_side.result()
            if len(absent) == len(parsed.words):
                semantic_hits = EMPTY
            elif named.names_a_product_or_target() and request.mode == "hybrid":
                semantic_hits = _of_documents(semantic_hits, keyword_hits, opened.facets.chunk_document)
        suggestion = opened.speller.suggest(request.query, lambda word: word not in absent) if absent else None
        timing["retrieval_ms"] = _elapsed_ms(started)
        return Retrieval(opened, parsed, interpretation, keyword_hits, semantic_hits, absent, suggestion, timing)

    def browse(self, request: SearchRequest) -> "Retrieval":
        """What an empty query lists: every document the filters let through, each with its
        first passage (as a keyword list of score 0, for ``rank``)."""
        opened = self._current()
        started = time.perf_counter()
        documents = np.flatnonzero(request.filters.document_mask(opened.facets))
        passages = (opened.facets.first_chunks[documents], np.zeros(len(documents)))
        timing = {"retrieval_ms": _elapsed_ms(started)}
        return Retrieval(opened, read_query("", opened.schema), Interpretation(), passages, EMPTY, [], None, timing)

    @staticmethod
    def rank(request: SearchRequest, retrieval: "Retrieval") -> Fused:
        """Every document of a retrieval (by number), fused by the request's method and boosted
        by what the query names, best first (a browse's unscored, in document order)."""
        facets = retrieval.opened.facets
        keyword_documents = best_per_document(retrieval.keyword, facets.chunk_document)
        if request.browses:
            return unranked(keyword_documents[0])
        semantic_documents = best_per_document(retrieval.semantic, facets.chunk_document)
        fused = fuse(request, keyword_documents, semantic_documents)
        return boost(fused, retrieval.interpretation, facets.documents_naming)

    @staticmethod
    def _semantic_hits(
        opened: OpenGeneration,
        text: str,
        request: SearchRequest,
        clauses: tuple[set[int] | None, set[int] | None],
        timing: dict,
    ) -> Ranked:
        """The chunks whose cosine with ``text`` clears the query's cut (``semantic.cosine_cut``),
        best first, that pass the filters and hold the query's required clauses (``clauses[0]``,
        the chunks that do) but not its excluded ones (``clauses[1]``); records ``encode_ms``
        and ``vector_ms`` in ``timing``."""
        started = time.perf_counter()
        query_vector = opened.encoder.encode([text])[0]
        timing["encode_ms"] = _elapsed_ms(started)
        started = time.perf_counter()
        mask = request.filters.chunk_mask(opened.facets)
        if opened.facets.live is not None:
            mask = opened.facets.live if mask is None else mask & opened.facets.live
        required, excluded = clauses
        if required is not None or excluded is not None:
            mask = np.ones(len(opened.vectors), dtype=bool) if mask is None else mask.copy()
            if required is not None:
                allowed = np.zeros(len(mask), dtype=bool)
                allowed[list(required)] = True
                mask &= allowed
            if excluded is not None:
                mask[list(excluded)] = False
        hits = semantic.semantic_search(opened.vectors, query_vector, mask, opened.facets.live)
        timing["vector_ms"] = _elapsed_ms(started)
        return hits

    @staticmethod
    def _hits(retrieval: "Retrieval", page: Fused, versions: dict[int, list[int]], first_rank: int):
        """A page of ranked documents as results, each with its best passages (by RRF of the
        two lists) and the other versions of its news (``versions``: those found, by number)."""
        opened, doc_ids = retrieval.opened, retrieval.opened.facets.doc_ids
        passages_of = passages_by_document(retrieval.keyword, retrieval.semantic, opened.facets, page.keys)
        reader = ResultReader(opened.store, opened.facets.group_of, retrieval.parsed.terms)
        reader.read(passages_of)
        hits = []
        for position, number in enumerate(page.keys.tolist()):
            doc_id, fused = doc_ids[number], page.hit(position, doc_ids[number])
            document = {**reader.documents[doc_id], "title_highlights": reader.title_highlights[doc_id]}
            passages = [reader.passages[chunk_id] for chunk_id in passages_of[doc_id]]
            others = [member for member in reader.groups[document["group_id"]] if member["doc_id"] != doc_id]
            found = [doc_ids[other] for other in versions[number]]
            hits.append(hit_record(first_rank + position, fused, document, passages, others, found))
        return hits


def _of_documents(hits: Ranked, keyword_hits: Ranked, chunk_document: np.ndarray) -> Ranked:
    """The chunks of ``hits`` whose documents have a chunk among ``keyword_hits``."""
    documents = np.unique(chunk_document[keyword_hits[0]])
    kept = among(chunk_document[hits[0]], documents)
    return hits[0][kept], hits[1][kept]


def _clause_chunks(opened: OpenGeneration, parsed: ParsedQuery) -> tuple[set[int] | None, set[int] | None]:
    """The chunks holding the query's required clauses and those holding its excluded ones
    (None where it has none), for the semantic side, which cannot read Whoosh on its own."""
    if parsed.required is None and parsed.excluded is None:
        return None, None
    with opened.keyword_searcher() as searcher:
        required = keyword.matching_chunks(searcher, parsed.required) if parsed.required is not None else None
        excluded = keyword.matching_chunks(searcher, parsed.excluded) if parsed.excluded is not None else None
    return required, excluded


def _file_stamp(path: str) -> tuple[int, int] | None:
    """The inode and modification time of the file at ``path``; None if there is none."""
    try:
        status = os.stat(path)
    except FileNotFoundError:
        return None
    return status.st_ino, status.st_mtime_ns


def _check_document_numbers(keyword_index, generation: Generation) -> None:
    """Whoosh document numbers must equal chunk ids (see ``search.index_format``)."""
    with keyword_index.reader() as reader:
        count = reader.doc_count_all()
        last_in_place = count == 0 or reader.stored_fields(count - 1)["chunk_id"] == count - 1
        if count != generation.manifest["chunk_rows"] or not last_in_place:
            raise IndexMismatchError(
                f"The keyword index of {generation.path} does not line up with its chunks. "
                f"Run `clinsearch reindex --index {generation.path.parent}` to rebuild it."
            )


@dataclass
class Retrieval:
    """What the retrievers found for one request, before fusion."""

    opened: OpenGeneration
    parsed: ParsedQuery
    interpretation: Interpretation
    keyword: Ranked  # chunk ids and scores, best first
    semantic: Ranked
    absent: list[str]  # the query's words no document holds (``OpenGeneration.absent_words``)
    suggestion: str | None  # the query with its unknown words corrected (``search.spelling``)
    timing: dict[str, float]


def fuse(request: SearchRequest, keyword_hits: Ranked, semantic_hits: Ranked) -> Fused:
    """The request's fusion of the two lists (or the one list of a single-retriever mode)."""
    if request.mode != "hybrid":
        return single_list(keyword_hits, semantic_hits)
    if request.fusion == "rrf":
        return reciprocal_rank_fusion(keyword_hits, semantic_hits, request.rrf_k)
    return convex_combination(keyword_hits, semantic_hits, request.keyword_weight)


def _notice(absent: list[str], total: int) -> str:
    """What to tell a user whose query names something no document holds, or ""."""
    if not absent:
        return ""
    named = " or ".join(f"“{word}”" for word in absent)
    if not total:
        return f"No document mentions {named}."
    return f"No document mentions {named}; showing {total:,} related {'document' if total == 1 else 'documents'}."


def _elapsed_ms(since: float) -> float:
    return round((time.perf_counter() - since) * 1000, 2)
