"""Fixtures: the real bundled corpus indexed once per session with the real model, and its front ends."""

import contextlib
import http.client
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from urllib.parse import quote

import pytest
import waitress
from click.testing import CliRunner

from indexer.build import reindex
from search.pipeline import Searcher
from web.app import create_app

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
SHARED = ROOT.parent / "shared"

# Every test index shares one ONNX export of the model instead of exporting beside each index
# (tests/test_encoder.py checks the default place); the folder name changes with the model.
os.environ.setdefault("CLINSEARCH_ENCODER_CACHE", str(Path(tempfile.gettempdir()) / "clinsearch-test-encoders"))


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """``../shared`` (data sets and seed pages); skipped when absent, except in CI."""
    if not SHARED.is_dir():
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI must have {SHARED} beside the checkout")
        pytest.skip(f"{SHARED} is not beside this checkout; its data sets are needed here")
    return SHARED


@pytest.fixture(scope="session")
def globenewswire_dataset(shared_dir, tmp_path_factory) -> Path:
    """The 4,329 real GlobeNewswire releases as a BEIR data set with our judged queries, each
    release in the nested shape users hand us (``{"_id", "title", "text", "metadata": {…}}``),
    written by ``bench/globenewswire.py``."""
    out = tmp_path_factory.mktemp("globenewswire")
    script = ROOT / "bench" / "globenewswire.py"
    releases = shared_dir / "data" / "globenewswire-biotech" / "releases.csv"
    subprocess.run([sys.executable, str(script), str(out), "--releases", str(releases)], check=True)
    return out


@pytest.fixture(scope="session")
def globenewswire_index(globenewswire_dataset, tmp_path_factory) -> Path:
    """The GlobeNewswire releases, really indexed (about a minute and a half on two cores)."""
    directory = tmp_path_factory.mktemp("globenewswire-index")
    reindex(globenewswire_dataset / "corpus.jsonl", directory, show_progress=False)
    return directory


@pytest.fixture(scope="session")
def globenewswire(globenewswire_index) -> Searcher:
    """A searcher over the real GlobeNewswire releases."""
    return Searcher(globenewswire_index)


@pytest.fixture(scope="session")
def sharded_globenewswire_index(globenewswire_dataset, globenewswire_index, tmp_path_factory) -> Path:
    """The releases as three shards (``reindex --shards 3``). The index starts as a copy of the
    one index, so the rebuild reuses its vectors instead of encoding."""
    directory = tmp_path_factory.mktemp("sharded") / "index"
    shutil.copytree(globenewswire_index, directory, copy_function=os.link)
    report = reindex(globenewswire_dataset / "corpus.jsonl", directory, show_progress=False, shards=3)
    assert (report.shards, report.incremental, report.encoded) == (3, False, 0)
    return directory


@pytest.fixture(scope="session")
def index_dir(tmp_path_factory) -> Path:
    """The bundled corpus, really indexed (Whoosh + the bundled MiniLM model)."""
    directory = tmp_path_factory.mktemp("index")
    reindex(CORPUS, directory, show_progress=False)
    return directory


@pytest.fixture(scope="session")
def searcher(index_dir) -> Searcher:
    return Searcher(index_dir)


@pytest.fixture(scope="session")
def app(index_dir):
    return create_app({"INDEX": str(index_dir), "TESTING": True})


@pytest.fixture()
def client(app):
    return app.test_client()


@pytest.fixture()
def runner() -> CliRunner:
    return CliRunner()


def write(directory: Path, name: str, text: str) -> Path:
    """Write a small test document and return its path."""
    path = directory / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@contextlib.contextmanager
def serving(app):
    """``app`` served by waitress, the production server, on a free loopback port: its port."""
    server = waitress.create_server(app, host="127.0.0.1", port=0, threads=8)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield server.effective_port
    finally:
        server.close()
        thread.join(timeout=10)


def get_json(port: int, path: str) -> dict:
    """The JSON body of ``GET path`` from the server at 127.0.0.1:``port``.

    Raises:
        AssertionError: the status was not 200."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        body = response.read()
        if response.status != 200:
            raise AssertionError(f"{response.status} for {path}: {body[:200]!r}")
        return json.loads(body)
    finally:
        connection.close()


@contextlib.contextmanager
def searching_clients(port: int, queries: tuple[str, ...], clients: int):
    """``clients`` closed-loop clients searching ``queries`` in turn until the block ends: the
    list of their requests' outcomes (None, or the error), filled as they go."""
    stop, outcomes = threading.Event(), []

    def client(offset: int) -> None:
        number = offset
        while not stop.is_set():
            try:
                get_json(port, f"/api/search?q={quote(queries[number % len(queries)])}&k=10")
                outcomes.append(None)
            except Exception as error:  # every failure counts, whatever its kind
                outcomes.append(error)
            number += 1

    threads = [threading.Thread(target=client, args=(number,)) for number in range(clients)]
    for thread in threads:
        thread.start()
    try:
        yield outcomes
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=60)
