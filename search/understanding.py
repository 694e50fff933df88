"""Query understanding: the entities a query names and what it asks to have happened
(``search.intent``), shown to the user and used to boost the documents that match them.

``EpCAM CAR-T gastric`` reads as target EpCAM, modality CAR-T, indication gastric cancer; a
document whose extracted entities hold all three gains the most. ``orphan designation
Duchenne`` also asks for a designation of the orphan kind, which a release announcing one
holds and a release that merely names Duchenne does not. ``MASH`` names a subject and no event:
it asks for news about it, so a release announcing material news (a designation, a readout, an
approval, a deal: ``search.intent.MATERIAL_EVENTS``) matches one thing more than a quarterly
report or a conference notice that names MASH. The boost multiplies the fused score, so it
reorders documents the retrievers found but never adds one::

    score' = score × (1 + boost × matched / recognised)

A short query is a list of what it is about (``approval Japan``, ``KRAS cancer vaccine``), so
what it names weighs heavily (``SHORT_BOOST``); a sentence or a pasted claim names things in
passing, and its boost stays small (``LONG_BOOST``, the boost every query had before): on
SciFact's claims a large one costs nDCG. ``SHORT_BOOST`` was chosen with
``bench/understanding_sweep.py`` on the GlobeNewswire dev split (BENCHMARKS.md).
"""

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from search.entities import KIND_LABELS, Entities, code_key, lexicon_name, recognise
from search.facets import DESIGNATION_LABELS, EVENT_LABELS
from search.fusion import Fused, among
from search.intent import MATERIAL_EVENTS, Asked, asked, event_asked
from search.query import SHORT_QUERY_WORDS

SHORT_BOOST = 1.2
LONG_BOOST = 0.3


@dataclass(frozen=True)
class Interpretation:
    """What a query was understood to name, as ``(kind, canonical value)`` pairs, and to ask
    for (``search.intent.Asked``)."""

    entities: tuple[tuple[str, str], ...] = ()
    asked: tuple[Asked, ...] = ()
    short: bool = True  # a query of at most SHORT_QUERY_WORDS words
    news: bool = False  # a short query naming a subject and no event: it wants material news

    @classmethod
    def of(cls, text: str) -> "Interpretation":
        found: Entities = recognise(text)
        if not found.indications:  # a bare organ in a short query names its cancer: "EpCAM CAR-T gastric"
            found.indications = [
                name for word in text.split() if (name := lexicon_name("indication", f"{word} cancer"))
            ]
        entities = tuple((kind, value) for kind in KIND_LABELS for value in getattr(found, kind))
        short = len(text.split()) <= SHORT_QUERY_WORDS
        if not short:  # a sentence (a claim, a patient's case) names events in passing: it asks for none
            return cls(entities, (), short)
        named_regulators = {value for kind, value in entities if kind == "regulators"}
        wanted = tuple(_without(item, named_regulators) for item in asked(text))
        wanted = tuple(item for item in wanted if item.values)
        return cls(entities, wanted, short, news=bool(entities) and not event_asked(wanted))

    def __bool__(self) -> bool:
        return bool(self.entities or self.asked)

    def names_a_product_or_target(self) -> bool:
        """Whether the query names a drug (code or name) or a target: something a document
        either names or is not about."""
        return any(kind in ("drug_codes", "drug_names", "targets") for kind, _value in self.entities)

    def as_list(self) -> list[dict]:
        named = [{"kind": KIND_LABELS[kind], "value": value} for kind, value in self.entities]
        asked_for = [{"kind": _ASKED_LABELS[item.kind], "value": _shown(item)} for item in self.asked]
        return named + asked_for + ([{"kind": "event", "value": "news, before routine notices"}] if self.news else [])


MATERIAL_NEWS = tuple(sorted(MATERIAL_EVENTS))
_ASKED_LABELS = {"event": "event", "designations": "designation", "regulators": "regulator", "territories": "territory"}


def _shown(item: Asked) -> str:
    """How the page names what was asked: an event or territory as asked (not the ones it
    also accepts), in words."""
    labels = {"event": EVENT_LABELS, "designations": DESIGNATION_LABELS}.get(item.kind, {})
    values = item.values[:1] if item.kind in ("event", "territories") else item.values
    return ", ".join(labels.get(value, value) for value in values)


def boost(fused: Fused, interpretation: Interpretation, documents_naming: Callable[[str, str], np.ndarray]) -> Fused:
    """``fused`` (keyed by document number) re-scored by the formula of the module docstring,
    best first; ``documents_naming(kind, value)`` gives the numbers of the documents naming an
    entity, sorted."""
    if not interpretation:
        return fused
    asked = [*interpretation.asked, *([Asked("event", MATERIAL_NEWS)] if interpretation.news else [])]
    matched = entities_held(fused.keys, interpretation, documents_naming)
    matched = matched + sum(holding(fused.keys, item, documents_naming) for item in asked)
    if not np.any(matched):
        return fused
    strength = SHORT_BOOST if interpretation.short else LONG_BOOST
    factors = 1 + strength * matched / (len(interpretation.entities) + len(asked))
    return dataclasses.replace(fused, scores=fused.scores * factors, boosts=fused.boosts * factors).best_first()


def _without(item: Asked, named_regulators: set[str]) -> Asked:
    """``item`` without the regulators the query names outright (one of its entities already)."""
    if item.kind != "regulators":
        return item
    return Asked(item.kind, tuple(value for value in item.values if value not in named_regulators))


def entities_held(
    keys: np.ndarray, interpretation: Interpretation, documents_naming: Callable[[str, str], np.ndarray]
) -> np.ndarray:
    """How many of the entities the query names each of ``keys`` holds."""
    return sum(
        (among(keys, documents_naming(kind, value)) for kind, value in interpretation.entities),
        np.zeros(len(keys), dtype=np.int64),
    )


def holding(keys: np.ndarray, item: Asked, documents_naming: Callable[[str, str], np.ndarray]) -> np.ndarray:
    """Which of ``keys`` hold any of ``item``'s values."""
    return np.logical_or.reduce([among(keys, documents_naming(item.kind, value)) for value in item.values])


def entity_key(kind: str, value: str) -> str:
    """How a query's entity and a document's compare: drug codes and names as ``code_key``
    does, other kinds regardless of case."""
    return code_key(value) if kind.startswith("drug") else value.lower()
