"""Turning result data into safe HTML fragments and links for the templates (and the feed)."""

from markupsafe import Markup, escape

from search.sentences import sentence_spans


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


EXCERPT_SENTENCES = 2


def excerpt(text: str, spans: list[list[int]]) -> Markup | None:
    """The sentences of a passage that hold a highlight (the first sentence if none does), at
    most ``EXCERPT_SENTENCES`` of them, highlighted, with "…" where sentences are left out;
    None when that would be the whole passage."""
    sentences = _shown_sentences(text)
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


def _shown_sentences(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` of each sentence of ``text`` (``search.sentences``) as an excerpt shows
    it: up to where the next begins, so a closing quote or bracket stays with its sentence."""
    starts = [start for start, _end in sentence_spans(text)]
    ends = [*starts[1:], len(text)]
    return [(start, start + len(text[start:end].rstrip())) for start, end in zip(starts, ends, strict=True)]
