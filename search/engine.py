"""The Searcher: opens the current index generation once, answers hybrid queries, reloads on switch."""

import threading
import time
from pathlib import Path

import numpy as np
from whoosh import index as whoosh_index

from search import keyword, semantic, store
from search.encoder import configured_model_name, get_encoder
from search.errors import IndexMismatchError, QueryError
from search.fusion import reciprocal_rank_fusion, single_list
from search.index_format import Generation, current_generation_name, open_generation
from search.results import group_by_document, highlight_spans, hit_record, passage

MODES = ("hybrid", "keyword", "semantic")
MAX_K = 100
MAX_QUERY_LENGTH = 500
CANDIDATES = 100


class OpenGeneration:
    """One generation's readers. The Whoosh index, matrix and model are shared by all threads;
    Whoosh searchers and SQLite connections are opened once per thread that uses them."""

    def __init__(self, generation: Generation):
        self.generation = generation
        self.keyword_index = whoosh_index.open_dir(str(generation.keyword_dir))
        self.parser = keyword.query_parser(self.keyword_index.schema)
        self.analyzer = self.keyword_index.schema["text"].analyzer
        self.vectors = np.load(generation.vectors_path, mmap_mode="r", allow_pickle=False)
        self.encoder = get_encoder(generation.manifest["model"])
        self._local = threading.local()

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

    def search(self, query: str, k: int = 10, mode: str = "hybrid") -> dict:
        """The best ``k`` documents for ``query``, each with its best passage and score parts.

        Raises:
            QueryError: an empty or over-long query, an unknown mode, or ``k`` out of range.
        """
        query = _checked_query(query)
        if mode not in MODES:
            raise QueryError(f"mode must be one of {', '.join(MODES)}; got {mode!r}")
        if not 1 <= k <= MAX_K:
            raise QueryError(f"k must be between 1 and {MAX_K}; got {k}")
        opened = self._current()
        timing: dict[str, float] = {}
        started = time.perf_counter()

        parsed = keyword.parse(opened.parser, query)
        keyword_hits = semantic_hits = []
        if mode in ("hybrid", "keyword"):
            keyword_hits = keyword.keyword_search(opened.keyword_searcher, parsed, CANDIDATES)
            timing["keyword_ms"] = _elapsed_ms(started)
        if mode in ("hybrid", "semantic"):
            stage = time.perf_counter()
            query_vector = opened.encoder.encode([query])[0]
            semantic_hits = semantic.semantic_search(opened.vectors, query_vector, CANDIDATES)
            timing["semantic_ms"] = _elapsed_ms(stage)
        fused = (reciprocal_rank_fusion if mode == "hybrid" else single_list)(keyword_hits, semantic_hits)

        stage = time.perf_counter()
        hits = self._hits(opened, fused, keyword.query_terms(parsed), k)
        timing["results_ms"] = _elapsed_ms(stage)
        timing["total_ms"] = _elapsed_ms(started)
        return {"query": query, "mode": mode, "k": k, "timing": timing, "hits": hits}

    @staticmethod
    def _hits(opened: OpenGeneration, fused, terms: set[str], k: int) -> list[dict]:
        chunks = store.chunks_by_id(opened.store, [hit.chunk_id for hit in fused])
        groups = group_by_document(fused, {cid: row["doc_id"] for cid, row in chunks.items()}, k)
        documents = store.documents_by_id(opened.store, [chunks[best.chunk_id]["doc_id"] for best, _ in groups])
        hits = []
        for rank, (best, more) in enumerate(groups, start=1):
            document = documents[chunks[best.chunk_id]["doc_id"]]
            document["title_highlights"] = highlight_spans(document["title"], terms, opened.analyzer)
            passages = [passage(chunks[hit.chunk_id], terms, opened.analyzer) for hit in [best, *more]]
            hits.append(hit_record(rank, best, document, passages))
        return hits


def _checked_query(query: str) -> str:
    query = " ".join((query or "").split())
    if not query:
        raise QueryError("the query is empty: type a drug, target, indication or event")
    if len(query) > MAX_QUERY_LENGTH:
        raise QueryError(f"the query is {len(query)} characters long; the limit is {MAX_QUERY_LENGTH}")
    return query


def _elapsed_ms(since: float) -> float:
    return round((time.perf_counter() - since) * 1000, 2)
