"""The Searcher: opens the current index generation once, answers hybrid queries, reloads on switch."""

import threading
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from whoosh import index as whoosh_index

from search import keyword, semantic, store
from search.aliases import AliasTable, read_alias_file, read_mined_aliases
from search.encoder import configured_model_name, get_encoder
from search.errors import IndexMismatchError
from search.filters import ChunkColumns
from search.fusion import FusedHit, best_per_document, convex_combination, reciprocal_rank_fusion, single_list
from search.index_format import MINED_ALIASES_FILE, Generation, current_generation_name, open_generation
from search.query import ParsedQuery, parse
from search.request import SearchRequest
from search.results import highlight_spans, hit_record, passage, passages_by_document

# Chunks each retriever returns: enough that, reduced to documents, they still hold k documents.
MIN_CANDIDATES = 100
CANDIDATES_PER_DOCUMENT = 3

# all-MiniLM-L6-v2 puts unrelated short texts at cosine ≈ 0.0–0.2 from a query: semantic hits
# below this are dropped as noise (a passage the keyword side found still comes through it).
MIN_SEMANTIC_SCORE = 0.25


class OpenGeneration:
    """One generation's readers. The Whoosh index, matrix, columns and model are shared by all
    threads; Whoosh searchers and SQLite connections are opened once per thread that uses them."""

    def __init__(self, generation: Generation):
        self.generation = generation
        self.keyword_index = whoosh_index.open_dir(str(generation.keyword_dir))
        _check_document_numbers(self.keyword_index, generation)
        self.schema = self.keyword_index.schema
        self.analyzer = self.schema["text"].analyzer
        self.vectors = np.load(generation.vectors_path, mmap_mode="r", allow_pickle=False)
        self.encoder = get_encoder(generation.manifest["model"])
        self._local = threading.local()
        self.columns = ChunkColumns.load(self.store)
        mined = read_mined_aliases(generation.path / MINED_ALIASES_FILE)
        self.aliases = AliasTable(read_alias_file() + mined, self.analyzer)

    @property
    def keyword_searcher(self):
        if not hasattr(self._local, "keyword_searcher"):
            self._local.keyword_searcher = self.keyword_index.searcher(weighting=keyword.WEIGHTING)
        return self._local.keyword_searcher

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
        """The open generation, switched to the newest one when a reindex moved ``CURRENT``."""
        opened = self._open
        if current_generation_name(self.index_dir) in (None, opened.generation.name):
            return opened
        with self._switch_lock:
            name = current_generation_name(self.index_dir)
            if name != self._open.generation.name:
                self._open = self._load(open_generation(self.index_dir, name))
            return self._open

    def search(self, query: str, **options) -> dict:
        """``run(SearchRequest(query, **options))``: the convenient single call.

        Raises:
            QueryError: a bad option (see ``SearchRequest``).
        """
        return self.run(SearchRequest(query, **options))

    def run(self, request: SearchRequest) -> dict:
        """The best ``request.k`` documents, each with its best passage and its score parts."""
        started = time.perf_counter()
        retrieval = self.retrieve(request)
        ranked = self.rank(request, retrieval)
        stage = time.perf_counter()
        hits = self._hits(retrieval, ranked)
        timing = {**retrieval.timing, "results_ms": _elapsed_ms(stage), "total_ms": _elapsed_ms(started)}
        return {
            "query": request.query,
            "mode": request.mode,
            "k": request.k,
            "also_searched": retrieval.parsed.also_searched,
            "timing": timing,
            "hits": hits,
        }

    def retrieve(self, request: SearchRequest) -> "Retrieval":
        """Parse the query and run the retrievers ``request.mode`` asks for, before fusion."""
        opened = self._current()
        timing: dict[str, float] = {}
        started = time.perf_counter()
        parsed = parse(request.query, opened.schema, opened.aliases if request.aliases else None)
        candidates = max(MIN_CANDIDATES, CANDIDATES_PER_DOCUMENT * request.k)
        keyword_hits = semantic_hits = []
        if request.mode in ("hybrid", "keyword"):
            keyword_hits = keyword.keyword_search(
                opened.keyword_searcher, parsed, candidates, request.filters.keyword_filter()
            )
            timing["keyword_ms"] = _elapsed_ms(started)
        if request.mode in ("hybrid", "semantic") and parsed.semantic_text:
            stage = time.perf_counter()
            semantic_hits = self._semantic_hits(opened, parsed, request, candidates)
            timing["semantic_ms"] = _elapsed_ms(stage)
        return Retrieval(opened, parsed, keyword_hits, semantic_hits, timing)

    @staticmethod
    def rank(request: SearchRequest, retrieval: "Retrieval") -> list[FusedHit]:
        """The best ``request.k`` documents of a retrieval, fused by the request's method."""
        doc_of_chunk = retrieval.opened.columns.doc_ids
        keyword_documents = best_per_document(retrieval.keyword, doc_of_chunk)
        semantic_documents = best_per_document(retrieval.semantic, doc_of_chunk)
        return fuse(request, keyword_documents, semantic_documents)[: request.k]

    @staticmethod
    def _semantic_hits(opened: OpenGeneration, parsed: ParsedQuery, request: SearchRequest, candidates: int):
        """Cosine top chunks that pass the filters and the query's required and excluded clauses;
        those below ``MIN_SEMANTIC_SCORE`` are dropped as noise."""
        mask = request.filters.chunk_mask(opened.columns)
        if parsed.required is not None or parsed.excluded is not None:
            mask = np.ones(len(opened.vectors), dtype=bool) if mask is None else mask.copy()
            if parsed.required is not None:
                allowed = np.zeros(len(mask), dtype=bool)
                allowed[list(keyword.matching_chunks(opened.keyword_searcher, parsed.required))] = True
                mask &= allowed
            if parsed.excluded is not None:
                mask[list(keyword.matching_chunks(opened.keyword_searcher, parsed.excluded))] = False
        query_vector = opened.encoder.encode([parsed.semantic_text])[0]
        hits = semantic.semantic_search(opened.vectors, query_vector, candidates, mask)
        return [(chunk_id, score) for chunk_id, score in hits if score >= MIN_SEMANTIC_SCORE]

    @staticmethod
    def _hits(retrieval: "Retrieval", ranked: list[FusedHit]) -> list[dict]:
        """Ranked documents as results, each with its best passages (by RRF of the two lists)."""
        opened, terms = retrieval.opened, retrieval.parsed.terms
        chunk_order = reciprocal_rank_fusion(retrieval.keyword, retrieval.semantic)
        passages_of = passages_by_document(chunk_order, opened.columns.doc_ids, [hit.key for hit in ranked])
        chunks = store.chunks_by_id(opened.store, [chunk for ids in passages_of.values() for chunk in ids])
        documents = store.documents_by_id(opened.store, list(passages_of))
        hits = []
        for rank, fused in enumerate(ranked, start=1):
            document = documents[fused.key]
            document["title_highlights"] = highlight_spans(document["title"], terms, opened.analyzer)
            passages = [passage(chunks[chunk_id], terms, opened.analyzer) for chunk_id in passages_of[fused.key]]
            hits.append(hit_record(rank, fused, document, passages))
        return hits


def _check_document_numbers(keyword_index, generation: Generation) -> None:
    """Whoosh document numbers must equal chunk ids (see ``search.index_format``)."""
    with keyword_index.reader() as reader:
        count = reader.doc_count_all()
        last_in_place = count == 0 or reader.stored_fields(count - 1)["chunk_id"] == count - 1
        if count != generation.manifest["chunks"] or not last_in_place:
            raise IndexMismatchError(
                f"The keyword index of {generation.path} does not line up with its chunks. "
                f"Run `clinsearch reindex --index {generation.path.parent}` to rebuild it."
            )


@dataclass
class Retrieval:
    """What the retrievers found for one request, before fusion."""

    opened: OpenGeneration
    parsed: ParsedQuery
    keyword: list[tuple[int, float]]
    semantic: list[tuple[int, float]]
    timing: dict[str, float]


def fuse(request: SearchRequest, keyword_hits: list, semantic_hits: list) -> list[FusedHit]:
    """The request's fusion of the two lists (or the one list of a single-retriever mode)."""
    if request.mode != "hybrid":
        return single_list(keyword_hits, semantic_hits)
    if request.fusion == "rrf":
        return reciprocal_rank_fusion(keyword_hits, semantic_hits, request.rrf_k)
    return convex_combination(keyword_hits, semantic_hits, request.keyword_weight)


def _elapsed_ms(since: float) -> float:
    return round((time.perf_counter() - since) * 1000, 2)
