"""Sharded serving and indexing on a real Ray cluster of three nodes on loopback. Serving the
GlobeNewswire releases in three shards, two replicas of each, the cluster ranks as the
single-process engine does, and sixteen clients searching for 30 s while a node is killed see
no failed request. An index written by tasks on the nodes is the one written here.

Needs the cluster extra (``pip install 'clinsearch[cluster]'``, which ``make test`` installs).
"""

import contextlib
import json
import os
import shutil
import sqlite3
import time
from pathlib import Path

import numpy as np
import pytest
from conftest import CORPUS, ROOT, get_json, searching_clients, serving

from indexer.build import reindex
from search.embedded.index_format import open_generation
from search.pipeline import Searcher
from web.app import create_app

if os.environ.get("CI") == "true":
    import ray  # CI installs the cluster extra: its absence is a failure there
else:
    ray = pytest.importorskip("ray", reason="the cluster extra is not installed: pip install 'clinsearch[cluster]'")

pytestmark = pytest.mark.slow  # indexes the GlobeNewswire releases and starts a Ray cluster
NODES, REPLICAS, CLIENTS, LOAD_S = 3, 2, 16, 30
JUDGED = ROOT / "bench" / "judged" / "globenewswire" / "queries.jsonl"
QUERIES = ("MASH", "orphan drug designation", "BCMA CAR-T", "approval in Japan", "biosimilar launch in Europe")


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    from search.cluster.local import LocalCluster
    from search.cluster.replicas import connect

    cluster = LocalCluster(tmp_path_factory.mktemp("ray-logs"))
    try:
        cluster.start(NODES, connect)
        yield cluster
    finally:
        ray.shutdown()
        cluster.stop()


@pytest.fixture(scope="module")
def served_index(sharded_globenewswire_index, tmp_path_factory) -> Path:
    """A copy of the sharded index, which a test here reindexes."""
    directory = tmp_path_factory.mktemp("served") / "index"
    shutil.copytree(sharded_globenewswire_index, directory, copy_function=os.link)
    return directory


@pytest.fixture(scope="module")
def served(cluster, served_index):
    """The sharded index served by waitress on a free loopback port, its shards on the cluster."""
    app = create_app({"INDEX": str(served_index), "RAY": cluster.address, "REPLICAS": REPLICAS})
    with serving(app) as port:
        yield app, port


def test_the_cluster_gives_the_single_process_top_ten_for_every_judged_query(served, globenewswire):
    app, _ = served
    on_cluster = app.extensions["clinsearch"]
    queries = [json.loads(line)["text"] for line in JUDGED.open(encoding="utf-8") if line.strip()]
    for query in queries:
        one, split = globenewswire.search(query), on_cluster.search(query)
        assert split["total"] == one["total"], query
        assert [hit["doc_id"] for hit in split["hits"]] == [hit["doc_id"] for hit in one["hits"]], query


def test_health_names_each_shards_replicas_on_different_nodes(served):
    _, port = served
    health = get_json(port, "/healthz")
    assert health["shards"] == NODES and len(health["replicas"]) == NODES
    for shard in health["replicas"]:
        nodes = [replica["node"] for replica in shard["replicas"]]
        assert len(set(nodes)) == REPLICAS and all(replica["loaded"] for replica in shard["replicas"])


def test_an_index_written_on_the_cluster_is_the_one_written_here(cluster, tmp_path):
    """The bundled corpus as three shards, written by tasks on the cluster's nodes and here,
    each from nothing: the same documents, passages and vectors in each shard, the same
    results. (Equal vectors need equal batches: the int8 encoder scales a batch's activations by
    its range, and a shard encodes its own passages in the same batches wherever it runs.)"""
    here, there = tmp_path / "here", tmp_path / "there"
    reindex(CORPUS, here, show_progress=False, shards=NODES)
    report = reindex(CORPUS, there, show_progress=False, shards=NODES, ray_address=cluster.address)
    assert report.encoded == report.chunks > 0
    assert len({part.node for part in report.parts}) == NODES  # a task on each node
    for ours, theirs in zip(open_generation(there).shards, open_generation(here).shards, strict=True):
        assert passages(ours) == passages(theirs)
        assert np.array_equal(np.load(ours.vectors_path), np.load(theirs.vectors_path))
    on_cluster, locally = Searcher(there), Searcher(here)
    for query in ("EpCAM CAR-T gastric", "orphan drug designation", "FDA approval", "phase 3 readout"):
        expected = [(hit["doc_id"], hit["score"]) for hit in locally.search(query)["hits"]]
        assert [(hit["doc_id"], hit["score"]) for hit in on_cluster.search(query)["hits"]] == expected, query


def passages(generation) -> list[tuple]:
    with contextlib.closing(sqlite3.connect(generation.store_path)) as connection:
        return connection.execute("SELECT chunk_id, doc_id, text FROM chunks ORDER BY chunk_id").fetchall()


def test_killing_a_node_under_load_fails_no_request_and_its_replicas_are_replaced(cluster, served):
    _, port = served
    with searching_clients(port, QUERIES, CLIENTS) as outcomes:
        time.sleep(LOAD_S / 6)
        cluster.kill(NODES - 1)  # a worker node, with a replica of two of the three shards
        time.sleep(LOAD_S * 5 / 6)
    failures = [error for error in outcomes if error is not None]
    assert len(outcomes) > CLIENTS and not failures, failures[:3]
    alive = {node["NodeID"] for node in ray.nodes() if node["Alive"]}
    assert len(alive) == NODES - 1
    for shard in get_json(port, "/healthz")["replicas"]:
        assert {replica["node"] for replica in shard["replicas"]} <= alive
        assert all(replica["loaded"] for replica in shard["replicas"])


def test_a_reindex_is_served_from_the_new_generations_replicas(served, served_index, globenewswire_dataset, tmp_path):
    _, port = served
    lines = (globenewswire_dataset / "corpus.jsonl").read_text(encoding="utf-8").splitlines()
    changed = json.loads(lines[1])
    changed["text"] += " Its zorbivalent arm met the primary endpoint."
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text("\n".join([lines[0], json.dumps(changed), *lines[2:]]) + "\n", encoding="utf-8")
    assert get_json(port, "/api/search?q=zorbivalent&mode=keyword")["total"] == 0
    report = reindex(corpus, served_index, show_progress=False)
    assert (report.shards, report.incremental, report.encoded) == (3, True, 1)
    found = get_json(port, "/api/search?q=zorbivalent&mode=keyword")
    assert [hit["doc_id"] for hit in found["hits"]] == [changed["_id"]]
    assert all(replica["loaded"] for shard in get_json(port, "/healthz")["replicas"] for replica in shard["replicas"])
