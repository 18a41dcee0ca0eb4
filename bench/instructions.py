"""Instructions per create, ours against the floor, and per step of a
submission's way through the services, counted by callgrind.

``python -m bench.instructions`` (``make bench-instructions``).

Part 1 of ``make bench`` times the two under load, and on a shared machine
its ratio moves by a tenth between runs of the same code. Valgrind's
callgrind counts the instructions a process executes instead: the same
count for the same code, whatever else the machine does, so a change of a
few per cent to a create shows at once. It counts the Python process only,
in process (a Flask test client: no HTTP, no gunicorn), and neither the
database server nor the kernel; it says where a create's own work went, not
how fast the system serves it.

The steps (``bench.hops``) are each counted the same way: a hundred
submissions taken through the three services in one process, each event
applied alone, as a quiet system would. Part 2 of ``make bench`` runs them
all at a hundred a second, on two cores already saturated on PostgreSQL,
where a step made cheaper mostly turns into more frequent polls and
smaller batches, not into a figure that moves; here it shows at once.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
from contextlib import ExitStack
from pathlib import Path

from harness.system import PACKAGES, ROOT, Launcher, System

from . import hops
from .create import BODY, SKU, stock_catalog_copy
from .floor import create_app as create_floor_app
from .floor import prepare as prepare_floor
from .resources import DATABASES, Resources

WARM_UP = 30  # creates before counting: caches filled, statements prepared
HOPS_WARM_UP = 20  # submissions taken the whole way before counting


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.instructions", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--creates", type=int, default=200, help="creates counted per target")
    parser.add_argument(
        "--submissions", type=int, default=100, help="submissions counted through the steps"
    )
    parser.add_argument(
        "--databases", default=",".join(DATABASES), help="comma-separated: sqlite,postgresql"
    )
    parser.add_argument("--child", nargs=2, metavar=("TARGET", "COUNT"), help=argparse.SUPPRESS)
    return parser.parse_args()


def count(kind: str, creates: int) -> dict[str, float]:
    """Instructions per create of ours and of the floor on a database of ``kind``."""
    per_create = {}
    with ExitStack() as stack:
        resources = Resources(stack)
        floor_db = resources.database(kind, "floor")
        prepare_floor(floor_db)
        with Launcher(resources.directory("logs")) as launcher:
            system = System(
                launcher, hops.NOT_USED, {"requests": resources.database(kind, "requests")}
            )
            system.seed("requests")
            stock_catalog_copy(system.database_urls["requests"])
            targets = {
                "ours": system.env("requests"),
                "floor": {**os.environ, "DATABASE_URL": floor_db},
            }
            for target, env in targets.items():
                out = resources.directory("callgrind") / f"{kind}-{target}.out"
                _run_counted(target, creates, out, env)
                per_create[target] = _total(out) / creates
    return per_create


def count_steps(kind: str, submissions: int) -> dict[str, float]:
    """Instructions per submission of each step of its way, on databases of ``kind``."""
    with ExitStack() as stack:
        resources = Resources(stack)
        urls = {service: resources.database(kind, service) for service in PACKAGES}
        with Launcher(resources.directory("logs")) as launcher:
            system = System(launcher, hops.NOT_USED, urls)
            system.seed(*PACKAGES)
            stock_catalog_copy(urls["requests"])
            out = resources.directory("callgrind") / f"{kind}-steps.out"
            env = {**os.environ, **{f"{s.upper()}_DATABASE_URL": u for s, u in urls.items()}}
            _run_counted("steps", submissions, out, env)
        # One dump per step, named after it; the run's own last dump holds nothing counted.
        per_step = {}
        for dump in out.parent.glob(f"{out.name}.*"):
            text = dump.read_text()
            if named := re.search(r"^desc: Trigger: .*dump (\w+)$", text, re.MULTILINE):
                per_step[named[1]] = _total(dump) / submissions
    return per_step


def _run_counted(target: str, creates: int, out: Path, env: dict[str, str]) -> None:
    done = subprocess.run(
        [
            "valgrind",
            "--tool=callgrind",
            "--instr-atstart=no",  # the child switches counting on after its warm-up
            f"--callgrind-out-file={out}",
            sys.executable,
            "-m",
            "bench.instructions",
            "--child",
            target,
            str(creates),
        ],
        cwd=ROOT,
        env={**env, "MIGRATE_ON_START": "0"},
        capture_output=True,
        timeout=1800,
    )
    if done.returncode != 0:
        said = done.stderr.decode(errors="replace").strip().splitlines()[-20:]
        raise RuntimeError(f"counting {target} failed:\n" + "\n".join(said))


def _total(out: Path) -> int:
    found = re.search(r"^totals: (\d+)$", out.read_text(), re.MULTILINE)
    if found is None:
        raise RuntimeError(f"{out}: callgrind wrote no totals")
    return int(found[1])


def child(target: str, creates: int) -> None:
    """Run in the counted process: warm up, then count ``creates`` creates (or submissions)."""
    if target == "steps":
        _child_steps(creates)
        return
    if target == "ours":
        from request_service import create_app

        client = create_app().test_client()
        signed_in = client.post(
            "/api/v1/auth/token", json={"username": "zhang.wei", "password": "demo-pass"}
        )
        headers = {"Authorization": f"Bearer {signed_in.get_json()['access_token']}"}
    else:
        client = create_floor_app().test_client()
        headers = {}
    headers["Content-Type"] = "application/json"

    def create() -> None:
        answer = client.post("/api/v1/requests", data=BODY, headers=headers)
        if answer.status_code != 201:
            raise RuntimeError(f"{target}: {answer.status_code} {answer.text}")

    for _ in range(WARM_UP):
        create()
    _counting("on")
    for _ in range(creates):
        create()
    _counting("off")


def _child_steps(submissions: int) -> None:
    chain = hops.Chain(
        {service: os.environ[f"{service.upper()}_DATABASE_URL"] for service in PACKAGES}
    )
    for _step, run in chain.steps(HOPS_WARM_UP):
        run()
    for step, run in chain.steps(submissions):
        _counting("on")
        run()
        _counting("off")
        subprocess.run(["callgrind_control", "--dump", step, str(os.getpid())], check=True)


def _counting(state: str) -> None:
    subprocess.run(["callgrind_control", "-i", state, str(os.getpid())], check=True)


def main() -> None:
    args = _arguments()
    if args.child:
        child(args.child[0], int(args.child[1]))
        return
    if shutil.which("valgrind") is None:
        sys.exit("bench.instructions: valgrind is not installed (apt-get install valgrind)")
    print(
        f"Instructions per create of {SKU}, in process (callgrind; no HTTP, no database "
        f"server), {args.creates} creates after {WARM_UP}",
        flush=True,
    )
    print(f"{'database':<11} {'ours':>10} {'floor':>10} {'floor/ours':>10}", flush=True)
    kinds = args.databases.split(",")
    for kind in kinds:
        per_create = count(kind, args.creates)
        ours, floor = per_create["ours"], per_create["floor"]
        print(f"{kind:<11} {ours:>10,.0f} {floor:>10,.0f} {floor / ours:>10.2f}", flush=True)
    print(
        f"\nInstructions per submission by step of its way, in process, {args.submissions} "
        f"submissions after {HOPS_WARM_UP}, each event applied alone",
        flush=True,
    )
    counted = {kind: count_steps(kind, args.submissions) for kind in kinds}
    print(f"{'step':<56}" + "".join(f"{kind:>12}" for kind in kinds))
    for step, what in hops.STEPS:
        print(f"{what:<56}" + "".join(f"{counted[kind].get(step, 0):>12,.0f}" for kind in kinds))
    print(f"{'all steps':<56}" + "".join(f"{sum(counted[k].values()):>12,.0f}" for k in kinds))


if __name__ == "__main__":
    main()
