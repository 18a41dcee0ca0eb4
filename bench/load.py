"""Our load generator: keep-alive HTTP/1.1 over loopback, one thread per
connection, bounded in connections and in time.

``http.client`` is used directly because it costs the client about a tenth
of a millisecond a call, little beside the server's milliseconds; the CPU
the generator used is reported so that the share it took is visible.
"""

from __future__ import annotations

import http.client
import itertools
import math
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

LATE_LIMIT_SECONDS = 15.0


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    body: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)


class Client:
    """One keep-alive connection, opened again after an error."""

    def __init__(self, port: int, timeout: float = 30):
        self.port = port
        self.timeout = timeout
        self._connection: http.client.HTTPConnection | None = None

    def send(self, call: Call) -> tuple[int, bytes]:
        """The status and body; status 0 when the connection failed."""
        if self._connection is None:
            self._connection = http.client.HTTPConnection(
                "127.0.0.1", self.port, timeout=self.timeout
            )
        try:
            self._connection.request(call.method, call.path, call.body, call.headers)
            response = self._connection.getresponse()
            return response.status, response.read()
        except (OSError, http.client.HTTPException):
            self.close()
            return 0, b""

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile; NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


@dataclass
class Sample:
    """Successful calls' latencies (seconds) and failures by status."""

    latencies: list[float] = field(default_factory=list)
    failures: Counter = field(default_factory=Counter)
    elapsed: float = 0.0
    client_cpu: float = 0.0

    def record(self, client: Client, call: Call, ok: int, since: float) -> None:
        """Send ``call``; count its latency from ``since`` if it answered ``ok``,
        else a failure under the status it got."""
        status, _ = client.send(call)
        if status == ok:
            self.latencies.append(time.perf_counter() - since)
        else:
            self.failures[status] += 1

    def add(self, other: Sample) -> None:
        self.latencies += other.latencies
        self.failures += other.failures
        self.elapsed += other.elapsed
        self.client_cpu += other.client_cpu

    @property
    def throughput(self) -> float:
        return len(self.latencies) / self.elapsed if self.elapsed else 0.0

    def ms(self, q: float) -> float:
        return percentile(self.latencies, q) * 1000

    @property
    def client_share(self) -> float:
        """The generator's CPU use as a share of one core."""
        return self.client_cpu / self.elapsed if self.elapsed else 0.0


def _run(threads: int, body: Callable[[Client, Sample], None], port: int) -> Sample:
    samples = [Sample() for _ in range(threads)]
    clients = [Client(port) for _ in range(threads)]
    workers = [
        threading.Thread(target=body, args=(client, sample), daemon=True)
        for client, sample in zip(clients, samples, strict=True)
    ]
    cpu, started = time.process_time(), time.perf_counter()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    total = Sample(elapsed=time.perf_counter() - started, client_cpu=time.process_time() - cpu)
    for client, sample in zip(clients, samples, strict=True):
        client.close()
        total.latencies += sample.latencies
        total.failures += sample.failures
    return total


def saturate(port: int, call: Call, connections: int, seconds: float, ok: int) -> Sample:
    """Closed loop: each connection sends again as soon as its answer is in."""
    deadline = time.perf_counter() + seconds

    def loop(client: Client, sample: Sample) -> None:
        while (started := time.perf_counter()) < deadline:
            sample.record(client, call, ok, since=started)

    return _run(connections, loop, port)


def paced(port: int, call: Call, rate: float, seconds: float, connections: int, ok: int) -> Sample:
    """Open loop: call k starts at k/rate seconds whatever the answers' pace,
    so a system that slows down still faces the same arrivals; a call's
    latency counts from when it was due, not from when a connection was free.
    """
    count = int(rate * seconds)
    # Past this, calls are dropped as "not sent": an overwhelmed system must
    # not stretch the run without end.
    give_up = seconds + LATE_LIMIT_SECONDS
    tickets = itertools.count()
    lock = threading.Lock()
    start = time.perf_counter() + 0.1

    def loop(client: Client, sample: Sample) -> None:
        while True:
            with lock:
                k = next(tickets)
            if k >= count:
                return
            due = start + k / rate
            if time.perf_counter() - start > give_up:
                sample.failures["not sent"] += 1
                continue
            if (wait := due - time.perf_counter()) > 0:
                time.sleep(wait)
            sample.record(client, call, ok, since=due)

    return _run(connections, loop, port)
