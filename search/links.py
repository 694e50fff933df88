"""Which addresses are links: a document's own ``url`` is kept, shown and followed only if it
is a web address (http or https, with a host). Anything else (``javascript:``, ``data:``,
``vbscript:``, a relative path) is never a page of the announcement's publisher, and could run
in a reader's browser. The indexer drops such addresses and reports them; pages, feed and
exports check again, for indexes written before."""

import re
from urllib.parse import urlsplit

WEB_SCHEMES = ("http", "https")
# Browsers drop control characters from a URL before reading its scheme, so a URL holding one
# could hide ``java\tscript:`` from the scheme check; such a URL is no link at all.
_CONTROL_CHARACTERS = re.compile("[\x00-\x1f\x7f]")


def web_link(url: str | None) -> str | None:
    """``url`` stripped of surrounding spaces if it is a web address; None otherwise."""
    url = (url or "").strip()
    if _CONTROL_CHARACTERS.search(url):
        return None
    parts = urlsplit(url)
    return url if parts.scheme.lower() in WEB_SCHEMES and parts.netloc else None
