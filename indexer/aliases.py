"""Mining name ↔ code pairs from the corpus: "zoleretinib (ICP-723)" makes the two aliases.

Announcements introduce a drug by name with its code in brackets, or the other way round.
Pairs found so become alias groups of the generation, each with the document it came from,
so a query for either finds both.
"""

import re
from collections.abc import Iterable

from indexer.documents import Document

# A development code: letters, an optional hyphen, digits, an optional letter tail (ICP-723,
# NTLA-2002, IMC001, BNT324, RZ358, CAP-1002); not acceptance numbers, NCT ids or years.
CODE = r"(?:[A-Z]{2,6}-?\d{2,5}[A-Za-z]?)"
# An INN by its stem (-mab, -tinib, -cel, -gene, -siran, -cept …) or a brand in capitals.
NAME = (
    r"(?:[A-Za-z][a-z-]{3,}(?:mab|nib|cel|gene|siran|rsen|tide|stat|vir|cept|ase|parin|fermin|lisib|ciclib|"
    r"tug|leucel|temcel|vec|sertib|degib|zomib|platin|taxel|rubicin|semide|olol|sartan|gliptin|gliflozin)"
    r"|[A-Z]{4,})"
)
NAME_THEN_CODE = re.compile(rf"\b({NAME})\s*\(\s*({CODE})\s*\)")
CODE_THEN_NAME = re.compile(rf"\b({CODE})\s*\(\s*({NAME})\s*\)")
# Trial and acceptance numbers, years, and gene symbols (IL-36R, CD19) look like codes but are not.
_NOT_CODES = re.compile(
    r"^(?:NCT\d+|CXSL\d+|COVID-?19|[A-Z]+-?(?:19|20)\d\d|(?:IL|CD|PD|HER|FGF|GLP|TLR|JAK|CDK)-?\d+[A-Za-z]?)$",
    re.IGNORECASE,
)


def mine_aliases(documents: Iterable[Document]) -> list[dict]:
    """``[{"names": [name, code], "doc_id": first document}]``, one entry per distinct pair."""
    pairs: dict[tuple[str, str], str] = {}
    for document in documents:
        text = f"{document.title}\n{document.body}"
        found = [(name, code) for name, code in NAME_THEN_CODE.findall(text)]
        found += [(name, code) for code, name in CODE_THEN_NAME.findall(text)]
        for name, code in found:
            if _NOT_CODES.match(code):
                continue
            pairs.setdefault((name.lower(), code.upper()), document.doc_id)
    return [{"names": [name, code], "doc_id": doc_id} for (name, code), doc_id in sorted(pairs.items())]


def extended_aliases(held: list[dict], removed_doc_ids: set[str], added: list[Document]) -> list[dict]:
    """``held`` (what ``mine_aliases`` found in a generation) less the pairs first found in a
    removed document, plus ``added``'s pairs not held yet, in ``mine_aliases``' order: what mining
    the kept documents, then the added ones, finds, except for a pair a removed document and a
    kept one share (it goes, until a full reindex mines the kept one again)."""
    pairs = {tuple(entry["names"]): entry["doc_id"] for entry in held if entry["doc_id"] not in removed_doc_ids}
    for entry in mine_aliases(added):
        pairs.setdefault(tuple(entry["names"]), entry["doc_id"])
    return [{"names": list(names), "doc_id": doc_id} for names, doc_id in sorted(pairs.items())]
