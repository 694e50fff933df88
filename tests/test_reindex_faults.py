"""A reindex that is killed, stopped or cannot write leaves the old generation serving, nothing
half-built behind, and a one-line message saying what to do; the command runs as users run it."""

import contextlib
import errno
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from indexer.build import reindex
from indexer.failures import explained_write_errors
from search.embedded.index_format import MANIFEST_FILE, current_generation_name
from search.errors import IndexWriteError
from search.pipeline import Searcher

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"  # big enough (231 passages, seconds to embed) to be caught mid-build
COMMAND = [sys.executable, str(ROOT / "clinsearch.py"), "reindex", "--quiet"]
TIMEOUT = 120  # seconds any one command may take before the test gives up on it


@pytest.fixture()
def small_corpus(tmp_path) -> Path:
    """Two real announcements: a generation of them builds in well under a second."""
    corpus = tmp_path / "small-corpus"
    corpus.mkdir()
    for name in ("2006-05-23-fda-tafamidis-orphan-fap.md", "2008-05-16-fda-blinatumomab-orphan-all.md"):
        shutil.copy(CORPUS / name, corpus)
    return corpus


@pytest.fixture()
def index(small_corpus, tmp_path) -> Path:
    """An index whose one generation, ``gen-0001``, serves the small corpus."""
    directory = tmp_path / "index"
    reindex(small_corpus, directory, show_progress=False)
    return directory


def command_environment(**settings: str) -> dict[str, str]:
    return {**os.environ, "HF_HUB_OFFLINE": "1", **settings}


def run_reindex(corpus: Path, index_dir: Path, **settings: str) -> subprocess.CompletedProcess:
    arguments = COMMAND + ["--corpus", str(corpus), "--index", str(index_dir)]
    environment = command_environment(**settings)
    return subprocess.run(arguments, env=environment, capture_output=True, text=True, timeout=TIMEOUT)


def start_reindex(corpus: Path, index_dir: Path) -> subprocess.Popen:
    arguments = COMMAND + ["--corpus", str(corpus), "--index", str(index_dir)]
    return subprocess.Popen(arguments, env=command_environment(), stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def wait_for_new_generation(index_dir: Path, process: subprocess.Popen) -> Path:
    """The generation directory ``process`` starts writing, as soon as it appears."""
    existing = set(index_dir.glob("gen-*"))
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline and process.poll() is None:
        if new := set(index_dir.glob("gen-*")) - existing:
            return new.pop()
        time.sleep(0.01)
    process.kill()
    pytest.fail(f"no new generation appeared; the reindex said {process.communicate()[1].decode()!r}")


def generations(index_dir: Path) -> dict[str, bool]:
    """Each generation directory and whether it is complete (has its manifest)."""
    return {path.name: (path / MANIFEST_FILE).is_file() for path in sorted(index_dir.glob("gen-*"))}


def top_hits(index_dir: Path) -> list[tuple[str, float]]:
    hits = Searcher(index_dir).search("tafamidis orphan designation", mode="hybrid")["hits"]
    return [(hit["doc_id"], hit["score"]) for hit in hits]


def test_a_reindex_killed_outright_leaves_the_old_generation_serving_and_the_next_one_cleans_up(index, small_corpus):
    before = top_hits(index)
    process = start_reindex(CORPUS, index)
    partial = wait_for_new_generation(index, process)
    process.kill()  # SIGKILL: no cleanup can run
    process.wait(timeout=TIMEOUT)
    assert generations(index) == {"gen-0001": True, partial.name: False}, "killed while half-built"
    assert current_generation_name(index) == "gen-0001" and top_hits(index) == before

    finished = run_reindex(small_corpus, index)
    assert finished.returncode == 0, finished.stderr
    assert generations(index) == {"gen-0001": True, "gen-0002": True}, "the half-built one is gone, the old kept"
    assert current_generation_name(index) == "gen-0002" and top_hits(index) == before


def test_the_previous_complete_generation_is_kept_however_many_half_built_ones_are_newer(index, small_corpus):
    for name in ("gen-0002", "gen-0003"):  # what two reindexes killed outright leave: no manifest
        (index / name / "keyword").mkdir(parents=True)
    finished = run_reindex(small_corpus, index)
    assert finished.returncode == 0, finished.stderr
    assert generations(index) == {"gen-0001": True, "gen-0002": True}


def test_a_complete_generation_never_switched_to_is_removed_and_the_serving_one_kept(index, small_corpus):
    shutil.copytree(index / "gen-0001", index / "gen-0002")  # written, then stopped before CURRENT moved
    assert reindex(small_corpus, index, show_progress=False).generation == "gen-0002"
    assert generations(index) == {"gen-0001": True, "gen-0002": True}
    assert current_generation_name(index) == "gen-0002"


def test_generation_numbers_past_9999_follow_9999(index, small_corpus):
    (index / "gen-0001").rename(index / "gen-9999")
    (index / "CURRENT").write_text("gen-9999\n")
    for expected in ("gen-10000", "gen-10001"):
        assert reindex(small_corpus, index, show_progress=False).generation == expected
        assert current_generation_name(index) == expected
    assert generations(index) == {"gen-10000": True, "gen-10001": True}


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_reindex_stopped_by_a_signal_removes_its_half_built_generation_and_says_so_in_one_line(stop, index):
    before = top_hits(index)
    process = start_reindex(CORPUS, index)
    wait_for_new_generation(index, process)
    process.send_signal(stop)
    _, errors = process.communicate(timeout=TIMEOUT)
    assert errors.decode().splitlines() == [
        f"Reindex stopped by {stop.name}; nothing half-built is left and {index}/gen-0001 serves."
    ]
    assert process.returncode == 128 + stop
    assert generations(index) == {"gen-0001": True}
    assert top_hits(index) == before


def in_mount_namespace(script: str, *arguments: Path) -> subprocess.CompletedProcess:
    """Run a shell ``script`` in a mount namespace of its own, as root there, so it can mount a
    small or read-only file system without touching the machine's; skip where that is refused."""
    if shutil.which("unshare") is None:
        pytest.skip("needs unshare(1) from util-linux")
    command = ["unshare", "--map-root-user", "--mount", "sh", "-c", script, "sh", *map(str, arguments)]
    finished = subprocess.run(command, env=command_environment(), capture_output=True, text=True, timeout=TIMEOUT)
    if finished.returncode == 99:
        pytest.skip(f"this machine refuses a mount in a user namespace: {finished.stderr.strip()}")
    return finished


def test_a_full_disk_is_one_line_saying_what_to_do_and_leaves_nothing_half_built(small_corpus, tmp_path):
    # A 1 MB disk holds the small corpus's generation (about 0.2 MB) but not the bundled one's (3.6 MB).
    disk = tmp_path / "small-disk"
    disk.mkdir()
    reindex_command = " ".join(COMMAND) + ' --index "$1/index" --corpus'
    finished = in_mount_namespace(
        f'mount -t tmpfs -o size=1m tmpfs "$1" || exit 99\n'
        f'{reindex_command} "$2" > /dev/null || exit 98\n'
        f'{reindex_command} "$3" > /dev/null\n'
        f'echo "exit $?"; ls "$1/index"',
        disk,
        small_corpus,
        CORPUS,
    )
    assert finished.stderr.splitlines() == [
        f"Error: No space left on device while writing {disk}/index: free some space or choose another --index; "
        f"{disk}/index/gen-0001 still serves."
    ]
    assert finished.stdout.split("\n") == ["exit 1", "CURRENT", "gen-0001", ""]


def test_a_read_only_index_folder_is_one_line_saying_what_to_do(index, small_corpus):
    finished = in_mount_namespace(
        f'mount --bind "$1" "$1" && mount -o remount,ro,bind "$1" || exit 99\n'
        f'{" ".join(COMMAND)} --index "$1" --corpus "$2"',
        index,
        small_corpus,
    )
    assert finished.returncode == 1
    assert finished.stderr.splitlines() == [
        f"Error: Read-only file system while writing {index}/.reindex.lock: choose an --index on a writable disk; "
        f"{index}/gen-0001 still serves."
    ]


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into a read-only folder all the same")
def test_an_index_folder_this_user_may_not_write_is_one_line_saying_what_to_do(index, small_corpus):
    index.chmod(0o555)
    try:
        finished = run_reindex(small_corpus, index)
    finally:
        index.chmod(0o755)
    assert finished.returncode == 1
    assert finished.stderr.splitlines() == [
        f"Error: No permission while writing {index}/.reindex.lock: give this user write access or choose another "
        f"--index; {index}/gen-0001 still serves."
    ]


def test_an_index_path_under_a_file_is_one_line_saying_what_to_do(small_corpus, tmp_path):
    (tmp_path / "a-file").write_text("not a folder")
    finished = run_reindex(small_corpus, tmp_path / "a-file" / "index")
    assert finished.returncode == 1
    assert finished.stderr.splitlines() == [
        f"Error: A file is in the way while writing {tmp_path}/a-file/index: choose an --index whose parents are "
        "folders; no index was switched."
    ]


@pytest.mark.parametrize(
    ("code", "filename", "expected"),
    [
        (errno.ENOSPC, None, "No space left on device while writing {index}: free some space"),
        (errno.EDQUOT, None, "Disk quota exceeded while writing {index}: free some space"),
        (errno.EACCES, "{index}/CURRENT.tmp", "No permission while writing {index}/CURRENT.tmp: give this user"),
        (errno.EPERM, "{index}/gen-0002", "Operation not permitted while writing {index}/gen-0002: give this user"),
    ],
)
def test_each_write_fault_says_what_happened_where_and_what_still_serves(code, filename, expected, index):
    # The faults no unprivileged test can cause at a real write boundary, raised as the OS raises them.
    error = OSError(code, os.strerror(code), filename and filename.format(index=index))
    with pytest.raises(IndexWriteError) as raised, explained_write_errors(index):
        raise error
    assert str(raised.value).startswith(expected.format(index=index))
    assert str(raised.value).endswith(f"; {index}/gen-0001 still serves.") and raised.value.__cause__ is error


def test_sqlite_finding_its_disk_full_says_so_too(index, tmp_path):
    with pytest.raises(IndexWriteError, match="^No space left on device while writing"), explained_write_errors(index):
        with contextlib.closing(sqlite3.connect(tmp_path / "tiny.sqlite")) as connection:
            connection.execute("PRAGMA max_page_count = 2")  # SQLite then finds its disk full, as on a real one
            connection.execute("CREATE TABLE passages (text TEXT)")
            connection.executemany("INSERT INTO passages VALUES (?)", [("a passage " * 100,)] * 100)


def test_other_os_errors_pass_unchanged(index):
    with pytest.raises(FileNotFoundError), explained_write_errors(index):
        raise FileNotFoundError(errno.ENOENT, "No such file or directory", str(index / "gone"))


def test_a_model_that_is_not_on_this_machine_is_one_line_saying_what_to_do(index, small_corpus):
    finished = run_reindex(small_corpus, index, CLINSEARCH_ENCODER="torch", CLINSEARCH_MODEL="no-one/no-such-model")
    assert finished.returncode == 1
    assert finished.stderr.splitlines() == [
        "Error: The embedding model no-one/no-such-model is neither a local folder nor in the local model cache, "
        "and nothing is downloaded: set CLINSEARCH_MODEL to the model's folder, or unset it to use the bundled model."
    ]
    assert generations(index) == {"gen-0001": True} and current_generation_name(index) == "gen-0001"
