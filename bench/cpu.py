"""Where the CPU went during a stretch of load: per launched process (a
gunicorn master with its workers), the database server, RabbitMQ and the
benchmark itself, from the kernel's accounting in /proc."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from .memory import PROC, processes

TICKS = os.sysconf("SC_CLK_TCK")
# Servers outside our process tree that do the system's work, by command name.
SERVERS = {"postgres": "PostgreSQL server", "beam.smp": "RabbitMQ"}
BENCH = "benchmark (load generator, approver)"


def _cpu_seconds(pid: int) -> tuple[str, float] | None:
    try:
        stat = (PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    command = stat[stat.index("(") + 1 : stat.rindex(")")]
    fields = stat.rsplit(")", 1)[1].split()
    return command, (int(fields[11]) + int(fields[12])) / TICKS  # utime + stime


def _sample(launched: dict[str, int]) -> dict[str, float]:
    seconds: dict[str, float] = {}
    for name, pid in processes(launched).items():
        if (found := _cpu_seconds(pid)) is not None:
            group = name.split(" ")[0]  # "requests-web worker 2" -> "requests-web"
            seconds[group] = seconds.get(group, 0.0) + found[1]
    for entry in PROC.iterdir():
        if entry.name.isdigit() and (found := _cpu_seconds(int(entry.name))) is not None:
            command, used = found
            if command in SERVERS:
                seconds[SERVERS[command]] = seconds.get(SERVERS[command], 0.0) + used
    own = os.times()
    seconds[BENCH] = own.user + own.system
    return seconds


class CpuMeter:
    """CPU seconds each part used while the ``with`` lasted."""

    def __init__(self, launched: Callable[[], dict[str, int]]):
        self.launched = launched
        self.used: dict[str, float] = {}
        self.elapsed = 0.0

    def __enter__(self) -> CpuMeter:
        self._before = _sample(self.launched())
        self._started = time.perf_counter()
        return self

    def __exit__(self, *_exc) -> None:
        self.elapsed = time.perf_counter() - self._started
        after = _sample(self.launched())
        self.used = {
            part: after[part] - self._before.get(part, 0.0)
            for part in after
            if after[part] > self._before.get(part, 0.0)
        }


@dataclass
class CpuUse:
    """CPU seconds by part over several stretches of load, and their length."""

    used: dict[str, float] = field(default_factory=dict)
    elapsed: float = 0.0

    def add(self, meter: CpuMeter) -> None:
        for part, seconds in meter.used.items():
            self.used[part] = self.used.get(part, 0.0) + seconds
        self.elapsed += meter.elapsed

    @property
    def cores(self) -> float:
        """How many cores were busy on average."""
        return sum(self.used.values()) / self.elapsed if self.elapsed else 0.0
