"""The shard seam: the GlobeNewswire releases split into three shards, searched through
``ShardSet``, rank as the one index of them all does, with equal keyword scores."""

import json
import os
import shutil
import zlib

import pytest
from conftest import ROOT

from indexer.build import reindex
from search.embedded.index_format import open_generation
from search.embedded.shard import EmbeddedShard
from search.encoder import ENCODERS_DIR
from search.opening import OpenIndex
from search.pipeline import Searcher
from search.shards import ShardSet

SHARDS = 3
pytestmark = pytest.mark.slow  # indexes the GlobeNewswire releases
JUDGED = ROOT / "bench" / "judged" / "globenewswire" / "queries.jsonl"


@pytest.fixture(scope="module")
def sharded(globenewswire_dataset, globenewswire_index, globenewswire, tmp_path_factory) -> Searcher:
    """Three shards of the releases, each near-duplicate group whole in one of them. Each shard
    starts as a copy of the one index, so its rebuild reuses the vectors instead of encoding."""
    group_of = globenewswire.current().table.group_of
    releases = (globenewswire_dataset / "corpus.jsonl").read_text(encoding="utf-8").splitlines()
    parts = [[] for _ in range(SHARDS)]
    for line in releases:
        parts[zlib.crc32(group_of[json.loads(line)["_id"]].encode()) % SHARDS].append(line)
    shards = []
    for number, lines in enumerate(parts):
        directory = tmp_path_factory.mktemp(f"shard-{number}")
        shutil.copytree(globenewswire_index, directory / "index", copy_function=os.link)
        (directory / "corpus.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
        report = reindex(directory / "corpus.jsonl", directory / "index", show_progress=False)
        assert not report.incremental and report.encoded == 0
        shards.append(EmbeddedShard(open_generation(directory / "index")))
    return Searcher(OpenIndex(ShardSet(shards), globenewswire_index / ENCODERS_DIR))


def judged_queries() -> list[str]:
    return [json.loads(line)["text"] for line in JUDGED.open(encoding="utf-8") if line.strip()]


def tied_runs(hits: list[dict]) -> list[tuple[float, set[str]]]:
    """The hits as runs of equal score, each with its documents: equal scores may come in any
    order (one index orders them by chunk id, shards by shard first)."""
    runs: list[tuple[float, set[str]]] = []
    for hit in hits:
        if runs and hit["score"] == pytest.approx(runs[-1][0], rel=1e-12):
            runs[-1][1].add(hit["doc_id"])
        else:
            runs.append((hit["score"], {hit["doc_id"]}))
    return runs


def test_three_shards_give_the_top_ten_of_one_index_with_its_keyword_scores(globenewswire, sharded):
    assert len(sharded.current().shard.shards) == SHARDS
    for query in judged_queries():
        for mode in ("hybrid", "keyword"):
            one, split = globenewswire.search(query, mode=mode), sharded.search(query, mode=mode)
            assert split["total"] == one["total"], (query, mode)
            ours, theirs = tied_runs(split["hits"]), tied_runs(one["hits"])
            # the last run may be cut at the tenth hit, in either order
            assert ours[:-1] == theirs[:-1] and len(ours[-1][1]) == len(theirs[-1][1]), (query, mode)
            deeper = globenewswire.search(query, mode=mode, k=30)["hits"]  # past a tie cut at the tenth
            keyword_scores = {hit["doc_id"]: hit["keyword_score"] for hit in deeper}
            for hit in split["hits"]:
                expected = keyword_scores[hit["doc_id"]]  # None: found by the semantic side alone
                assert hit["keyword_score"] == (expected and pytest.approx(expected, rel=1e-9)), (query, mode)


def test_three_shards_count_facets_and_read_passages_as_one_index(globenewswire, sharded):
    one, split = globenewswire.search("orphan drug designation"), sharded.search("orphan drug designation")
    # equal counts, each facet's values; values of equal count may come in another order
    for name, facet in one["facets"].items():
        counted = {(value["value"], value["count"]) for value in facet["values"]}
        assert {(value["value"], value["count"]) for value in split["facets"][name]["values"]} == counted, name
    assert [hit["passage"]["text"] for hit in split["hits"]] == [hit["passage"]["text"] for hit in one["hits"]]
    doc_id = one["hits"][0]["doc_id"]
    assert sharded.document(doc_id)["body"] == globenewswire.document(doc_id)["body"]
