"""Resident memory (VmRSS from /proc) of the launched processes and of
gunicorn's workers, at one moment or at its peak over a stretch of load."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

PROC = Path("/proc")


def rss_mb(pid: int) -> float | None:
    try:
        status = (PROC / str(pid) / "status").read_text()
    except OSError:
        return None  # gone meanwhile
    for line in status.splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return None


def _children() -> dict[int, list[int]]:
    found: dict[int, list[int]] = {}
    for entry in PROC.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The command name in parentheses may hold spaces; the parent follows it.
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        found.setdefault(parent, []).append(int(entry.name))
    return found


def processes(launched: dict[str, int]) -> dict[str, int]:
    """Name to pid: each launched process, and a gunicorn master's workers
    as ``<name> worker <n>``."""
    children = _children()
    named = {}
    for name, pid in launched.items():
        workers = sorted(children.get(pid, []))
        named[f"{name} master" if workers else name] = pid
        for n, worker in enumerate(workers, 1):
            named[f"{name} worker {n}"] = worker
    return named


def snapshot(launched: dict[str, int]) -> dict[str, float]:
    found = {name: rss_mb(pid) for name, pid in processes(launched).items()}
    return {name: mb for name, mb in found.items() if mb is not None}


def is_web_worker(name: str) -> bool:
    return "-web worker" in name


class PeakSampler:
    """Samples every ``interval`` seconds in a thread while the ``with`` lasts."""

    def __init__(self, launched: Callable[[], dict[str, int]], interval: float = 0.5):
        self.launched = launched
        self.interval = interval
        self.peak: dict[str, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def __enter__(self) -> PeakSampler:
        self._thread.start()
        return self

    def __exit__(self, *_exc) -> None:
        self._stop.set()
        self._thread.join()

    def _loop(self) -> None:
        while True:
            for name, mb in snapshot(self.launched()).items():
                self.peak[name] = max(mb, self.peak.get(name, 0.0))
            if self._stop.wait(self.interval):
                return
