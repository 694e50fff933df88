"""The keyword analyzer for clinical-development text: drug codes, targets and modalities survive.

Plain tokenizers break ``ICP-723`` into ``icp`` and ``723`` and ``CAR-T`` into ``car`` and a
dropped ``t``, so a query for the code matches every passage with a 723 in it. This analyzer
keeps such terms whole:

>>> [t.text for t in domain_analyzer()("ICP-723 CAR T CLDN18.2 PD-L1 TNF-α fusion-positive tumours")]
['icp723', 'cart', 'cldn18.2', 'pdl1', 'tnfalpha', 'fusion', 'posit', 'tumour']

Hyphenated terms that hold a digit, a one-letter part or a Greek letter (codes, ``CAR-T``,
``PD-L1``, ``TNF-α``) are joined; ordinary hyphenated words are split into their words. Greek
letters are spelled out, so ``TNFα``, ``TNF-α`` and ``TNF-alpha`` meet. ``CAR T`` and
``CAR NK`` written with a space join like ``CAR-T``. Dotted terms such as ``CLDN18.2`` stay one
token. Ordinary words are lower-cased and stemmed; codes are not stemmed.
The index pickles this analyzer into its schema, so the reader must be able to import it.
"""

import functools
import itertools
import re

from whoosh.analysis import Filter, LowercaseFilter, RegexTokenizer, StemFilter, StopFilter

# A run of word characters, optionally joined by hyphens, dots or apostrophes to more of them:
# "ICP-723", "CLDN18.2", "InnoCare's" are one match; a sentence's final dot is not included.
TOKEN_PATTERN = r"\w+(?:[-.'’]\w+)*"


GREEK_LETTERS = {
    "α": "alpha",
    "β": "beta",
    "γ": "gamma",
    "δ": "delta",
    "ε": "epsilon",
    "κ": "kappa",
    "λ": "lambda",
    "μ": "mu",
    "θ": "theta",
    "ω": "omega",
    "ζ": "zeta",
    "σ": "sigma",
}
_GREEK_NAMES = set(GREEK_LETTERS.values())
_GREEK_TRANSLATION = str.maketrans(GREEK_LETTERS)
_DIGIT = re.compile(r"\d")

# Cell-therapy prefixes that join the next one- or two-letter word: "CAR T" is "CAR-T".
_JOINING_PREFIXES = {"car", "tcr"}
_JOINED_SUFFIXES = {"t", "nk", "m"}


def _is_code(text: str) -> bool:
    """True for drug codes, gene symbols and the like: any digit in the term."""
    return _DIGIT.search(text) is not None


class JoinedModalityFilter(Filter):
    """Joins ``car`` + ``t`` (and ``car nk``, ``tcr t``) written apart into one term."""

    def __call__(self, tokens):
        pending = None
        for token in tokens:
            if pending is not None:
                if token.text in _JOINED_SUFFIXES:
                    pending.text += token.text
                    if token.chars:
                        pending.endchar = token.endchar
                    yield pending
                    pending = None
                    continue
                yield pending
                pending = None
            if token.text in _JOINING_PREFIXES:
                pending = token.copy()
                continue
            yield token
        if pending is not None:
            yield pending


class DomainTermFilter(Filter):
    """Joins codes and splits ordinary hyphenated words, renumbering positions as it goes."""

    def __call__(self, tokens):
        position = 0
        for token in tokens:
            for text, start, end in self._pieces(token.text, getattr(token, "startchar", 0)):
                token.text = text
                if token.positions:
                    token.pos = position
                if token.chars:
                    token.startchar, token.endchar = start, end
                position += 1
                yield token

    @staticmethod
    def _pieces(text: str, start: int):
        """The terms one raw token stands for, each with its character span."""
        end = start + len(text)
        for suffix in ("'s", "’s"):
            if text.endswith(suffix):
                text, end = text[: -len(suffix)], end - len(suffix)
        text = text.replace("’", "'").translate(_GREEK_TRANSLATION)
        parts = text.split("-")
        if len(parts) == 1 or _is_code(text) or any(len(part) == 1 or part in _GREEK_NAMES for part in parts):
            yield text.replace("-", "").replace("'", ""), start, end
            return
        offset = start
        for part in parts:
            yield part.replace("'", ""), offset, offset + len(part)
            offset += len(part) + 1


class CodeAwareStemFilter(StemFilter):
    """English stemming for words, none for codes: ``cldn18.2`` must not lose its tail."""

    def __call__(self, tokens):
        stem = self._stem  # Whoosh's LRU-cached wrapper of the stemmer
        for token in tokens:
            if not token.stopped and not _is_code(token.text) and "." not in token.text:
                token.text = stem(token.text)
            yield token


def domain_analyzer():
    """The analyzer shared by the indexer and the query parser (see the module docstring)."""
    return (
        RegexTokenizer(TOKEN_PATTERN)
        | LowercaseFilter()
        | DomainTermFilter()
        | JoinedModalityFilter()
        | StopFilter(minsize=1)
        | CodeAwareStemFilter()
    )


_TOKEN = re.compile(TOKEN_PATTERN)
_WORD_CHARACTER = re.compile(r"\w")
_JOINERS = "-.'’"  # inside a token (TOKEN_PATTERN)
_LAST_TOKEN = re.compile(rf"({TOKEN_PATTERN})\W*$")
_GREEK_OF_NAME = {name: letter for letter, name in GREEK_LETTERS.items()}


def matching_spans(text: str, terms: set[str]) -> list[tuple[int, int]]:
    """Character spans of the words of ``text`` that ``domain_analyzer`` turns into one of
    ``terms``, in order.

    Fast enough to run on every shown passage: a regular expression finds the words that begin
    as some term does (a stem keeps its word's first letters, hyphens aside), and only those
    are analysed, each with the word after it in case the two join ("CAR T").
    """
    if not terms:
        return []
    spans = set()
    for position in _word_starts(text, _term_starts(frozenset(terms))):
        start = _token_start(text, position)
        words = list(itertools.islice(_TOKEN.finditer(text, start), 2))
        if not words:
            continue
        if words[0].group().lower() in _JOINED_SUFFIXES:  # the "T" of "CAR T" is analysed with its "CAR"
            previous = _LAST_TOKEN.search(text, max(0, start - 40), start)
            if previous and previous.group(1).lower() in _JOINING_PREFIXES:
                start = previous.start(1)
                words = list(itertools.islice(_TOKEN.finditer(text, start), 2))
        joins = len(words) == 2 and words[0].group().lower() in _JOINING_PREFIXES
        end = words[-1].end() if joins else words[0].end()
        spans.update((start + first, start + last) for term, first, last in _analysed(text[start:end]) if term in terms)
    return sorted(spans)


def _word_starts(text: str, pattern: re.Pattern) -> list[int]:
    """Where ``pattern`` matches at the start of a word of ``text``, or just after a hyphen or
    other joiner inside one ("first-in-class" holds the term "class").

    The pattern runs on the lowercased text, which is several times faster than matching
    regardless of case, and where it begins a word is checked here, not by a lookbehind.
    """
    lowered = text.lower()
    if len(lowered) != len(text):  # "İ" lowercases to two characters: keep positions in step
        lowered = "".join(character.lower()[0] for character in text)
    starts = []
    for match in pattern.finditer(lowered):
        position = match.start()
        before = text[position - 1] if position else " "
        if not (before.isalnum() or before == "_") or before in _JOINERS:
            starts.append(position)
    return starts


@functools.lru_cache(maxsize=1024)
def _term_starts(terms: frozenset[str]) -> re.Pattern:
    """Where, in lowercased text, a word that may analyse to one of ``terms`` can begin: near
    enough its first three characters (the analysis of each word found decides). Zero-width,
    so that a match inside a word never hides one at the start of the next."""
    alternatives = set()
    for term in terms:
        # The analyzer spells Greek letters out: "Aβ" is the term "abeta".
        surfaces = {term} | {term.replace(name, letter) for name, letter in _GREEK_OF_NAME.items() if name in term}
        for surface in surfaces:
            # Porter stemming turns a final "y" into "i" ("boys" → "boi"); hyphens and apostrophes go.
            alternatives.add("[-'’]?".join("[iy]" if c == "i" else re.escape(c) for c in surface[:3]))
    return re.compile(rf"(?=(?:{'|'.join(sorted(alternatives))}))")


def _token_start(text: str, position: int) -> int:
    """The start of the raw token (``TOKEN_PATTERN``) that holds the word character at
    ``position``: back over word characters, and over a joiner between two of them."""
    while position > 0:
        if _WORD_CHARACTER.match(text, position - 1):
            position -= 1
        elif text[position - 1] in _JOINERS and position >= 2 and _WORD_CHARACTER.match(text, position - 2):
            position -= 1
        else:
            break
    return position


@functools.lru_cache(maxsize=200_000)
def _analysed(words: str) -> tuple[tuple[str, int, int], ...]:
    return tuple((token.text, token.startchar, token.endchar) for token in _ANALYZER(words, chars=True, mode="index"))


_ANALYZER = domain_analyzer()
