"""Query understanding: the entities a query names, shown to the user and used to boost the
documents that are about them.

``EpCAM CAR-T gastric`` reads as target EpCAM, modality CAR-T, indication gastric cancer; a
document whose extracted entities hold all three gains the most. The boost multiplies the fused
score, so it reorders documents the retrievers found but never adds one::

    score' = score × (1 + BOOST × matched / recognised)

``BOOST`` was chosen with ``bench/understanding_sweep.py`` on our judged GlobeNewswire queries.
"""

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from search.entities import Entities, code_key, lexicon_name, recognise
from search.fusion import FusedHit

BOOST = 0.3

# Entity kinds a query may name, with the label the page shows for each.
KIND_LABELS = {
    "drug_codes": "drug",
    "drug_names": "drug",
    "targets": "target",
    "modalities": "modality",
    "indications": "indication",
    "phases": "phase",
    "regulators": "regulator",
}


@dataclass(frozen=True)
class Interpretation:
    """What a query was understood to name: ``(kind, canonical value)`` pairs."""

    entities: tuple[tuple[str, str], ...] = ()

    @classmethod
    def of(cls, text: str) -> "Interpretation":
        found: Entities = recognise(text)
        if not found.indications:  # a bare organ in a short query names its cancer: "EpCAM CAR-T gastric"
            found.indications = [
                name for word in text.split() if (name := lexicon_name("indication", f"{word} cancer"))
            ]
        return cls(tuple((kind, value) for kind in KIND_LABELS for value in getattr(found, kind)))

    def __bool__(self) -> bool:
        return bool(self.entities)

    def as_list(self) -> list[dict]:
        return [{"kind": KIND_LABELS[kind], "value": value} for kind, value in self.entities]


def boost(
    ranked: list[FusedHit], interpretation: Interpretation, documents_naming: Callable[[str, str], set[str]]
) -> list[FusedHit]:
    """``ranked`` re-scored by the formula of the module docstring, best first;
    ``documents_naming(kind, value)`` gives the ids of the documents naming an entity. The hits
    are re-scored in place: they are the fusion's, made for this one request, and copying
    each boosted one took a third of a GlobeNewswire query's fusion."""
    if not interpretation:
        return ranked
    keys = {hit.key for hit in ranked}
    # Set intersection walks the smaller set: the result list, not every document naming "cancer".
    matched = Counter(key for kind, value in interpretation.entities for key in keys & documents_naming(kind, value))
    if not matched:
        return ranked
    size = len(interpretation.entities)
    for hit in ranked:
        if hit.key in matched:
            factor = 1 + BOOST * matched[hit.key] / size
            hit.score, hit.boost = hit.score * factor, round(factor, 4)
    return sorted(ranked, key=lambda hit: -hit.score)


def entity_key(kind: str, value: str) -> str:
    """How a query's entity and a document's compare: drug codes and names as ``code_key``
    does, other kinds regardless of case."""
    return code_key(value) if kind.startswith("drug") else value.lower()
