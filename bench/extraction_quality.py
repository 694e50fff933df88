"""How well extraction agrees with hand labels: event accuracy, and precision and recall of the
drug codes and regulators found, micro-averaged over a labelled sample of releases."""

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from indexer.documents import Document
from indexer.entities import document_entities
from search.entities import code_key


@dataclass
class FieldScore:
    """Counts for one list-valued field; precision and recall are 1.0 when nothing was to find."""

    true_positives: int = 0
    found: int = 0
    expected: int = 0

    @property
    def precision(self) -> float:
        return self.true_positives / self.found if self.found else 1.0

    @property
    def recall(self) -> float:
        return self.true_positives / self.expected if self.expected else 1.0

    def add(self, found: list[str], expected: list[str], key: Callable[[str], str]) -> None:
        found_keys, expected_keys = {key(value) for value in found}, {key(value) for value in expected}
        self.true_positives += len(found_keys & expected_keys)
        self.found += len(found_keys)
        self.expected += len(expected_keys)


def score_extraction(labels: list[dict], extracted: dict[str, dict]) -> dict:
    """Scores of ``extracted`` (by release id: ``event``, ``drug_codes``, ``regulators``) against
    ``labels`` (the same fields, by hand), with the releases whose event was missed."""
    codes, regulators = FieldScore(), FieldScore()
    correct, confusions = 0, []
    for label in labels:
        found = extracted[label["_id"]]
        correct += found["event"] == label["event"]
        if found["event"] != label["event"]:
            confusions.append((label["_id"], label["event"], found["event"]))
        codes.add(found["drug_codes"], label["drug_codes"], code_key)
        regulators.add(found["regulators"], label["regulators"], str.lower)
    return {
        "releases": len(labels),
        "event_accuracy": correct / len(labels) if labels else 1.0,
        "drug_codes": {"precision": codes.precision, "recall": codes.recall, "found": codes.found},
        "regulators": {"precision": regulators.precision, "recall": regulators.recall, "found": regulators.found},
        "event_errors": confusions,
    }


def read_labels(path: Path) -> list[dict]:
    """The labelled releases of a ``labels.jsonl`` (one JSON object a line)."""
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def extract_releases(documents: list[Document]) -> dict[str, dict]:
    """``document_entities`` of each document, by id."""
    return {document.doc_id: document_entities(document) for document in documents}
