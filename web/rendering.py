"""Turning result data into safe HTML fragments for the templates."""

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
