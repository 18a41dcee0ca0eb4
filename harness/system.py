"""Processes as production runs them (see the Procfile): gunicorn with
gunicorn.conf.py for web, ``python -m <service> worker`` for workers, each on
a free loopback port with its own database and the run's virtual host."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
SECRET = "harness-secret-that-is-long-enough-for-hs256-0123456789"
PACKAGES = {
    "requests": "request_service",
    "inventory": "inventory_service",
    "approvals": "approval_service",
}


def port_of(sock: socket.socket) -> int:
    return sock.getsockname()[1]


def wait_until(predicate: Callable[[], object], timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while not (value := predicate()):
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(0.1)
    return value


def answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=2).status_code == 200
    except requests.RequestException:
        return False


class Launcher:
    """Starts processes and stops every one of them when the ``with`` ends.

    Each process gets its own session, so a signal to its group reaches
    gunicorn's workers too, and a Ctrl-C at the terminal reaches only us:
    we stop them in order instead of leaving orphans.
    """

    def __init__(self, logs_dir: Path):
        self.logs_dir = logs_dir
        self.processes: dict[str, subprocess.Popen] = {}
        self.sockets: list[socket.socket] = []

    def __enter__(self) -> Launcher:
        return self

    def __exit__(self, exc_type, _exc, _tb) -> None:
        if exc_type is not None and not issubclass(exc_type, KeyboardInterrupt):
            print(self.logs(), file=sys.stderr)  # the directory may go next; show why now
        self.stop_all()

    def socket(self) -> socket.socket:
        """A socket on a free loopback port, for ``start_web`` to hand over open.

        A port found by binding and closing comes from the range the kernel
        also gives outgoing connections their local ports from: a worker's
        first connection to PostgreSQL or RabbitMQ can take it before
        gunicorn binds it. A socket held open and passed on cannot be taken.
        """
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        self.sockets.append(sock)
        return sock

    def start(
        self, name: str, argv: list[str], env: dict[str, str], pass_fds: tuple[int, ...] = ()
    ) -> subprocess.Popen:
        with open(self.logs_dir / f"{name}.log", "ab") as log:
            process = subprocess.Popen(
                argv,
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                pass_fds=pass_fds,
            )
        self.processes[name] = process
        return process

    def start_web(self, name: str, app: str, sock: socket.socket, env: dict[str, str]) -> None:
        """Gunicorn with gunicorn.conf.py, serving ``app`` on ``sock``."""
        argv = [
            sys.executable, "-m", "gunicorn",
            "--config", str(ROOT / "gunicorn.conf.py"),
            "--bind", f"fd://{sock.fileno()}",
            app,
        ]  # fmt: skip
        self.start(name, argv, env, pass_fds=(sock.fileno(),))

    def pids(self) -> dict[str, int]:
        return {name: process.pid for name, process in self.processes.items()}

    def kill(self, name: str, sig: int = signal.SIGKILL) -> None:
        """Signal a process and its children, and wait for it to end."""
        process = self.processes.pop(name)
        if process.poll() is None:
            os.killpg(process.pid, sig)
        process.wait(timeout=30)

    def stop_all(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
        self.processes.clear()
        for sock in self.sockets:
            sock.close()
        self.sockets.clear()

    def logs(self) -> str:
        """The last lines each process wrote."""
        return "\n".join(
            f"--- {log.name} (last lines)\n" + log.read_text(errors="replace")[-3000:]
            for log in sorted(self.logs_dir.glob("*.log"))
        )


class System:
    """Some or all of the three services, wired to each other; ``extra_env``
    goes to every process, over the rest."""

    def __init__(
        self,
        launcher: Launcher,
        amqp_url: str,
        database_urls: dict[str, str],
        extra_env: dict[str, str] | None = None,
    ):
        self.launcher = launcher
        self.amqp_url = amqp_url
        self.database_urls = database_urls
        self.extra_env = extra_env or {}
        self.sockets = {service: launcher.socket() for service in PACKAGES}

    def port(self, service: str) -> int:
        return port_of(self.sockets[service])

    def url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.port(service)}"

    def env(self, service: str) -> dict[str, str]:
        return {
            **os.environ,
            "AUTH_SECRET": SECRET,
            "AMQP_URL": self.amqp_url,
            "DATABASE_URL": self.database_urls[service],
            "DATA_DIR": str(self.launcher.logs_dir),
            "PORT": str(self.port(service)),
            "PYTHONUNBUFFERED": "1",
            # A fresh requests database copies the catalog from inventory soon.
            "CATALOG_FILL_INTERVAL_SECONDS": "0.5",
            **{f"{name.upper()}_URL": self.url(name) for name in PACKAGES},
            **self.extra_env,
        }

    def seed(self, *services: str) -> None:
        """Migrate and load the demo data, as ``make seed`` does; the services
        at once, as each has a database of its own."""
        seeding = {
            service: subprocess.Popen(
                [sys.executable, "-m", PACKAGES[service], "seed"],
                cwd=ROOT,
                env=self.env(service),
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
            )
            for service in services
        }
        for service, process in seeding.items():
            output, _ = process.communicate(timeout=120)
            if process.returncode:
                raise RuntimeError(f"seeding {service} failed:\n{output.decode(errors='replace')}")

    def start_web(self, service: str) -> None:
        self.launcher.start_web(
            f"{service}-web",
            f"{PACKAGES[service]}:create_app()",
            self.sockets[service],
            self.env(service),
        )

    def start_worker(self, service: str) -> None:
        argv = [sys.executable, "-m", PACKAGES[service], "worker"]
        self.launcher.start(f"{service}-worker", argv, self.env(service))

    def start(self, process: str) -> None:
        """Start ``<service>-web`` or ``<service>-worker``."""
        service, kind = process.rsplit("-", 1)
        {"web": self.start_web, "worker": self.start_worker}[kind](service)

    def kill(self, process: str, sig: int = signal.SIGKILL) -> None:
        self.launcher.kill(process, sig)

    def wait_ready(self, service: str) -> None:
        url = f"{self.url(service)}/readyz"
        wait_until(lambda: answers(url), timeout=60, what=f"{service} to be ready")

    def start_all(self) -> None:
        """Seed each service, start its web and worker processes, wait until all are ready."""
        self.seed(*PACKAGES)
        for service in PACKAGES:
            self.start_web(service)
            self.start_worker(service)
        for service in PACKAGES:
            self.wait_ready(service)

    def token(self, username: str, password: str = "demo-pass") -> str:
        response = requests.post(
            f"{self.url('requests')}/api/v1/auth/token",
            json={"username": username, "password": password},
            timeout=10,
        )
        response.raise_for_status()
        return response.json()["access_token"]
