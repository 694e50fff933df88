"""Semantic retrieval: brute-force cosine top-k over the memory-mapped embedding matrix."""

import os
import threading

import numpy as np
from threadpoolctl import threadpool_limits


def semantic_search(
    matrix: np.ndarray, query_vector: np.ndarray, limit: int, allowed: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """The top ``limit`` rows by cosine similarity as arrays of chunk ids (int64) and cosines
    (float64), best first; ``allowed`` (a boolean mask over rows) keeps filtered-out rows out.

    Rows and the query are L2-normalised at encode time, so cosine is one matrix-vector
    product. ``argpartition`` finds the ``limit`` best in linear time; only those are sorted.
    """
    return top_rows(matrix @ query_vector, limit, allowed)


def top_rows(scores: np.ndarray, limit: int, allowed: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``semantic_search`` of rows already scored (``scores``, one per row)."""
    if limit <= 0 or len(scores) == 0:
        return _nothing()
    if allowed is not None:
        scores = np.where(allowed, scores, -np.inf)
        limit = min(limit, int(allowed.sum()))
        if limit == 0:
            return _nothing()
    limit = min(limit, len(scores))
    best = np.argpartition(-scores, limit - 1)[:limit]
    best = best[np.argsort(-scores[best], kind="stable")]
    return best.astype(np.int64), scores[best].astype(np.float64)


def _nothing() -> tuple[np.ndarray, np.ndarray]:
    return np.zeros(0, dtype=np.int64), np.zeros(0)


# From this many rows, the scan gets every core (see ``set_scan_threads``).
PARALLEL_SCAN_ROWS = 50_000
# From this many rows, and while BLAS has one thread, a query's scan is split in two halves
# (``SplitScan``). At 4,341 rows that took a hybrid query's scan from 0.54 to 0.40 ms (p50);
# at 231 rows the whole scan takes 0.05 ms, no more than waking a second thread costs. The
# threshold between them is a judgement.
SPLIT_SCAN_ROWS = 2_000


def set_scan_threads(rows: int, keyword_backend: str) -> None:
    """Give the matrix scan of ``rows`` rows one BLAS thread, or one per core, in this whole
    process (the scan is its only BLAS work).

    OpenBLAS's idle workers spin on the other core after each product. Beside a Whoosh search
    (about 100 ms at 200,000 passages) a second scan thread only slowed it, by 30 % at 4,341
    passages. With the numpy keyword backend, a hybrid query of 200,000 passages is 10 ms
    faster with two scan threads (23.4 against 33.9 ms); at 4,341 the spinning worker took the
    core the keyword search, the model and the page read ahead needed (GlobeNewswire: the
    keyword search started 4.5 ms after the query instead of 1.5 ms, the whole query took 15.0
    ms against 11.7 with one thread). Between those sizes the threshold is a judgement: a
    single-threaded scan of ``PARALLEL_SCAN_ROWS`` rows should take about 7 ms, a quarter of
    the 27 ms measured at 200,000.
    """
    threadpool_limits(limits=(os.cpu_count() or 1) if _blas_parallel(rows, keyword_backend) else 1, user_api="blas")


def splits_scan(rows: int, keyword_backend: str) -> bool:
    """Whether a query's scan of ``rows`` rows should be a ``SplitScan``."""
    return rows >= SPLIT_SCAN_ROWS and not _blas_parallel(rows, keyword_backend)


def _blas_parallel(rows: int, keyword_backend: str) -> bool:
    return keyword_backend != "whoosh" and rows >= PARALLEL_SCAN_ROWS


class SplitScan:
    """One query's matrix product in two halves, each computed by whichever thread claims it
    first: the thread that encodes the query (``offer``, then ``scores``) and the request
    thread, which would otherwise wait for it (``help``, until ``offer`` or ``release``).
    Without BLAS's own threads, this gives the scan the second core once the keyword side is
    done with it; a helper that comes late finds both halves taken and returns.

    Each row's score comes from the same half whoever computes it, so results do not depend
    on the race; they may differ from one product over all rows in the last float32 bit.
    """

    def __init__(self, matrix: np.ndarray):
        self._matrix = matrix
        half = len(matrix) // 2
        self._halves = [slice(0, half), slice(half, len(matrix))]
        self._scores = np.empty(len(matrix), dtype=matrix.dtype)
        self._claim = threading.Lock()
        self._unclaimed = list(range(len(self._halves)))
        self._done = [threading.Event() for _ in self._halves]
        self._vector: np.ndarray | None = None
        self._offered = threading.Event()
        self._failure: BaseException | None = None

    def offer(self, query_vector: np.ndarray) -> None:
        """Hand the query vector to the helper."""
        self._vector = query_vector
        self._offered.set()

    def release(self) -> None:
        """Send the helper away if no vector was offered (the model failed, say)."""
        self._offered.set()

    def help(self) -> None:
        """Wait for the query vector (or ``release``), then compute any half not yet claimed."""
        self._offered.wait()
        if self._vector is not None:
            self._work()

    def scores(self) -> np.ndarray:
        """Every row's score, once both halves are done (after ``offer``).

        Raises:
            RuntimeError: the other thread failed to compute its half (its error is the cause).
        """
        self._work()
        for done in self._done:
            done.wait()
        if self._failure is not None:
            raise RuntimeError("the other half of the matrix scan failed") from self._failure
        return self._scores

    def _work(self) -> None:
        while True:
            with self._claim:
                if not self._unclaimed:
                    return
                half = self._unclaimed.pop()
            rows = self._halves[half]
            try:
                np.matmul(self._matrix[rows], self._vector, out=self._scores[rows])
            except BaseException as error:  # the other thread must not wait for this half forever
                self._failure = error
                raise
            finally:
                self._done[half].set()
