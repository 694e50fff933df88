"""Where a text's sentences begin and end: the unit passages are cut in (``indexer.chunking``)
and excerpts are trimmed to (``web.rendering``)."""

import re

# A sentence ends at . ! or ? (optionally closed by a quote or bracket) followed by white space
# and a capital, digit or opening quote — unless the dot closes a common abbreviation.
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"'”’)\]]?\s+(?=[A-Z0-9\"“(\[])")
_ABBREVIATIONS = re.compile(
    r"\b(?:Dr|Mr|Mrs|Ms|Prof|Inc|Ltd|Co|Corp|No|vs|approx|e\.g|i\.e|U\.S|St|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)\.$"
)


def sentence_spans(body: str) -> list[tuple[int, int]]:
    """``(start, end)`` of each sentence; paragraph breaks always end a sentence."""
    spans = []
    for paragraph in re.finditer(r"[^\n]+(?:\n(?!\s*\n)[^\n]+)*", body):
        start = paragraph.start()
        for boundary in _SENTENCE_END.finditer(paragraph.group()):
            end = paragraph.start() + boundary.start()
            if _ABBREVIATIONS.search(body[start:end]):
                continue
            spans.append((start, end))
            start = paragraph.start() + boundary.end()
        spans.append((start, paragraph.end()))
    return [(start, end) for start, end in spans if body[start:end].strip()]
