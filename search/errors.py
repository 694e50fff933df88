"""Domain exceptions, translated into messages once at each front end."""

import contextlib


class ClinsearchError(Exception):
    """Base class: raised for problems a user can act on; the message says what to do."""


class IndexNotFoundError(ClinsearchError):
    """Raised when an index directory holds no built generation."""


class IndexMismatchError(ClinsearchError):
    """Raised when a generation was built by another format version or embedding model."""


class IndexLockedError(ClinsearchError):
    """Raised when another reindex holds the index directory's lock."""


class QueryError(ClinsearchError):
    """Raised when a search request has a bad parameter (empty query, unknown mode, bad k)."""


class NotFoundError(ClinsearchError):
    """Raised when what a request names is not in the index: a document id, a drug no
    announcement names."""


class IndexWriteError(ClinsearchError):
    """Raised when a reindex cannot write its index directory (disk full, no permission, read-only)."""


class ModelUnavailableError(ClinsearchError):
    """Raised when the embedding model is neither a local folder nor in the local cache."""


class ClusterUnavailableError(ClinsearchError):
    """Raised when a Ray cluster was asked for and cannot be used: the cluster extra is not
    installed, or no cluster answers at the address."""


@contextlib.contextmanager
def cluster_extra_needed():
    """Around importing the cluster code: a missing Ray becomes the error that says how to
    install it. Any other failed import is left as it is (a broken module is not a missing extra)."""
    try:
        yield
    except ModuleNotFoundError as missing:
        if (missing.name or "").partition(".")[0] != "ray":
            raise
        raise ClusterUnavailableError(
            "Working on a Ray cluster needs the cluster extra: pip install 'clinsearch[cluster]'."
        ) from missing
