"""Turning result data into safe HTML fragments for the templates."""

import re

from markupsafe import Markup, escape


def highlighted(text: str, spans: list[list[int]]) -> Markup:
    """``text`` escaped, with each ``[start, end]`` span wrapped in ``<mark>``."""
    pieces, last = [], 0
    for start, end in spans:
        pieces += [escape(text[last:start]), Markup("<mark>"), escape(text[start:end]), Markup("</mark>")]
        last = end
    pieces.append(escape(text[last:]))
    return Markup("").join(pieces)


def shifted(spans: list[list[int]], offset: int) -> list[list[int]]:
    """Spans into a text moved to be spans into its slice from ``offset``."""
    return [[start - offset, end - offset] for start, end in spans]


# Where a passage's sentences part: after . ! or ? (and a closing quote or bracket) and white
# space, before a capital, digit, quote or bracket, unless the dot ends an initial (U.S., e.g.,
# J. Smith) or a title. The indexer cuts passages at whole sentences with its own, fuller rule
# (``indexer.chunking``), which the web app may not import; this one only decides which
# sentences of a passage to show first.
_SENTENCE_BREAK = re.compile(r"(?<=[.!?])([\"'”’)\]]?)\s+(?=[A-Z0-9\"“(\[])")
_ABBREVIATION = re.compile(r"\b(?:[A-Za-z]|Dr|Mr|Mrs|Ms|Prof|St|No|Inc|Ltd|Co|Corp|vs)\.$")
EXCERPT_SENTENCES = 2


def excerpt(text: str, spans: list[list[int]]) -> Markup | None:
    """The sentences of a passage that hold a highlight (the first sentence if none does), at
    most ``EXCERPT_SENTENCES`` of them, highlighted, with "…" where sentences are left out;
    None when that would be the whole passage."""
    sentences = _sentence_spans(text)
    matching = [place for place, (start, end) in enumerate(sentences) if any(start <= left < end for left, _ in spans)]
    shown = (matching or [0])[:EXCERPT_SENTENCES]
    if len(shown) == len(sentences):
        return None
    pieces, next_place = [], 0
    for place in shown:
        start, end = sentences[place]
        inside = [[left, min(right, end)] for left, right in spans if start <= left < end]
        pieces += ["…" if place > next_place else "", highlighted(text[start:end], shifted(inside, start))]
        next_place = place + 1
    pieces.append("…" if next_place < len(sentences) else "")
    return Markup(" ").join(piece for piece in pieces if piece)


def _sentence_spans(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` of each sentence of ``text``, a closing quote or bracket included."""
    spans, start = [], 0
    for boundary in _SENTENCE_BREAK.finditer(text):
        if not _ABBREVIATION.search(text, start, boundary.start()):
            spans.append((start, boundary.end(1)))
            start = boundary.end()
    spans.append((start, len(text)))
    return [(start, end) for start, end in spans if text[start:end].strip()]
