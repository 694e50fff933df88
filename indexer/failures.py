"""Why a reindex failed, in one line with the next step: a full disk, a folder it may not
write, a model it cannot find. The half-built generation is already gone when these are raised."""

import contextlib
import errno
import sqlite3
from pathlib import Path

from search.embedded.index_format import current_generation_name
from search.encoder import Encoder, get_encoder
from search.errors import IndexWriteError, ModelUnavailableError

# errno → what happened, and what the user can do about it.
WRITE_FAULTS = {
    errno.ENOSPC: ("No space left on device", "free some space or choose another --index"),
    errno.EDQUOT: ("Disk quota exceeded", "free some space or choose another --index"),
    errno.EACCES: ("No permission", "give this user write access or choose another --index"),
    errno.EPERM: ("Operation not permitted", "give this user write access or choose another --index"),
    errno.EROFS: ("Read-only file system", "choose an --index on a writable disk"),
    errno.ENOTDIR: ("A file is in the way", "choose an --index whose parents are folders"),
}


@contextlib.contextmanager
def explained_write_errors(index_dir: Path):
    """Turn an ``OSError`` of a kind in ``WRITE_FAULTS``, or SQLite's own "disk is full", into an
    ``IndexWriteError`` that says what happened, where, what to do and what still serves; other
    errors pass unchanged."""
    try:
        yield
    except OSError as error:
        if error.errno not in WRITE_FAULTS:
            raise
        raise IndexWriteError(write_fault_message(error.errno, error.filename, index_dir)) from error
    except sqlite3.OperationalError as error:
        if error.sqlite_errorcode != sqlite3.SQLITE_FULL:
            raise
        raise IndexWriteError(write_fault_message(errno.ENOSPC, None, index_dir)) from error


def write_fault_message(code: int, filename: str | None, index_dir: Path) -> str:
    """One line for a failed write; a full disk fails in ``write()``, which names no file."""
    what, advice = WRITE_FAULTS[code]
    return f"{what} while writing {filename or index_dir}: {advice}; {_still_serving(index_dir)}."


def _still_serving(index_dir: Path) -> str:
    try:
        current = current_generation_name(index_dir)
    except OSError:  # the folder itself may be what cannot be read
        current = None
    return f"{index_dir}/{current} still serves" if current else "no index was switched"


def loaded_encoder(model_name: str, cache_dir: Path) -> Encoder:
    """``get_encoder``, with a model missing from disk and from the local cache said in one line
    (sentence-transformers raises a bare ``OSError`` that talks of connecting to the hub)."""
    try:
        return get_encoder(model_name, cache_dir)
    except OSError as error:
        if error.errno in WRITE_FAULTS:
            raise
        raise ModelUnavailableError(
            f"The embedding model {model_name} is neither a local folder nor in the local model cache, "
            "and nothing is downloaded: set CLINSEARCH_MODEL to the model's folder, or unset it to use "
            "the bundled model."
        ) from error
