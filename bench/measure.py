"""What every benchmark script shares: percentiles, the machine it ran on, and its JSON record."""

import json
import os
import platform
import resource
import time
from pathlib import Path

import numpy as np


def percentiles(values: list[float]) -> dict[str, float | None]:
    """p50, p95 and p99 of ``values`` (milliseconds, rounded to 0.01); None when there are none."""
    cuts = (("p50", 50), ("p95", 95), ("p99", 99))
    return {name: round(float(np.percentile(values, q)), 2) if values else None for name, q in cuts}


def peak_rss_mb(children: bool = False) -> float:
    """The highest resident memory so far of this process (or of its finished children), in MB."""
    who = resource.RUSAGE_CHILDREN if children else resource.RUSAGE_SELF
    return round(resource.getrusage(who).ru_maxrss / 1024, 1)


def machine() -> dict:
    """Enough to tell one machine's figures from another's."""
    model = next((line.split(":", 1)[1].strip() for line in _cpuinfo() if line.startswith("model name")), "")
    return {"cpus": os.cpu_count(), "cpu": model, "python": platform.python_version(), "system": platform.platform()}


def record(path: Path | None, benchmark: str, results: dict) -> None:
    """Write ``results`` with the machine and the time to ``path`` (if given) as JSON."""
    if path is None:
        return
    document = {"benchmark": benchmark, "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "machine": machine(), **results}
    Path(path).write_text(json.dumps(document, indent=1) + "\n")
    print(f"wrote {path}")


def table(header: list[str], rows: list[list]) -> str:
    """A markdown table, so the output can go into BENCHMARKS.md as printed."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def _cpuinfo() -> list[str]:
    try:
        return Path("/proc/cpuinfo").read_text().splitlines()
    except OSError:
        return []
