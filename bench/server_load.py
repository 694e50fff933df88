"""Throughput, latency and memory of the production server under concurrent clients.

    python bench/server_load.py --index INDEX [--clients 1,4,16] [--seconds 15] [--warmup 3]
        [--threads 8] [--json out.json] [--queries FILE]

Starts ``clinsearch serve`` (waitress with ``--threads`` worker threads) as a subprocess on a
free port and loads it from this process, so client and server do not share an interpreter.
For each count in ``--clients``, that many closed-loop clients (a thread and a keep-alive
connection each) send one request after another for ``--seconds``; three in four call
``/api/search``, one renders the search page ``/``. The queries are those of the judged
GlobeNewswire set (or ``--queries``, a BEIR queries.jsonl), each client starting from its own
offset. Before the first level one client warms the server up for ``--warmup`` seconds.

Per level: requests, errors (a status other than 200, no answer within 30 s, a broken
connection), successful requests per second, p50/p95/p99 latency of the successful requests,
the server's resident memory (VmRSS) after the level and its peak so far (VmHWM), and how many
requests waitress queued because all its threads were busy (expected once clients outnumber
threads; not an error). Exits with status 1 if any level had an error, so CI can run it quickly:
``--seconds 3 --clients 1,4,16``.
"""

import argparse
import collections
import contextlib
import http.client
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

from measure import percentiles, record, table

ROOT = Path(__file__).resolve().parent.parent
QUERIES = ROOT / "bench" / "judged" / "globenewswire" / "queries.jsonl"
ENDPOINTS = {"api": "/api/search", "page": "/"}
PAGE_EVERY = 4  # every fourth request renders the HTML page: 3 API calls to 1 page
REQUEST_TIMEOUT_S = 30
STARTUP_TIMEOUT_S = 180  # the server loads the embedding model before it answers; slow on 2 cores
QUEUE_WARNING = re.compile(r"Task queue depth is (\d+)")


@dataclass
class Outcome:
    endpoint: str
    ms: float
    error: str  # empty when the server answered 200


@dataclass
class Server:
    process: subprocess.Popen
    port: int
    log: Path  # stdout and stderr together

    def log_since(self, offset: int) -> tuple[str, int]:
        """What the server wrote after byte ``offset``, and the offset of its end."""
        data = self.log.read_bytes()
        return data[offset:].decode("utf-8", "replace"), len(data)

    def memory_mb(self) -> dict[str, float]:
        """Resident memory now (VmRSS) and at its highest so far (VmHWM), in MB."""
        fields = dict(line.split(":", 1) for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines())
        return {"rss_mb": _kb_to_mb(fields["VmRSS"]), "peak_rss_mb": _kb_to_mb(fields["VmHWM"])}

    def exit_if_dead(self, when: str) -> None:
        if self.process.poll() is not None:
            raise SystemExit(f"The server exited with status {self.process.returncode} {when}:\n{self.log_since(0)[0]}")


def _kb_to_mb(field: str) -> float:
    return round(int(field.split()[0]) / 1024, 1)


def main() -> None:
    arguments = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    arguments.add_argument("--index", type=Path, required=True)
    arguments.add_argument("--clients", type=client_counts, default=[1, 4, 16], help="comma-separated, e.g. 1,4,16")
    arguments.add_argument("--seconds", type=float, default=15.0, help="load time per client count")
    arguments.add_argument("--warmup", type=float, default=3.0, help="seconds of one client before the first level")
    arguments.add_argument("--threads", type=int, default=8, help="the server's worker threads")
    arguments.add_argument("--json", type=Path)
    arguments.add_argument("--queries", type=Path, default=QUERIES)
    options = arguments.parse_args()
    queries = [json.loads(line)["text"] for line in options.queries.open(encoding="utf-8") if line.strip()]
    index = index_summary(options.index)
    with running_server(options.index.resolve(), options.threads) as server:
        run_level(server.port, queries, 1, options.warmup)
        server.exit_if_dead("during the warm-up")
        startup = server.memory_mb()
        levels = [measure_level(server, queries, clients, options.seconds) for clients in options.clients]
    print(f"{index['documents']} documents, {index['chunks']} passages, model {index['model']}; ", end="")
    print(f"{len(queries)} queries; server with {options.threads} threads on {os.cpu_count()} CPUs")
    print(f"server RSS after start-up and warm-up: {startup['rss_mb']} MB (peak {startup['peak_rss_mb']} MB)\n")
    print(level_table(levels))
    write_json(options, {"index": index, "queries": len(queries), "startup": startup, "levels": levels})
    failed = [level for level in levels if level["errors"]]
    for level in failed:
        print(f"{level['clients']} clients: {level['errors']} errors {level['error_kinds']}", file=sys.stderr)
    sys.exit(1 if failed else 0)


def client_counts(text: str) -> list[int]:
    counts = [int(part) for part in text.split(",") if part.strip()]
    if not counts or min(counts) < 1:
        raise argparse.ArgumentTypeError("give positive client counts, e.g. 1,4,16")
    return counts


def index_summary(index_dir: Path) -> dict:
    """Size and model of the index's current generation, from its manifest."""
    try:
        generation = (index_dir / "CURRENT").read_text().strip()
        manifest = json.loads((index_dir / generation / "manifest.json").read_text())
    except FileNotFoundError as error:
        raise SystemExit(f"No built index in {index_dir}: {error.filename} is missing.") from None
    return {key: manifest[key] for key in ("documents", "chunks", "model")}


@contextlib.contextmanager
def running_server(index_dir: Path, threads: int):
    """``clinsearch serve`` in a subprocess, answering on a free port; stopped whatever happens."""
    port = free_port()
    command = [sys.executable, "clinsearch.py", "serve", "--index", str(index_dir)]
    command += ["--port", str(port), "--threads", str(threads)]
    with tempfile.TemporaryDirectory(prefix="server-load-") as folder:
        log = Path(folder) / "server.log"
        # A file, not a pipe: nobody reads a pipe during the run, and a full one would stall the server.
        with log.open("ab") as output:
            process = subprocess.Popen(command, cwd=ROOT, stdout=output, stderr=subprocess.STDOUT)
        server = Server(process, port, log)
        try:
            wait_until_healthy(server)
            yield server
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def free_port() -> int:
    """A port nobody listens on now (the OS picks it for port 0); the server binds it right after."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_healthy(server: Server) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        server.exit_if_dead("before answering /healthz")
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=REQUEST_TIMEOUT_S)
        try:
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                return
        except (OSError, http.client.HTTPException):
            pass  # not listening yet
        finally:
            connection.close()
        time.sleep(0.25)
    raise SystemExit(f"The server did not answer /healthz within {STARTUP_TIMEOUT_S} s:\n{server.log_since(0)[0]}")


def measure_level(server: Server, queries: list[str], clients: int, seconds: float) -> dict:
    log_offset = server.log.stat().st_size
    outcomes, elapsed = run_level(server.port, queries, clients, seconds)
    server.exit_if_dead(f"during the {clients}-client level")
    depths = [int(depth) for depth in QUEUE_WARNING.findall(server.log_since(log_offset)[0])]
    summary = {"clients": clients, **summarize(outcomes, elapsed), **server.memory_mb()}
    return summary | {"queued": len(depths), "max_queue_depth": max(depths, default=0)}


def run_level(port: int, queries: list[str], clients: int, seconds: float) -> tuple[list[Outcome], float]:
    """All outcomes of ``clients`` clients sending until ``seconds`` have passed, and the time until the
    last answer came back."""
    started = time.monotonic()
    deadline = started + seconds
    with ThreadPoolExecutor(max_workers=clients) as pool:
        # Offsets spread over the query list, so clients do not ask the same query at the same time.
        offsets = [number * len(queries) // clients for number in range(clients)]
        runs = [pool.submit(closed_loop_client, port, queries, offset, deadline) for offset in offsets]
        outcomes = [outcome for run in runs for outcome in run.result()]
    return outcomes, time.monotonic() - started


def closed_loop_client(port: int, queries: list[str], offset: int, deadline: float) -> list[Outcome]:
    """Send the next request as soon as the previous one is answered, until the deadline, over one
    keep-alive connection."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=REQUEST_TIMEOUT_S)
    outcomes = []
    while time.monotonic() < deadline:
        sent = len(outcomes)
        endpoint = "page" if sent % PAGE_EVERY == PAGE_EVERY - 1 else "api"
        path = f"{ENDPOINTS[endpoint]}?{urlencode({'q': queries[(offset + sent) % len(queries)]})}"
        started = time.perf_counter()
        error = timed_get(connection, path)
        outcomes.append(Outcome(endpoint, (time.perf_counter() - started) * 1000, error))
    connection.close()
    return outcomes


def timed_get(connection: http.client.HTTPConnection, path: str) -> str:
    """GET ``path`` and read the whole body; the error as a short label, or "" for a 200."""
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        response.read()
        return "" if response.status == 200 else f"status {response.status}"
    except TimeoutError:
        error = "timeout"
    except (OSError, http.client.HTTPException) as failure:
        error = type(failure).__name__
    # The connection is in an unknown state; closed, the next request opens a fresh one.
    connection.close()
    return error


def summarize(outcomes: list[Outcome], elapsed: float) -> dict:
    errors = collections.Counter(outcome.error for outcome in outcomes if outcome.error)
    answered = [outcome for outcome in outcomes if not outcome.error]
    by_endpoint = {name: latency_percentiles([o.ms for o in answered if o.endpoint == name]) for name in ENDPOINTS}
    return {
        "requests": len(outcomes),
        "errors": errors.total(),
        "error_kinds": dict(errors),
        "seconds": round(elapsed, 2),
        "requests_per_s": round(len(answered) / elapsed, 2),
        **latency_percentiles([outcome.ms for outcome in answered]),
        "by_endpoint": by_endpoint,
    }


def latency_percentiles(latencies: list[float]) -> dict[str, float | None]:
    return {f"{name}_ms": value for name, value in percentiles(latencies).items()}


def level_table(levels: list[dict]) -> str:
    """A markdown table, one row per client count."""
    columns = {
        "clients": "clients",
        "requests": "requests",
        "errors": "errors",
        "requests_per_s": "req/s",
        "p50_ms": "p50 ms",
        "p95_ms": "p95 ms",
        "p99_ms": "p99 ms",
        "rss_mb": "RSS MB",
        "peak_rss_mb": "peak RSS MB",
        "queued": "queued",
    }
    rows = [["–" if level[key] is None else level[key] for key in columns] for level in levels]
    return table(list(columns.values()), rows)


def write_json(options: argparse.Namespace, results: dict) -> None:
    arguments = {name: str(value) if isinstance(value, Path) else value for name, value in vars(options).items()}
    record(options.json, "server_load", {"arguments": arguments, **results})


if __name__ == "__main__":
    main()
