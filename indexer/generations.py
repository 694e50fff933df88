"""The generations of an index directory, from the writer's side: the lock that keeps one
reindex at a time, numbering the next generation, and removing what is no longer needed (the
oldest complete generations, and what a killed reindex left half-built)."""

import contextlib
import fcntl
import shutil
from pathlib import Path

from search.embedded.index_format import (
    GENERATION_PREFIX,
    LOCK_FILE,
    MANIFEST_FILE,
    Generation,
    current_generation_name,
    open_generation,
)
from search.errors import ClinsearchError, IndexLockedError

GENERATIONS_KEPT = 2  # the new one, and the one a running server may still be reading


@contextlib.contextmanager
def reindex_lock(index_dir: Path):
    """An exclusive ``flock`` on the index's lock file; the kernel releases it if we crash."""
    with open(index_dir / LOCK_FILE, "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise IndexLockedError(
                f"Another `clinsearch reindex` is writing {index_dir}; try again when it has finished."
            ) from None
        yield


def previous_generation(index_dir: Path) -> Generation | None:
    """The current generation, if there is one: its vectors can be reused even when an older
    format version keeps it from being searched."""
    try:
        return open_generation(index_dir, check_format=False)
    except (ClinsearchError, OSError, ValueError):
        return None


def _generation_names(index_dir: Path) -> list[str]:
    """The generation directories, oldest first (by number: ``gen-10000`` follows ``gen-9999``)."""
    names = [path.name for path in index_dir.glob(GENERATION_PREFIX + "*") if path.is_dir()]
    return sorted(names, key=_number)


def _number(name: str) -> int:
    return int(name.removeprefix(GENERATION_PREFIX))


def _complete_generation_names(index_dir: Path) -> list[str]:
    """Generations whose manifest was written (it is written last)."""
    return [name for name in _generation_names(index_dir) if (index_dir / name / MANIFEST_FILE).is_file()]


def next_generation_name(index_dir: Path) -> str:
    names = _generation_names(index_dir)
    number = _number(names[-1]) + 1 if names else 1
    return f"{GENERATION_PREFIX}{number:04d}"


def remove_incomplete_generations(index_dir: Path) -> None:
    """Remove what a reindex killed outright (``kill -9``, a power cut) left behind: generations
    without a manifest, and any newer than ``CURRENT`` (written but never switched to, which
    would otherwise outlive the generation a server may still be reading). Called under the
    lock, so no other reindex is writing one; a server only opens ``CURRENT``'s."""
    current = current_generation_name(index_dir)
    complete = set(_complete_generation_names(index_dir))
    for name in _generation_names(index_dir):
        unfinished = name not in complete or (current is not None and _number(name) > _number(current))
        if name != current and unfinished:
            shutil.rmtree(index_dir / name)


def prune(index_dir: Path) -> None:
    """Remove all but the newest complete generations, never the current one."""
    current = current_generation_name(index_dir)
    for name in _complete_generation_names(index_dir)[:-GENERATIONS_KEPT]:
        if name != current:
            shutil.rmtree(index_dir / name, ignore_errors=True)
