"""A sharded index (``reindex --shards 3``): the GlobeNewswire releases routed to three shards
by a hash of their ids, searched through ``ShardSet``, rank as the one index of them all does,
with equal keyword scores; near-duplicates fold across shards; a reindex extends each shard."""

import json
import os
import shutil

import pytest
from conftest import ROOT

from indexer.build import reindex, shard_of
from search.embedded.index_format import open_generation
from search.embedded.shard import EmbeddedShard
from search.pipeline import Searcher

SHARDS = 3  # as conftest's sharded_globenewswire_index
pytestmark = pytest.mark.slow  # indexes the GlobeNewswire releases
JUDGED = ROOT / "bench" / "judged" / "globenewswire" / "queries.jsonl"


@pytest.fixture(scope="module")
def sharded(sharded_globenewswire_index) -> Searcher:
    return Searcher(sharded_globenewswire_index)


def judged_queries() -> list[str]:
    return [json.loads(line)["text"] for line in JUDGED.open(encoding="utf-8") if line.strip()]


def test_three_shards_give_the_top_ten_of_one_index_with_its_keyword_scores(globenewswire, sharded):
    assert len(sharded.current().shard.shards) == SHARDS
    for query in judged_queries():
        for mode in ("hybrid", "keyword"):
            one, split = globenewswire.search(query, mode=mode), sharded.search(query, mode=mode)
            assert split["total"] == one["total"], (query, mode)
            # equal scores rank by doc_id in both, so even ties come in one order
            assert [hit["doc_id"] for hit in split["hits"]] == [hit["doc_id"] for hit in one["hits"]], (query, mode)
            for ours, theirs in zip(split["hits"], one["hits"], strict=True):
                expected = theirs["keyword_score"]  # None: found by the semantic side alone
                assert ours["keyword_score"] == (expected and pytest.approx(expected, rel=1e-9)), (query, mode)


def test_three_shards_count_facets_and_read_passages_as_one_index(globenewswire, sharded):
    one, split = globenewswire.search("orphan drug designation"), sharded.search("orphan drug designation")
    assert split["facets"] == one["facets"]
    assert [hit["passage"]["text"] for hit in split["hits"]] == [hit["passage"]["text"] for hit in one["hits"]]
    doc_id = one["hits"][0]["doc_id"]
    assert sharded.document(doc_id)["body"] == globenewswire.document(doc_id)["body"]


def test_each_shard_holds_the_documents_its_hash_routes_to(sharded_globenewswire_index, globenewswire):
    generation = open_generation(sharded_globenewswire_index)
    assert [shard.path.name for shard in generation.shards] == ["shard-0", "shard-1", "shard-2"]
    held = [set(EmbeddedShard(shard).table.doc_ids) for shard in generation.shards]
    assert set().union(*held) == set(globenewswire.current().table.doc_ids)
    for number, doc_ids in enumerate(held):
        assert doc_ids and all(shard_of(doc_id, SHARDS) == number for doc_id in doc_ids)


def test_near_duplicates_fold_across_shards(globenewswire, sharded):
    """Groups are found over the whole corpus, so two versions of one news item in different
    shards fold into one hit, as in the one index."""
    table = sharded.current().table
    spanning = {}
    for doc_id in table.doc_ids:
        spanning.setdefault(table.group_of[doc_id], set()).add(shard_of(doc_id, SHARDS))
    groups = [group for group, shards in spanning.items() if len(shards) > 1]
    assert groups, "the releases hold near-duplicates routed to different shards"
    title = sharded.document(groups[0])["title"]
    one, split = globenewswire.search(title), sharded.search(title)
    assert split["total"] == one["total"]
    assert split["hits"][0]["doc_id"] == one["hits"][0]["doc_id"]
    assert len(split["hits"][0]["other_versions"]) == len(one["hits"][0]["other_versions"]) > 0


def test_a_reindex_extends_each_shard_and_switches_them_together(
    globenewswire_dataset, sharded_globenewswire_index, tmp_path
):
    """One changed release: each shard extends its own part, only the changed passage is
    embedded, and a searcher open on the index moves to the new generation, every shard at once."""
    directory = tmp_path / "index"
    shutil.copytree(sharded_globenewswire_index, directory, copy_function=os.link)
    searcher = Searcher(directory)
    lines = (globenewswire_dataset / "corpus.jsonl").read_text(encoding="utf-8").splitlines()
    changed = json.loads(lines[0])
    changed["text"] += " The zorbivalent cohort enrolled its last patient."
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text("\n".join([json.dumps(changed), *lines[1:]]) + "\n", encoding="utf-8")
    report = reindex(corpus, directory, show_progress=False)  # keeps the index's three shards
    assert (report.shards, report.incremental, report.changed, report.encoded) == (SHARDS, True, 1, 1)
    found = searcher.search("zorbivalent", mode="keyword")["hits"]
    assert [hit["doc_id"] for hit in found] == [changed["_id"]]
    assert searcher.current().manifest["documents"] == len(lines)

    report = reindex(corpus, directory, show_progress=False, shards=2)
    assert (report.shards, report.incremental, report.encoded) == (2, False, 0)  # rebuilt, vectors reused
    assert len(searcher.current().shard.shards) == 2
    assert [hit["doc_id"] for hit in searcher.search("zorbivalent", mode="keyword")["hits"]] == [changed["_id"]]
