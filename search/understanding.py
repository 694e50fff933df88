"""Query understanding: the entities a query names, shown to the user and used to boost the
documents that are about them.

``EpCAM CAR-T gastric`` reads as target EpCAM, modality CAR-T, indication gastric cancer; a
document whose extracted entities hold all three gains the most. The boost multiplies the fused
score, so it reorders documents the retrievers found but never adds one::

    score' = score × (1 + BOOST × matched / recognised)

``BOOST`` was chosen with ``bench/understanding_sweep.py`` on our judged GlobeNewswire queries.
"""

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from search.entities import KIND_LABELS, Entities, code_key, lexicon_name, recognise
from search.fusion import Fused, among

BOOST = 0.3


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

    def names_a_product_or_target(self) -> bool:
        """Whether the query names a drug (code or name) or a target: something a document
        either names or is not about."""
        return any(kind in ("drug_codes", "drug_names", "targets") for kind, _value in self.entities)

    def as_list(self) -> list[dict]:
        return [{"kind": KIND_LABELS[kind], "value": value} for kind, value in self.entities]


def boost(fused: Fused, interpretation: Interpretation, documents_naming: Callable[[str, str], np.ndarray]) -> Fused:
    """``fused`` (keyed by document number) re-scored by the formula of the module docstring,
    best first; ``documents_naming(kind, value)`` gives the numbers of the documents naming an
    entity, sorted."""
    if not interpretation:
        return fused
    matched = sum(among(fused.keys, documents_naming(kind, value)) for kind, value in interpretation.entities)
    if not matched.any():
        return fused
    factors = 1 + BOOST * matched / len(interpretation.entities)
    return dataclasses.replace(fused, scores=fused.scores * factors, boosts=fused.boosts * factors).best_first()


def entity_key(kind: str, value: str) -> str:
    """How a query's entity and a document's compare: drug codes and names as ``code_key``
    does, other kinds regardless of case."""
    return code_key(value) if kind.startswith("drug") else value.lower()
