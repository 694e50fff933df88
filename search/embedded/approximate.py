"""Approximate nearest passages for a large shard: an HNSW graph over its vectors (faiss).

The exact scan reads every row of the matrix for every query: about 4 ms at 100,000 passages
and 40 at a million on this machine. Past ``GRAPH_MIN_ROWS`` rows the indexer also builds an
HNSW graph (Malkov & Yashunin 2018) of the vectors and saves it in the generation; a shard that
has one answers the semantic side from it (``CLINSEARCH_VECTORS``: ``exact``, ``ann`` or
``auto``, the default: the graph when the generation has one). faiss was chosen over hnswlib
and usearch (``bench/ann_choice.py``, BENCHMARKS.md): as good a recall at the same settings, a
prebuilt wheel (hnswlib has to be compiled), and filtered search inside the graph walk.

What changes with the graph, and why it still answers what the scan answers:

- The semantic hits are the ``CANDIDATES`` nearest passages that clear the query's cut, not
  every passage that does: past a few thousand rows, far more passages clear the cut than a
  result list can show.
- The cut (``search.shards.Moments``) needs the query's cosines with every passage; the
  cosines with a fixed sample of ``SAMPLE_ROWS`` live passages estimate those moments.
- Rows added since the graph was written (``TAIL_ROWS`` at most: a reindex that adds a few
  documents links the base generation's graph instead of reading and writing hundreds of
  megabytes) are scanned exactly and their hits merged with the graph's.
- Filters are kept inside the walk: the graph only returns rows a bitmap allows. The walk steps
  over the rows a filter drops, so in a graph of ``WIDENED_MIN_ROWS`` rows or more it is
  widened by the inverse of the share allowed (at most ``FILTERED_WIDENING`` times). When the
  filters allow few rows (at most ``SCAN_SHARE`` of them) scanning the allowed rows exactly is
  as cheap: the shard does that.
"""

import os
from pathlib import Path

import numpy as np
from tqdm import tqdm

from search import settings
from search.embedded.index_format import Generation
from search.errors import ClinsearchError
from search.shards import Moments

MODES = ("exact", "ann", "auto")
# From this many rows ``auto`` builds and uses a graph: at 50,000 the scan takes about 2 ms of a
# query's 8–10, and the graph about 0.4 (BENCHMARKS.md, "Vectors at scale").
GRAPH_MIN_ROWS = 50_000
CONNECTIONS = 32  # HNSW's M: links per node (ann_choice: recall@10 0.99 at 100k with 32, 0.97 with 16)
BUILD_BREADTH = 200  # efConstruction
CANDIDATES = 1000  # passages a query takes from the graph: a page of up to 100 documents needs ≤ 1000
SAMPLE_ROWS = 10_000
SCAN_SHARE = 0.05
# At 1,000,000 rows under a filter allowing 30 % of them, recall@10 against the scan was 0.964
# with the walk's breadth (efSearch) at 1,000, 0.984 at 2,000 and 0.990 at 4,000, taking 4.3,
# 8.2 and 17.5 ms; at 100,000 rows it was 0.9998 at 1,000, and widening only cost time
# (5.2 → 11.5 ms). BENCHMARKS.md, "Vectors at scale".
FILTERED_WIDENING = 4
WIDENED_MIN_ROWS = 500_000
_BUILD_SLICE = 20_000  # rows added to the graph at a time, between progress updates
# Rows past the graph's end scanned exactly rather than written into it: scanning 10,000 rows
# takes about 1 ms, and reading and writing a 250,000-row shard's graph (390 MB) about 5 s.
TAIL_ROWS = 10_000


def configured_mode() -> str:
    """``CLINSEARCH_VECTORS`` (``auto`` when unset).

    Raises:
        ClinsearchError: it names no mode.
    """
    return settings.choice("CLINSEARCH_VECTORS", MODES, "auto")


def wanted(rows: int) -> bool:
    """Whether a generation of ``rows`` vectors gets a graph."""
    mode = configured_mode()
    return mode == "ann" or (mode == "auto" and rows >= GRAPH_MIN_ROWS)


def _faiss():
    import faiss  # heavy, and only a large index needs it

    faiss.omp_set_num_threads(1)  # one query walks one graph; threads only add their start-up cost
    return faiss


def build(
    matrix: np.ndarray, base_graph: Path | None, path: Path, show_progress: bool = False, base_rows: int = 0
) -> int:
    """Write the graph of ``matrix``'s rows (row = chunk id) to ``path``; the rows it holds.
    The graph of a base generation whose rows ``matrix`` extends (it holds the first
    ``base_rows``) is linked when at most ``TAIL_ROWS`` rows would be left past its end;
    otherwise it is read and the rows past its end are inserted. Rows since zeroed (removed
    chunks) stay in it, and searches never return them."""
    if base_graph is not None and base_graph.is_file() and 0 < base_rows and len(matrix) - base_rows <= TAIL_ROWS:
        os.link(base_graph, path)  # a generation's files never change: the link is a copy
        return base_rows
    faiss = _faiss()
    graph = None
    if base_graph is not None and base_graph.is_file():
        graph = faiss.read_index(str(base_graph))
        if graph.ntotal > len(matrix) or graph.d != matrix.shape[1]:
            graph = None
    if graph is None:
        graph = faiss.IndexHNSWFlat(matrix.shape[1], CONNECTIONS, faiss.METRIC_INNER_PRODUCT)
        graph.hnsw.efConstruction = BUILD_BREADTH
    faiss.omp_set_num_threads(os.cpu_count() or 1)  # building is worth every core
    try:
        with tqdm(
            total=len(matrix), initial=graph.ntotal, desc="Vector graph", unit="chunk", disable=not show_progress
        ) as bar:
            for first in range(graph.ntotal, len(matrix), _BUILD_SLICE):  # the added rows
                graph.add(np.ascontiguousarray(matrix[first : first + _BUILD_SLICE], dtype=np.float32))
                bar.update(min(_BUILD_SLICE, len(matrix) - first))
    finally:
        faiss.omp_set_num_threads(1)
    faiss.write_index(graph, str(path))
    return graph.ntotal


class Graph:
    """A generation's graph, loaded for searching, and its sample of live rows for the cut."""

    def __init__(self, path: Path, vectors: np.ndarray, live: np.ndarray | None):
        self._faiss = _faiss()
        self._graph = self._faiss.read_index(str(path))
        self.rows = len(vectors)
        self.graph_rows = self._graph.ntotal
        # The graph keeps every vector it holds in memory: rows are read from there, so that the
        # memory-mapped matrix is not paged in beside it (at a million rows, 1.5 GB more).
        stored = self._faiss.downcast_index(self._graph.storage)
        self._stored = self._faiss.rev_swig_ptr(stored.get_xb(), self.graph_rows * self._graph.d)
        self._stored = self._stored.reshape(self.graph_rows, self._graph.d)
        self._tail = np.ascontiguousarray(vectors[self.graph_rows :])  # rows added since, scanned exactly
        self._tail_live = None if live is None else live[self.graph_rows :]
        live_rows = np.arange(self.rows) if live is None else np.flatnonzero(live)
        self.live_count = len(live_rows)
        # Evenly spaced over the chunk ids: documents were added in corpus order, so the sample
        # spreads over every source and period the corpus holds.
        sample = live_rows[np.linspace(0, len(live_rows) - 1, min(SAMPLE_ROWS, len(live_rows))).astype(np.int64)]
        self._sample = np.ascontiguousarray(vectors[np.unique(sample)]) if len(live_rows) else vectors[:0]
        self._live_bits = None if live is None else _bitmap(live)

    def vectors(self, rows: np.ndarray) -> np.ndarray:
        """The vectors of ``rows`` (ascending row ids), from the graph's memory and the tail."""
        inside = np.searchsorted(rows, self.graph_rows)
        return np.concatenate([self._stored[rows[:inside]], self._tail[rows[inside:] - self.graph_rows]])

    def moments(self, vector: np.ndarray) -> Moments:
        """The query's cosine moments over every live row, estimated from the sample's."""
        if not len(self._sample):
            return Moments(0, 0.0, 0.0)
        cosines = (self._sample @ vector).astype(np.float64)
        scale = self.live_count / len(cosines)
        return Moments(self.live_count, float(cosines.sum()) * scale, float(cosines @ cosines) * scale)

    def nearest(self, vector: np.ndarray, allowed: np.ndarray | None, count: int = CANDIDATES):
        """The ``count`` rows nearest ``vector`` among the live ``allowed`` ones (a mask over
        rows, None: all), as row ids (int64) and cosines (float64), best first."""
        bits = self._live_bits if allowed is None else _bitmap(allowed)
        parameters = self._faiss.SearchParametersHNSW()
        widening = 1.0
        if allowed is not None and self.rows >= WIDENED_MIN_ROWS:
            widening = min(1 / max(float(allowed.mean()), 1e-9), FILTERED_WIDENING)
        parameters.efSearch = int(max(count, 128) * widening)
        if bits is not None:
            selector = self._faiss.IDSelectorBitmap(self.rows, self._faiss.swig_ptr(bits))
            parameters.sel = selector
        scores, ids = self._graph.search(vector.reshape(1, -1).astype(np.float32), count, params=parameters)
        found = ids[0] >= 0
        ids, scores = ids[0][found].astype(np.int64), scores[0][found].astype(np.float64)
        return self._with_tail(vector, allowed, ids, scores, count) if len(self._tail) else (ids, scores)

    def _with_tail(self, vector: np.ndarray, allowed: np.ndarray | None, ids, scores, count: int):
        """The graph's hits and the tail's allowed live rows, the ``count`` best of them, best first."""
        keep = self._tail_live if allowed is None else allowed[self.graph_rows :]
        rows = np.arange(self.graph_rows, self.rows) if keep is None else self.graph_rows + np.flatnonzero(keep)
        ids = np.concatenate([ids, rows])
        scores = np.concatenate([scores, (self._tail[rows - self.graph_rows] @ vector).astype(np.float64)])
        best = np.argsort(-scores, kind="stable")[:count]
        return ids[best], scores[best]


def _bitmap(mask: np.ndarray) -> np.ndarray:
    """A row mask as the bitmap faiss's selector reads: bit i of byte i // 8, lowest bit first."""
    return np.packbits(mask.astype(bool), bitorder="little")


def open_graph(generation: Generation, vectors: np.ndarray, live: np.ndarray | None) -> Graph | None:
    """The generation's graph when it has one and ``CLINSEARCH_VECTORS`` allows it.

    Raises:
        ClinsearchError: ``CLINSEARCH_VECTORS=ann`` and the generation has no graph.
    """
    mode, path = configured_mode(), generation.graph_path
    if mode == "exact" or (mode == "auto" and not path.is_file()):
        return None
    if not path.is_file():
        raise ClinsearchError(
            f"CLINSEARCH_VECTORS=ann, but the index in {generation.path.parent} has no graph of its vectors: "
            f"reindex it with CLINSEARCH_VECTORS=ann, or serve it with CLINSEARCH_VECTORS=auto."
        )
    return Graph(path, vectors, live)
