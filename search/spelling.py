"""Spelling suggestions ("did you mean") for query words the index does not know, from its own words.

The keyword index holds stems ("pancreat"), which cannot be shown to a user, so the indexer also
counts the plain words of every document as written (lower-cased) into the generation's
vocabulary file (``indexer.build``). ``Speller`` looks an unknown query word up there with
SymSpell (symmetric delete, Garbe 2012): the nearest word by Damerau–Levenshtein (OSA) distance,
and of several equally near, the one most documents hold. bench/spelling.py measured it against
Whoosh's correctors on misspellings of words in real releases.
"""

import json
import re
import threading
from collections import Counter
from collections.abc import Callable, Iterable

from symspellpy import SymSpell, Verbosity

from search.analysis import TOKEN_PATTERN
from search.embedded.index_format import VOCABULARY_FILE, Generation

# Words shorter than this are not corrected: too many words lie one edit away from them.
MIN_WORD_LENGTH = 5
# Words this long may be two edits from their correction, shorter ones only one.
TWO_EDIT_LENGTH = 9
MAX_EDITS = 2
# The shortest vocabulary word that can be the correction (one edit from a shortest word).
MIN_VOCABULARY_LENGTH = MIN_WORD_LENGTH - 1

_TOKEN = re.compile(TOKEN_PATTERN)
_JOINERS = re.compile(r"[-.'’]")
_DIGIT = re.compile(r"\d")
# A quoted phrase, closed or not, or a run of other non-space characters.
_QUERY_PART = re.compile(r'"[^"]*"?|[^\s"]+')


def document_words(text: str) -> set[str]:
    """The distinct plain words of ``text``, lower-cased: its tokens (``TOKEN_PATTERN``) split at
    hyphens, dots and apostrophes, without those holding a digit. A code with one digit wrong may
    be another real code, so codes are neither corrected nor offered as corrections.

    >>> sorted(document_words("Pembrolizumab plus ICP-723 in fusion-positive tumours"))
    ['fusion', 'pembrolizumab', 'plus', 'positive', 'tumours']
    """
    words = set()
    for token in _TOKEN.findall(text.lower()):
        if token.isalpha():
            words.add(token)
        elif not _DIGIT.search(token):
            words.update(_JOINERS.split(token))
    return {word for word in words if len(word) >= MIN_VOCABULARY_LENGTH and word.isalpha()}


def count_words(texts: Iterable[str]) -> Counter:
    """How many of ``texts`` hold each plain word (``document_words``)."""
    counts: Counter = Counter()
    for text in texts:
        counts.update(document_words(text))
    return counts


def read_vocabulary(generation: Generation) -> Counter:
    """The generation's word counts (``{"word": documents}``)."""
    return Counter(json.loads((generation.path / VOCABULARY_FILE).read_text(encoding="utf-8")))


def allowed_edits(word: str) -> int:
    """How many edits a correction of ``word`` may be from it (0: do not correct it)."""
    if len(word) < MIN_WORD_LENGTH:
        return 0
    return MAX_EDITS if len(word) >= TWO_EDIT_LENGTH else 1


class Speller:
    """Corrections from a vocabulary of ``word → documents``; safe to share between threads.

    SymSpell's index of deletions is built when the first word needs a correction (about 1 s and
    80 MB at 200,000 passages, bench/spelling.py), so that neither opening a generation nor a
    query that needs no correction pays for it.
    """

    def __init__(self, counts: dict[str, int]):
        self._counts = counts
        self._symspell: SymSpell | None = None
        self._building = threading.Lock()

    def suggest(self, query: str, is_known: Callable[[str], bool]) -> str | None:
        """``query`` with each plain word that ``is_known`` says the index does not match replaced
        by its correction, or None when no word has one. Quoted phrases, ``-word``, ``+word``,
        ``field:value`` and words holding digits or punctuation are left as they are."""

        def corrected(match: re.Match) -> str:
            part = match.group()
            if not part.isalpha() or not allowed_edits(part) or is_known(part):
                return part
            return self.correction(part) or part

        suggestion = _QUERY_PART.sub(corrected, query)
        return suggestion if suggestion != query else None

    def correction(self, word: str) -> str | None:
        """The vocabulary word nearest ``word`` that begins with the same letter (few typos touch
        the first one), in ``word``'s case; None if ``word`` is in the vocabulary or none is near."""
        edits = allowed_edits(word)
        if not edits:
            return None
        # Nearest first, then held by the most documents.
        for found in self._index().lookup(word, Verbosity.ALL, edits, transfer_casing=True):
            if found.distance == 0:
                return None
            if found.term[0].lower() == word[0].lower():
                return found.term
        return None

    def _index(self) -> SymSpell:
        with self._building:
            if self._symspell is None:
                symspell = SymSpell(max_dictionary_edit_distance=MAX_EDITS)
                for word, count in self._counts.items():
                    symspell.create_dictionary_entry(word, count)
                self._symspell = symspell
        return self._symspell
