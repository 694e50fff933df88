"""Cutting a document body into passages of whole sentences, each overlapping the last by one.

A passage is what a user reads in a result and what one embedding stands for: long enough to
hold a finding with its context (~60–150 words), short enough that the model's 256-token
window sees all of it. The one-sentence overlap keeps a fact that spans two sentences whole in
at least one passage.
"""

from dataclasses import dataclass

from search.sentences import sentence_spans

TARGET_WORDS = 110
MAX_WORDS = 150
MIN_WORDS = 60
# A body this short stays one passage: an abstract or a short release read whole ranks better
# (measured on SciFact) than its halves, and still fits the model's window nearly whole.
SINGLE_PASSAGE_WORDS = 250

SETTINGS = {"target": TARGET_WORDS, "max": MAX_WORDS, "min": MIN_WORDS, "single": SINGLE_PASSAGE_WORDS}


@dataclass(frozen=True)
class Chunk:
    """A passage: its text and where it sits in the document body (``body[start:end]``)."""

    ordinal: int
    start: int
    end: int
    text: str


def chunk_body(body: str) -> list[Chunk]:
    """The passages of ``body``, in order, covering every sentence at least once."""
    sentences = sentence_spans(body)
    words = [len(body[start:end].split()) for start, end in sentences]
    if sentences and sum(words) <= SINGLE_PASSAGE_WORDS:
        start, end = sentences[0][0], sentences[-1][1]
        return [Chunk(0, start, end, body[start:end])]
    groups: list[list[int]] = []
    current: list[int] = []
    for index, count in enumerate(words):
        size = sum(words[i] for i in current)
        if current and (size >= TARGET_WORDS or size + count > MAX_WORDS):
            groups.append(current)
            # Overlap: the next passage starts with this one's last sentence, if that leaves room.
            last = current[-1]
            current = [last] if len(current) > 1 and words[last] + count <= MAX_WORDS else []
        current.append(index)
    if current:
        groups.append(current)
    groups = _merge_short_tail(groups, words)
    return [
        Chunk(
            ordinal,
            sentences[group[0]][0],
            sentences[group[-1]][1],
            body[sentences[group[0]][0] : sentences[group[-1]][1]],
        )
        for ordinal, group in enumerate(groups)
    ]


def _merge_short_tail(groups: list[list[int]], words: list[int]) -> list[list[int]]:
    """Fold a last passage shorter than ``MIN_WORDS`` into the one before it."""
    if len(groups) < 2 or sum(words[i] for i in groups[-1]) >= MIN_WORDS:
        return groups
    tail = [index for index in groups[-1] if index not in groups[-2]]
    return groups[:-2] + [groups[-2] + tail]
