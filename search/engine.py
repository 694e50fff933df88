"""The Searcher: opens the current index generation once, answers hybrid queries, reloads on switch."""

import contextlib
import os
import queue
import threading
import time
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
    best_per_document,
    convex_combination,
    ranked_list,
    reciprocal_rank_fusion,
    single_list,
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
    likely_documents,
    passages_by_document,
)
from search.term_arrays import TermArrays
from search.understanding import Interpretation, boost

# Chunks each retriever returns: enough that, reduced to documents, they still hold k documents.
MIN_CANDIDATES = 100
CANDIDATES_PER_DOCUMENT = 3

# all-MiniLM-L6-v2 puts unrelated short texts at cosine ≈ 0.0–0.2 from a query: semantic hits
# below this are dropped as noise (a passage the keyword side found still comes through it).
MIN_SEMANTIC_SCORE = 0.25
MAX_PROGRAMME_NAME = 100

# Cores one query's encoding may use: a short query gains little from a second core, which
# the keyword search of the same query (and other users' requests) can use instead.
QUERY_THREADS = 1
# Whoosh searchers one generation lends out at a time (see OpenGeneration.keyword_searcher).
KEYWORD_SEARCHERS = os.cpu_count() or 1

# How long a hybrid query's keyword search waits for the semantic side to start (see
# ``Searcher.retrieve``); when every semantic thread is busy, it goes ahead.
SEMANTIC_HEAD_START_S = 0.002
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
        self.splits_scan = semantic.splits_scan(len(self.vectors), keyword.configured_backend())
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

    def keyword_hits(self, parsed: ParsedQuery, limit: int, allowed=None) -> list[tuple[int, float]]:
        """``search.keyword.keyword_search`` by the configured backend (Whoosh for a query the
        numpy backend does not score)."""
        with self.keyword_searcher() as searcher:
            hits = None if self.term_arrays is None else self.term_arrays.search(searcher, parsed, limit, allowed)
            return hits if hits is not None else keyword.keyword_search(searcher, parsed, limit, allowed)

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

        The result list is every document the retrievers found, fused, boosted by query
        understanding, with near-duplicates folded into their best-ranked version; ``total``
        counts it, the facets count its documents, ``sort`` orders it, and a page is a slice.
        """
        started = time.perf_counter()
        retrieval = self.retrieve(request)
        facets = retrieval.opened.facets
        stage = time.perf_counter()
        fused = self.rank(request, retrieval)
        ranked = collapse_duplicates(fused, facets.group_numbers)
        if request.sort == "date":  # newest first; a day's documents in relevance order
            ranked = ranked.taken(np.argsort(-facets.date_order[ranked.keys], kind="stable"))
        page = ranked.taken(slice((request.page - 1) * request.k, request.depth))
        versions = found_with(fused, page.keys, facets.group_numbers)
        retrieval.timing["fusion_ms"] = _elapsed_ms(stage)
        stage = time.perf_counter()
        counts = facets.counts(ranked.keys, request.filters.selected)
        retrieval.timing["facets_ms"] = _elapsed_ms(stage)
        stage = time.perf_counter()
        hits = self._hits(retrieval, page, versions, first_rank=(request.page - 1) * request.k + 1)
        timing = {**retrieval.timing, "snippets_ms": _elapsed_ms(stage), "total_ms": _elapsed_ms(started)}
        return {
            "query": request.query,
            "mode": request.mode,
            "sort": request.sort,
            "k": request.k,
            "page": request.page,
            "total": len(ranked),
            "also_searched": retrieval.parsed.also_searched,
            "interpretation": retrieval.interpretation.as_list(),
            "facets": counts,
            "timing": timing,
            "hits": hits,
        }

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
        work outside Python's interpreter lock, the keyword search mostly inside it. The keyword
        search waits until the model has started (``SEMANTIC_HEAD_START_S`` at most): once it
        holds the lock, the other thread could not even start before Python's switch interval
        (5 ms) took it back. While the model still runs, this thread reads the query's entities
        and the page the keyword list alone would show, which is most of the fused page: the
        answer is then mostly built when the semantic hits arrive. The query's aliases only
        change the keyword side, so they are looked up after the model has started, too. Then
        this thread computes half the matrix product if the index is split-scanned
        (``semantic.SplitScan``), instead of waiting; ``vector_ms`` includes waiting for it.
        """
        opened = self._current()
        timing: dict[str, float] = {}
        started = time.perf_counter()
        parsed = read_query(request.query, opened.schema)
        timing["parse_ms"] = _elapsed_ms(started)
        candidates = max(MIN_CANDIDATES, CANDIDATES_PER_DOCUMENT * request.depth)
        semantic_hits = keyword_hits = EMPTY
        semantic_side = scan = None
        if request.mode in ("hybrid", "semantic") and parsed.semantic_text:
            clauses = _clause_chunks(opened, parsed)
            encoding = threading.Event()
            scan = semantic.SplitScan(opened.vectors) if opened.splits_scan else None
            semantic_side = _SEMANTIC_THREADS.submit(
                self._semantic_hits, opened, parsed.semantic_text, request, candidates, clauses, timing, encoding, scan
            )
            if scan is not None:  # whether the model failed or the task never ran, stop helping
                semantic_side.add_done_callback(lambda _: scan.release())
            encoding.wait(SEMANTIC_HEAD_START_S)
        if request.aliases:
            stage = time.perf_counter()
            parsed = with_aliases(parsed, opened.schema, opened.aliases)
            timing["parse_ms"] += _elapsed_ms(stage)
        reader = ResultReader(opened.store, opened.facets.group_of, parsed.terms)
        if request.mode in ("hybrid", "keyword"):
            stage = time.perf_counter()
            keyword_hits = ranked_list(opened.keyword_hits(parsed, candidates, request.filters.keyword_filter()))
            timing["keyword_ms"] = _elapsed_ms(stage)
        interpretation = Interpretation.of(parsed.semantic_text) if request.interpret else Interpretation()
        if semantic_side is not None:
            if request.sort == "relevance" and len(keyword_hits[0]) and not semantic_side.done():
                stage = time.perf_counter()
                self._read_likely_page(opened, reader, keyword_hits, request)
                timing["read_ahead_ms"] = _elapsed_ms(stage)
            if scan is not None:
                scan.help()  # half the matrix, on this core, which would only wait otherwise
            semantic_hits = semantic_side.result()
        timing["retrieval_ms"] = _elapsed_ms(started)
        return Retrieval(opened, parsed, interpretation, keyword_hits, semantic_hits, reader, timing)

    @staticmethod
    def _read_likely_page(opened: OpenGeneration, reader: ResultReader, keyword_hits: Ranked, request: SearchRequest):
        """Have ``reader`` read the documents and passages of the requested page as the keyword
        list alone ranks it (see ``retrieve``)."""
        first = (request.page - 1) * request.k
        page = likely_documents(keyword_hits, opened.facets)[first : first + request.k]
        reader.read(passages_by_document(keyword_hits, EMPTY, opened.facets, page))

    @staticmethod
    def rank(request: SearchRequest, retrieval: "Retrieval") -> Fused:
        """Every document of a retrieval (by number), fused by the request's method and boosted
        by what the query names, best first."""
        facets = retrieval.opened.facets
        keyword_documents = best_per_document(retrieval.keyword, facets.chunk_document)
        semantic_documents = best_per_document(retrieval.semantic, facets.chunk_document)
        fused = fuse(request, keyword_documents, semantic_documents)
        return boost(fused, retrieval.interpretation, facets.documents_naming)

    @staticmethod
    def _semantic_hits(
        opened: OpenGeneration,
        text: str,
        request: SearchRequest,
        candidates: int,
        clauses: tuple[set[int] | None, set[int] | None],
        timing: dict,
        encoding: threading.Event,
        scan: semantic.SplitScan | None,
    ) -> Ranked:
        """Cosine top chunks for ``text`` that pass the filters and hold the query's required
        clauses (``clauses[0]``, the chunks that do) but not its excluded ones (``clauses[1]``);
        those below ``MIN_SEMANTIC_SCORE`` are dropped as noise. Sets ``encoding`` as the model
        starts; scans the matrix with ``scan`` when there is one (the request thread helps);
        records ``encode_ms`` and ``vector_ms`` in ``timing``."""
        started = time.perf_counter()
        encoding.set()  # the model is about to run: the keyword search may start (see ``retrieve``)
        query_vector = opened.encoder.encode([text])[0]
        if scan is not None:
            scan.offer(query_vector)
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
        if scan is not None:
            chunk_ids, scores = semantic.top_rows(scan.scores(), candidates, mask)
        else:
            chunk_ids, scores = semantic.semantic_search(opened.vectors, query_vector, candidates, mask)
        timing["vector_ms"] = _elapsed_ms(started)
        kept = scores >= MIN_SEMANTIC_SCORE
        return chunk_ids[kept], scores[kept]

    @staticmethod
    def _hits(retrieval: "Retrieval", page: Fused, versions: dict[int, list[int]], first_rank: int):
        """A page of ranked documents as results, each with its best passages (by RRF of the
        two lists) and the other versions of its news (``versions``: those found, by number)."""
        reader, doc_ids = retrieval.reader, retrieval.opened.facets.doc_ids
        passages_of = passages_by_document(retrieval.keyword, retrieval.semantic, retrieval.opened.facets, page.keys)
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
    reader: ResultReader  # what the results show, read once (see ``Searcher.retrieve``)
    timing: dict[str, float]


def fuse(request: SearchRequest, keyword_hits: Ranked, semantic_hits: Ranked) -> Fused:
    """The request's fusion of the two lists (or the one list of a single-retriever mode)."""
    if request.mode != "hybrid":
        return single_list(keyword_hits, semantic_hits)
    if request.fusion == "rrf":
        return reciprocal_rank_fusion(keyword_hits, semantic_hits, request.rrf_k)
    return convex_combination(keyword_hits, semantic_hits, request.keyword_weight)


def _elapsed_ms(since: float) -> float:
    return round((time.perf_counter() - since) * 1000, 2)
