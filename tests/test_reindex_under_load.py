"""A reindex while clients search: no request fails, and the new document is found after it.

The production server (waitress, on 127.0.0.1) serves a copy of the bundled index; sixteen
closed-loop clients search it while a reindex adds one announcement, and keep searching until
a second after the new generation is current.
"""

import http.client
import json
import os
import shutil
import threading
import time
from urllib.parse import quote

import pytest
import waitress
from conftest import CORPUS, write

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
    server = waitress.create_server(create_app({"INDEX": str(index)}), host="127.0.0.1", port=0, threads=8)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    yield corpus, index, server.effective_port
    server.close()
    thread.join(timeout=10)


def search(port: int, query: str) -> dict:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("GET", f"/api/search?q={quote(query)}&k=5")
        response = connection.getresponse()
        body = response.read()
        if response.status != 200:
            raise AssertionError(f"{response.status} for {query!r}: {body[:200]!r}")
        return json.loads(body)
    finally:
        connection.close()


def client(port: int, offset: int, stop: threading.Event, outcomes: list) -> None:
    number = offset
    while not stop.is_set():
        try:
            search(port, QUERIES[number % len(QUERIES)])
            outcomes.append(None)
        except Exception as error:  # every failure counts, whatever its kind
            outcomes.append(error)
        number += 1


def test_clients_searching_during_a_reindex_see_no_failure_and_then_the_new_document(served):
    corpus, index, port = served
    assert search(port, "zorvatinib")["total"] == 0
    stop, outcomes = threading.Event(), []
    clients = [threading.Thread(target=client, args=(port, n, stop, outcomes)) for n in range(CLIENTS)]
    for thread in clients:
        thread.start()
    try:
        time.sleep(0.5)
        write(corpus, "2026-11-30-example-zorvatinib-ind.md", NEW_DOCUMENT)
        assert reindex(corpus, index, show_progress=False).changed == 1
        time.sleep(1.0)
    finally:
        stop.set()
        for thread in clients:
            thread.join(timeout=60)
    failures = [outcome for outcome in outcomes if outcome is not None]
    assert len(outcomes) > CLIENTS and not failures, failures[:3]
    assert search(port, "zorvatinib")["hits"][0]["title"].startswith("Zorvatinib cleared")
