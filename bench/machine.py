"""What the figures came from: the machine, and how fast its CPU runs plain
Python right now. On a shared instance that speed has moved by a factor of
two between sessions. It is a rough gauge only: the services' work also
waits on memory and the other tenants, which a tight loop does not."""

from __future__ import annotations

import os
import platform
import time
from pathlib import Path

LOOP = 10_000_000


def python_speed() -> float:
    """Seconds a loop of ten million additions takes: lower is faster."""
    started = time.perf_counter()
    total = 0
    for number in range(LOOP):
        total += number
    return time.perf_counter() - started


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def describe() -> str:
    memory_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (
        f"machine: {os.cpu_count()} cores, {cpu_model()}, {memory_gib:.0f} GiB, "
        f"Python {platform.python_version()}; a loop of {LOOP:,} additions takes "
        f"{python_speed():.2f} s"
    )
