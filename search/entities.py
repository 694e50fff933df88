"""Recognising the things analysts track in any text: drugs, targets, indications, modalities,
phases and regulators. Rules and lexicons only — fast, and nothing to download.

The same recogniser reads documents at index time (``indexer.entities``) and queries at search
time (``search.understanding``), which is why it lives on the reader's side.

>>> found = recognise("Immunofoco's EpCAM CAR-T IMC001 is cleared by the CDE for gastric cancer")
>>> found.targets, found.modalities, found.drug_codes, found.regulators, found.indications
(['EpCAM'], ['CAR-T'], ['IMC001'], ['NMPA'], ['gastric cancer'])
"""

import functools
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path

VOCABULARY_DIR = Path(__file__).with_name("vocabulary")
MAX_PHRASE_TOKENS = 8

# Entity kinds, in the order they are shown, with the label the page shows for each; each kind
# is a field of ``Entities``.
KIND_LABELS = {
    "drug_codes": "drug",
    "drug_names": "drug",
    "targets": "target",
    "modalities": "modality",
    "indications": "indication",
    "phases": "phase",
    "regulators": "regulator",
}
KINDS = tuple(KIND_LABELS)


@dataclass
class Entities:
    """What was recognised in one text; each list holds canonical names, first mention first."""

    drug_codes: list[str] = field(default_factory=list)
    drug_names: list[str] = field(default_factory=list)
    targets: list[str] = field(default_factory=list)
    modalities: list[str] = field(default_factory=list)
    indications: list[str] = field(default_factory=list)
    phases: list[str] = field(default_factory=list)
    regulators: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, list[str]]:
        return asdict(self)

    def __bool__(self) -> bool:
        return any(getattr(self, kind) for kind in KINDS)


def recognise(text: str) -> Entities:
    """Every entity ``recognise`` knows, in ``text``."""
    phrases = _phrase_matches(text)
    names = drug_names(text)
    return Entities(
        drug_codes=drug_codes(text),
        drug_names=names,
        targets=phrases["target"],
        modalities=_unique(phrases["modality"] + _inn_modalities(names)),
        indications=phrases["indication"],
        phases=phases(text),
        regulators=phrases["regulator"],
    )


# --- Lexicon phrases: targets, indications, modalities, regulators --------------------------

_TOKEN = re.compile(r"[^\W_]+(?:\.[0-9]+)*")  # letters of any alphabet (TNFα, Zulassung), CLDN18.2

# The lexicons of phrases, by the kind they name; where one phrase is in two, the first wins.
PHRASE_LEXICONS = (
    ("modality", "modalities.txt"),
    ("regulator", "regulators.txt"),
    ("target", "targets.txt"),
    ("indication", "indications.txt"),
)


@dataclass(frozen=True)
class _Phrase:
    kind: str
    canonical: str
    case_sensitive_form: str | None  # the exact spelling required, for ambiguous members


def _normal_tokens(text: str) -> list[str]:
    """Lower-case word tokens with hyphens and spaces alike; long plurals folded (tumours → tumour)."""
    return [_fold_plural(token.lower()) for token in _TOKEN.findall(text)]


def _fold_plural(token: str) -> str:
    if len(token) >= 5 and token.endswith("s") and not token.endswith(("ss", "is", "us")):
        return token[:-1]
    return token


def read_lexicon(path: Path) -> list[tuple[list[str], bool]]:
    """A lexicon file: ``canonical | synonym | …`` a line, ``#`` comments; lines marked
    ``# ambiguous`` match in their written case only."""
    entries = []
    for line in path.read_text(encoding="utf-8").splitlines():
        content, _, comment = line.partition("#")
        members = [member.strip() for member in content.split("|") if member.strip()]
        if members:
            entries.append((members, "ambiguous" in comment))
    return entries


def _read_words(file_name: str) -> frozenset[str]:
    """A word list of the vocabulary: a word a line, ``#`` comments."""
    return frozenset(members[0] for members, _ in read_lexicon(VOCABULARY_DIR / file_name))


# Regulators' canonical names, in the order the search page lists them.
REGULATORS = tuple(members[0] for members, _ in read_lexicon(VOCABULARY_DIR / "regulators.txt"))


@functools.lru_cache(maxsize=1)
def _phrase_table() -> dict[tuple[str, ...], _Phrase]:
    """Every known phrase as its token tuple; a lexicon line's members all name its first member."""
    table: dict[tuple[str, ...], _Phrase] = {}
    for kind, file_name in PHRASE_LEXICONS:
        for members, ambiguous in read_lexicon(VOCABULARY_DIR / file_name):
            for member in members:
                tokens = tuple(_normal_tokens(member))
                exact = member if ambiguous or _is_short_capitals(member) else None
                table.setdefault(tokens, _Phrase(kind, members[0], exact))
    return table


def _is_short_capitals(member: str) -> bool:
    """Abbreviations such as ``ASO``, ``TIL`` or ``CDE`` are words in lower case ("aso", "til")."""
    return member.isupper() and len(member) <= 4 and member.isalpha()


@functools.lru_cache(maxsize=1)
def _phrase_lengths() -> dict[str, list[int]]:
    """For each first token, the lengths of the phrases that start with it, longest first."""
    lengths: dict[str, set[int]] = {}
    for tokens in _phrase_table():
        if tokens and len(tokens) <= MAX_PHRASE_TOKENS:
            lengths.setdefault(tokens[0], set()).add(len(tokens))
    return {first: sorted(sizes, reverse=True) for first, sizes in lengths.items()}


def _phrase_matches(text: str) -> dict[str, list[str]]:
    """Canonical names of the lexicon phrases in ``text``, longest match first at each place."""
    found: dict[str, list[str]] = {"target": [], "indication": [], "modality": [], "regulator": []}
    spans = [(match.group(), match.start(), match.end()) for match in _TOKEN.finditer(text)]
    tokens = [_fold_plural(written.lower()) for written, _, _ in spans]
    table, lengths = _phrase_table(), _phrase_lengths()
    position = 0
    while position < len(tokens):
        step = 1
        for size in lengths.get(tokens[position], ()):
            if position + size > len(tokens):
                continue
            phrase = table.get(tuple(tokens[position : position + size]))
            end = spans[position + size - 1][2]
            if phrase and _written_as_required(phrase, text, spans[position][1], end) and not _in_code(text, end):
                if phrase.canonical not in found[phrase.kind]:
                    found[phrase.kind].append(phrase.canonical)
                step = size
                break
        position += step
    return found


def lexicon_name(kind: str, phrase: str) -> str | None:
    """The canonical name of ``phrase`` if it is a whole lexicon entry of ``kind`` (``target``,
    ``indication``, ``modality``, ``regulator``)."""
    found = _phrase_table().get(tuple(_normal_tokens(phrase)))
    return found.canonical if found and found.kind == kind else None


def _in_code(text: str, end: int) -> bool:
    """A phrase followed by ``-`` and a digit is the prefix of a drug code (TSC-100), not a name."""
    return text[end : end + 1] == "-" and text[end + 1 : end + 2].isdigit()


def _written_as_required(phrase: _Phrase, text: str, start: int, end: int) -> bool:
    if phrase.case_sensitive_form is None:
        return True
    written = re.sub(r"[\s-]+", "", text[start:end])
    return written == re.sub(r"[\s-]+", "", phrase.case_sensitive_form)


# --- Drug codes ----------------------------------------------------------------------------

# Development codes: letters then digits, with or without a hyphen (NTLA-2002, ICP-723, IMC001,
# VAX-31, PF-06939926, RP-L201, 4D-150, mRNA-1283, BNT162b2).
_CODE = re.compile(
    r"(?<![\w.-])(?:"
    r"[A-Z][A-Za-z]{0,5}-[A-Z]?\d{2,7}[A-Za-z]{0,3}\d{0,2}"  # NTLA-2002, VAX-31, RP-L201, IMC-F106C
    r"|[A-Z]{2,6}\d{3,8}[A-Za-z]{0,2}\d{0,2}"  # IMC001, BNC210, LY3537982, BNT162b2
    r"|[A-Z]{3,6}\d{2}"  # SNK01
    r"|[A-Z]{1,5}-[A-Z]{2,6}\d{1,3}[A-Z]?"  # PGN-EDODM1, D-PLEX100, ARO-APOC3
    r"|\d[A-Z]-\d{2,4}"  # 4D-150
    r"|[A-Z]{2,5}-\d{1,2}-\d{2,4}"  # IMM-1-104
    r"|[A-Z]{2}[a-z]{1,3}\d{3,6}"  # XPro1595
    r"|mRNA-\d{3,5}"
    r")(?![\w-]*\d{4}-)(?!\.\d)(?=[^\w-]|-(?![\w])|$)"
)
# Letter prefixes of codes-that-are-not: targets, viruses, trial registries, congresses, periods
# of a financial year… (IL-23, NCT05120830, ASCO2024, FY2025).
_NOT_CODE_PREFIXES = _read_words("not_code_prefixes.txt")


def drug_codes(text: str) -> list[str]:
    """Development codes of drugs named in ``text``, first mention first, each once (folded:
    ``ICP723`` and ``ICP-723`` are one code, kept as first written)."""
    codes: dict[str, str] = {}
    for match in _CODE.finditer(text):
        code = match.group()
        if _is_code(code):
            codes.setdefault(code_key(code), code)
    return list(codes.values())


def code_key(code: str) -> str:
    """How codes compare: case, hyphens and spaces do not matter (ICP-723 = icp723)."""
    return re.sub(r"[\s-]+", "", code).lower()


def _is_code(code: str) -> bool:
    prefix = re.match(r"[A-Za-z]+", code)
    if prefix and prefix.group().lower() in _NOT_CODE_PREFIXES:
        return False
    if code_key(code) in _target_keys():
        return False
    # BIO2024 and Mid-2025 are years; NTLA-2002 is a code (capitals before its hyphen).
    return not re.fullmatch(r"[A-Za-z]+-?(19|20)\d\d", code) or bool(re.fullmatch(r"[A-Z]{2,}-\d+", code))


@functools.lru_cache(maxsize=1)
def _target_keys() -> frozenset[str]:
    return frozenset(
        code_key(member) for members, _ in read_lexicon(VOCABULARY_DIR / "targets.txt") for member in members
    )


# --- International non-proprietary names (INNs) ----------------------------------------------

# WHO/USAN stems that end an INN, with the modality the stem implies (None: no single one).
INN_STEMS = {
    members[0]: members[1] if len(members) > 1 else None
    for members, _ in read_lexicon(VOCABULARY_DIR / "inn_stems.txt")
}
_STEMS_LONGEST_FIRST = sorted(INN_STEMS, key=len, reverse=True)
_INN = re.compile(r"\b[a-z]{3,}(?:" + "|".join(map(re.escape, _STEMS_LONGEST_FIRST)) + r")\b", re.IGNORECASE)
# Words with an INN's ending that are not drugs.
_NOT_INNS = _read_words("not_inns.txt")


def drug_names(text: str) -> list[str]:
    """INNs in ``text`` (pembrolizumab, zoleretinib, exagamglogene autotemcel), lower case, once each."""
    names: list[str] = []
    for match in _INN.finditer(text):
        name = match.group().lower()
        if name not in _NOT_INNS and not name.endswith("ase") and len(name) >= 7 and name not in names:
            names.append(name)
    return names


def _inn_modalities(names: list[str]) -> list[str]:
    """The modalities the stems of INNs imply (``-mab`` → monoclonal antibody)."""
    modalities = []
    for name in names:
        stem = next(stem for stem in _STEMS_LONGEST_FIRST if name.endswith(stem))
        if INN_STEMS[stem] and INN_STEMS[stem] not in modalities:
            modalities.append(INN_STEMS[stem])
    return modalities


# --- Phases --------------------------------------------------------------------------------

_ROMAN = {"i": "1", "ii": "2", "iii": "3", "iv": "4"}
_PHASE = re.compile(
    r"\b(?:phase|phase-|ph\.?|Phase)\s*-?\s*(?P<first>[1-4]|iv|iii|ii|i)(?P<letter>[ab])?"
    r"(?:\s*(?:/|-|and)\s*(?:phase\s*)?(?P<second>[1-4]|iv|iii|ii|i)(?:[ab])?)?\b",
    re.IGNORECASE,
)


def phases(text: str) -> list[str]:
    """Trial phases named in ``text``, in the corpus vocabulary (``Phase 1/2``, ``Phase 3``)."""
    found = []
    for match in _PHASE.finditer(text):
        first = _ROMAN.get(match["first"].lower(), match["first"])
        second = match["second"] and _ROMAN.get(match["second"].lower(), match["second"])
        name = f"Phase {first}/{second}" if second and second != first else f"Phase {first}"
        if name not in found:
            found.append(name)
    return found


def _unique(values: list[str]) -> list[str]:
    return list(dict.fromkeys(values))
