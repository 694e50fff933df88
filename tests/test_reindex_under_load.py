"""A reindex while clients search: no request fails, and the new document is found after it.

The production server (waitress, on 127.0.0.1) serves a copy of the bundled index; sixteen
closed-loop clients search it while a reindex adds one announcement, and keep searching until
a second after the new generation is current.
"""

import os
import shutil
import time
from urllib.parse import quote

import pytest
from conftest import CORPUS, get_json, searching_clients, serving, write

from indexer.build import reindex
from web.app import create_app

CLIENTS = 16
QUERIES = ("EpCAM CAR-T gastric", "orphan drug designation", "FDA approval", "phase 3 readout")
NEW_DOCUMENT = """---
title: Zorvatinib cleared for a first-in-human trial in glioblastoma
date: 2026-11-30
company: Example Therapeutics
source: Example Therapeutics press release
url: https://example.com/zorvatinib
---
Example Therapeutics said the NMPA cleared its IND for zorvatinib, a brain-penetrant kinase
inhibitor, in recurrent glioblastoma.
"""


@pytest.fixture()
def served(index_dir, tmp_path):
    """A copy of the bundled index and corpus, served by waitress on a free loopback port."""
    index = tmp_path / "index"
    shutil.copytree(index_dir, index, copy_function=os.link)  # a generation's files never change
    corpus = tmp_path / "corpus"
    shutil.copytree(CORPUS, corpus)
    with serving(create_app({"INDEX": str(index)})) as port:
        yield corpus, index, port


def search(port: int, query: str) -> dict:
    return get_json(port, f"/api/search?q={quote(query)}&k=5")


def test_clients_searching_during_a_reindex_see_no_failure_and_then_the_new_document(served):
    corpus, index, port = served
    assert search(port, "zorvatinib")["total"] == 0
    with searching_clients(port, QUERIES, CLIENTS) as outcomes:
        time.sleep(0.5)
        write(corpus, "2026-11-30-example-zorvatinib-ind.md", NEW_DOCUMENT)
        assert reindex(corpus, index, show_progress=False).changed == 1
        time.sleep(1.0)
    failures = [outcome for outcome in outcomes if outcome is not None]
    assert len(outcomes) > CLIENTS and not failures, failures[:3]
    assert search(port, "zorvatinib")["hits"][0]["title"].startswith("Zorvatinib cleared")
