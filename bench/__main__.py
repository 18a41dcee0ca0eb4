"""``python -m bench`` (``make bench``): measure, report, and end with

    bench: create_ratio=<x> event_p99_ms=<y> drain_eps=<z>

each the worse of SQLite and PostgreSQL. Options also come from the
environment (BENCH_DURATION, BENCH_RATE) so ``make bench`` can pass them.
"""

from __future__ import annotations

import argparse
import math
import os
import signal
import sys

from . import create, drain, events, machine
from .cpu import CpuUse
from .load import Sample, percentile
from .memory import is_web_worker
from .resources import DATABASES

TARGETS = "targets: create_ratio >= 0.7, event p99 < 250 ms, drain >= 5000/s, web worker < 80 MB"
WEB_WORKER_LIMIT_MB = 80


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument(
        "--duration",
        type=float,
        default=float(os.environ.get("BENCH_DURATION", 30)),
        help="seconds of steady submissions for the event latency (default 30)",
    )
    parser.add_argument(
        "--rate",
        type=float,
        default=float(os.environ.get("BENCH_RATE", 100)),
        help="submissions per second for the event latency (default 100)",
    )
    parser.add_argument(
        "--create-seconds", type=float, default=5, help="length of one create round"
    )
    # Ours and the floor take turns; more turns cancel more of what else the machine does.
    parser.add_argument("--rounds", type=int, default=4, help="create rounds per target")
    parser.add_argument("--connections", type=int, default=8, help="create load connections")
    parser.add_argument(
        "--databases", default=",".join(DATABASES), help="comma-separated: sqlite,postgresql"
    )
    return parser.parse_args()


def say(text: str = "") -> None:
    print(text, flush=True)


def _create(args, databases: list[str]) -> list[create.CreateResult]:
    say(
        f"1. Create a request, POST /api/v1/requests: {args.connections} connections, "
        f"{args.rounds} rounds of {args.create_seconds:g} s per target, taken in turns"
    )
    say(f"{'database':<11} {'target':<6} {'req/s':>7} {'p50 ms':>7} {'p99 ms':>7} {'failed':>6}")
    results = []
    for kind in databases:
        result = create.measure(kind, args.create_seconds, args.rounds, args.connections)
        for name, sample in (("ours", result.ours), ("floor", result.floor)):
            failed = sum(sample.failures.values())
            say(
                f"{kind:<11} {name:<6} {sample.throughput:>7.1f} {sample.ms(50):>7.1f} "
                f"{sample.ms(99):>7.1f} {failed:>6}"
            )
        say(
            f"{kind:<11} ratio ours/floor {result.ratio:.2f}; requests web worker peak "
            f"{result.web_worker_peak_mb:.0f} MB; load generator used "
            f"{result.ours.client_share:.0%} of a core on ours, {result.floor.client_share:.0%} on floor"
        )
        for name, sample in (("ours", result.ours), ("floor", result.floor)):
            say(f"{'':<11} {name:<6} {_cpu_per_create(result.cpu[name], sample)}")
        results.append(result)
    return results


def _cpu_per_create(cpu: CpuUse, sample: Sample) -> str:
    """Say where a create's CPU went: its web process, the database server, the generator."""
    calls = len(sample.latencies) or 1
    parts = ", ".join(
        f"{part} {seconds / calls * 1000:.2f}"
        for part, seconds in sorted(cpu.used.items(), key=lambda item: -item[1])
        if seconds / calls >= 0.00001
    )
    total = sum(cpu.used.values()) / calls * 1000
    return f"{total:.2f} ms of CPU per create ({parts}) at {cpu.cores:.2f} cores"


def _hop_p99_ms(hop: events.Hop) -> float:
    # A submission with no effect counts as infinitely late, not as absent.
    return percentile(hop.latencies + [math.inf] * hop.missing, 99) * 1000


def _events(args, databases: list[str]) -> list[events.EventResult] | None:
    say()
    say(
        f"2. Event latency at {args.rate:g} submissions/s for {args.duration:g} s, "
        "every task approved as it appears"
    )
    results = []
    for kind in databases:
        try:
            result = events.measure(kind, args.rate, args.duration, connections=16)
        except Exception as exc:  # the services may be unfinished; say so, invent nothing
            say(f"{kind:<11} not measured: {exc.__class__.__name__}: {exc}")
            return None
        sent = result.submissions
        say(
            f"{kind:<11} submissions: {len(sent.latencies)} accepted "
            f"({sent.throughput:.1f}/s), failed {dict(sent.failures) or 0}, "
            f"HTTP p99 {sent.ms(99):.0f} ms; approvals: {len(result.decisions.latencies)} taken, "
            f"{sum(result.decisions.failures.values())} failed, HTTP p99 {result.decisions.ms(99):.0f} ms"
        )
        say(
            f"{'':<11} {'hop':<28} {'p50 ms':>7} {'p99 ms':>7} "
            f"{'waited p50':>10} {'p99':>6} {'missing':>7}"
        )
        for name, hop in (
            ("submitted -> approval task", result.to_task),
            ("approved -> reservation", result.to_reservation),
        ):
            say(
                f"{'':<11} {name:<28} {percentile(hop.latencies, 50) * 1000:>7.0f} "
                f"{_hop_p99_ms(hop):>7.0f} {percentile(hop.arrivals, 50) * 1000:>10.0f} "
                f"{percentile(hop.arrivals, 99) * 1000:>6.0f} {hop.missing:>7}"
            )
        results.append(result)
    _cpu(results)
    return results


def _cpu(results: list[events.EventResult]) -> None:
    say()
    say("CPU while submitting: ms of CPU per accepted submission, by part (share of the cores)")
    parts = sorted({part for r in results for part in r.cpu.used})
    say(f"{'part':<40}" + "".join(f" {r.database:>18}" for r in results))
    for part in [*parts, "all"]:
        row = ""
        for r in results:
            accepted = max(len(r.submissions.latencies), 1)
            used = sum(r.cpu.used.values()) if part == "all" else r.cpu.used.get(part, 0.0)
            row += f" {used / accepted * 1000:>9.1f} ({used / r.cpu.elapsed:>4.2f})"
        say(f"{part:<40}{row}")
    say(f"{'cores on this machine':<40}" + f" {os.cpu_count():>18}" * len(results))


def _drain(databases: list[str]) -> list[drain.DrainResult]:
    say()
    say(f"3. Relay drain: {drain.EVENTS} events waiting in the outbox")
    results = []
    for kind in databases:
        result = drain.measure(kind)
        say(
            f"{kind:<11} {result.per_second:>7.0f} events/s ({result.seconds:.2f} s; "
            f"{result.queued} in the queue afterwards)"
        )
        results.append(result)
    return results


def _memory(results: list[events.EventResult]) -> None:
    say()
    say("4. Resident memory (MB) of each process, at rest and at its peak under the load of 2")
    header = "".join(f" {r.database + ' rest':>16} {r.database + ' load':>16}" for r in results)
    say(f"{'process':<26}{header}")
    for name in sorted(results[0].memory_at_rest):
        row = "".join(
            f" {r.memory_at_rest.get(name, math.nan):>16.0f} "
            f"{r.memory_under_load.get(name, math.nan):>16.0f}"
            for r in results
        )
        say(f"{name:<26}{row}")


def main() -> int:
    args = _arguments()
    databases = args.databases.split(",")

    def stop(signum, _frame):
        raise KeyboardInterrupt(f"signal {signum}")

    # A plain kill cleans up too: the with-blocks stop processes and drop databases.
    signal.signal(signal.SIGTERM, stop)
    say(machine.describe())
    created = _create(args, databases)
    moved = _events(args, databases)
    drained = _drain(databases)
    if moved:
        _memory(moved)

    create_ratio = min(result.ratio for result in created)
    event_p99 = (
        max(_hop_p99_ms(hop) for r in moved for hop in (r.to_task, r.to_reservation))
        if moved
        else math.nan
    )
    drain_eps = min(result.per_second for result in drained)
    web_peak = max(
        [r.web_worker_peak_mb for r in created]
        + [
            mb
            for r in moved or []
            for name, mb in r.memory_under_load.items()
            if is_web_worker(name)
        ]
    )
    say()
    say(f"at the end, the loop of additions takes {machine.python_speed():.2f} s")
    say(TARGETS)
    say(f"largest web worker under load: {web_peak:.0f} MB (limit {WEB_WORKER_LIMIT_MB} MB)")
    say(
        f"bench: create_ratio={create_ratio:.2f} event_p99_ms={event_p99:.0f} drain_eps={drain_eps:.0f}"
    )
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("bench: interrupted; everything it started is stopped and removed", file=sys.stderr)
        sys.exit(130)
