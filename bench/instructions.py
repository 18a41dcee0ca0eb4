"""Instructions per create, ours against the floor, counted by callgrind.

``python -m bench.instructions`` (``make bench-instructions``).

Part 1 of ``make bench`` times the two under load, and on a shared machine
its ratio moves by a tenth between runs of the same code. Valgrind's
callgrind counts the instructions a process executes instead: the same
count for the same code, whatever else the machine does, so a change of a
few per cent to a create shows at once. It counts the Python process only,
in process (a Flask test client: no HTTP, no gunicorn), and neither the
database server nor the kernel; it says where a create's own work went, not
how fast the system serves it.
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

from harness.system import ROOT, Launcher, System

from .create import BODY, SKU, stock_catalog_copy
from .floor import create_app as create_floor_app
from .floor import prepare as prepare_floor
from .resources import DATABASES, Resources

WARM_UP = 30  # creates before counting: caches filled, statements prepared
NOT_USED = "amqp://guest:guest@127.0.0.1:5672/not-used"  # a create only writes its outbox


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.instructions", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--creates", type=int, default=200, help="creates counted per target")
    parser.add_argument(
        "--databases", default=",".join(DATABASES), help="comma-separated: sqlite,postgresql"
    )
    parser.add_argument("--child", nargs=2, metavar=("TARGET", "CREATES"), help=argparse.SUPPRESS)
    return parser.parse_args()


def count(kind: str, creates: int) -> dict[str, float]:
    """Instructions per create of ours and of the floor on a database of ``kind``."""
    per_create = {}
    with ExitStack() as stack:
        resources = Resources(stack)
        floor_db = resources.database(kind, "floor")
        prepare_floor(floor_db)
        with Launcher(resources.directory("logs")) as launcher:
            system = System(launcher, NOT_USED, {"requests": resources.database(kind, "requests")})
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
    """Run in the counted process: warm up, then count ``creates`` creates."""
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
    for kind in args.databases.split(","):
        per_create = count(kind, args.creates)
        ours, floor = per_create["ours"], per_create["floor"]
        print(f"{kind:<11} {ours:>10,.0f} {floor:>10,.0f} {floor / ours:>10.2f}", flush=True)


if __name__ == "__main__":
    main()
