"""Spelling suggestions from an index's own vocabulary: real GlobeNewswire releases, real reindexes."""

import csv
import json
import shutil
from pathlib import Path

import pytest
from whoosh import index as whoosh_index

from indexer.build import reindex
from search.embedded.index_format import Generation, open_generation
from search.spelling import Speller, document_words, read_vocabulary

# Words the releases below hold (some in a single release), and words none of them holds.
HELD_WORDS = ("pembrolizumab", "nivolumab", "trastuzumab", "pancreatic", "thalassemia", "schizophrenia", "alzheimer")
ABSENT_WORDS = ["tarlatamab", "zolbetuximab", "mavacamten", "ferroptosis", "inclisiran", "CLDN18.2"]
FIRST_RELEASES = 250


def release_rows(shared_dir: Path) -> list[dict]:
    """The first releases of the GlobeNewswire set and every one that holds a ``HELD_WORDS`` word."""
    path = shared_dir / "data" / "globenewswire-biotech" / "releases.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    chosen = {
        row["link"]: {"_id": f"gnw-{number}", "title": row["title"], "text": row["summary"]}
        for number, row in enumerate(rows)
        if number < FIRST_RELEASES or any(word in f"{row['title']} {row['summary']}".lower() for word in HELD_WORDS)
    }
    return list(chosen.values())


def write_jsonl(path: Path, rows: list[dict]) -> None:
    path.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8")


@pytest.fixture(scope="module")
def releases(shared_dir) -> list[dict]:
    return release_rows(shared_dir)


@pytest.fixture(scope="module")
def releases_index(releases, tmp_path_factory) -> Path:
    """A real index of a few hundred real releases."""
    directory = tmp_path_factory.mktemp("releases")
    (directory / "corpus").mkdir()
    write_jsonl(directory / "corpus" / "releases.jsonl", releases)
    reindex(directory / "corpus", directory / "index", show_progress=False)
    return directory


def known_by(generation: Generation):
    """``is_known`` as the engine asks it: does the keyword index hold every term of the word?"""
    keyword_index = whoosh_index.open_dir(str(generation.keyword_dir))
    analyzer = keyword_index.schema["text"].analyzer

    def is_known(word: str) -> bool:
        terms = [token.text for token in analyzer(word)]
        with keyword_index.reader() as reader:
            return bool(terms) and all(("text", term) in reader for term in terms)

    return is_known


def suggestion(index_dir: Path, query: str) -> str | None:
    generation = open_generation(index_dir)
    return Speller(read_vocabulary(generation)).suggest(query, known_by(generation))


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("pembrolizumb", "pembrolizumab"),
        ("nivolumb", "nivolumab"),
        ("trastuzamab", "trastuzumab"),
        ("pancratic cancer", "pancreatic cancer"),
        ("thalasemia", "thalassemia"),
        ("schizofrenia trial", "schizophrenia trial"),
        ("Alzhiemer's", None),  # not a plain word: left alone
        ("Alzhiemer disease", "Alzheimer disease"),
        ("PEMBROLIZUMB plus chemotherapy", "PEMBROLIZUMAB plus chemotherapy"),
    ],
)
def test_misspellings_of_real_releases_are_corrected(releases_index, query, expected):
    assert suggestion(releases_index / "index", query) == expected


def test_query_syntax_is_left_alone(releases_index):
    kept = '"pembrolizumb monotherapy" -thalasemia title:pancratic'
    assert suggestion(releases_index / "index", f"{kept} nivolumb") == f"{kept} nivolumab"


@pytest.mark.parametrize("word", [*HELD_WORDS, *ABSENT_WORDS])
def test_correct_and_absent_words_get_no_suggestion(releases_index, word):
    assert suggestion(releases_index / "index", f"{word} phase") is None


def test_suggestions_follow_an_incremental_reindex(releases, releases_index, tmp_path):
    """A word added with a new release is suggested after the index is extended with it, and
    forgotten when that release is removed; the other words stay."""
    corpus, index_dir = tmp_path / "corpus", tmp_path / "index"
    shutil.copytree(releases_index / "corpus", corpus)
    shutil.copytree(releases_index / "index", index_dir)
    assert suggestion(index_dir, "tarlatmab") is None
    new_release = {
        "_id": "tarlatamab-approval",
        "title": "Tarlatamab receives accelerated approval in extensive-stage small cell lung cancer",
        "text": "Tarlatamab, a bispecific T-cell engager targeting DLL3, was approved after the DeLLphi-301 trial.",
    }
    write_jsonl(corpus / "new.jsonl", [new_release])
    assert reindex(corpus, index_dir, show_progress=False).incremental
    assert suggestion(index_dir, "tarlatmab") == "tarlatamab"
    assert suggestion(index_dir, "pembrolizumb") == "pembrolizumab"
    (corpus / "new.jsonl").unlink()
    assert reindex(corpus, index_dir, show_progress=False).incremental
    assert suggestion(index_dir, "tarlatmab") is None
    assert suggestion(index_dir, "pembrolizumb") == "pembrolizumab"


def test_the_vocabulary_holds_words_as_written_and_no_codes():
    assert document_words("Pancreatic cancers: ICP-723, CLDN18.2 and anti-PD-1 in fusion-positive tumours") == {
        "pancreatic",
        "cancers",
        "fusion",
        "positive",
        "tumours",
    }


@pytest.mark.parametrize(
    ("query", "expected"),
    [("tafamdis", "tafamidis"), ("blinatumomb", "blinatumomab"), ("stiripentl dravet", "stiripentol dravet")],
)
def test_bundled_index_suggests_its_own_words(index_dir, query, expected):
    assert suggestion(index_dir, query) == expected
    assert suggestion(index_dir, expected) is None
