"""The whole system as it runs in production, for end-to-end and fault tests:
three gunicorn web processes and three workers, on their own ports, databases
and RabbitMQ virtual host."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import requests

from procurement_common.auth import COOKIE_NAME
from procurement_common.settings import DEFAULT_PORTS

from support import poll, rabbitmqctl

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = {
    "requests": "request_service",
    "inventory": "inventory_service",
    "approvals": "approval_service",
}
SECRET = "e2e-secret-that-is-long-enough-for-hs256-0123456789"


def bound_socket() -> socket.socket:
    """A socket on a free loopback port, handed open to the web process.

    A port found by binding and closing comes from the range the kernel
    also gives outgoing connections their local ports from, and once the
    workers' first connections to PostgreSQL and RabbitMQ took one before
    gunicorn bound it ("Connection in use"). A socket held open from the
    start and passed on (``--bind fd://N``) cannot be taken.
    """
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    return sock


@dataclass
class System:
    workdir: Path
    amqp_url: str
    database_urls: dict[str, str]
    extra_env: dict[str, str] = field(default_factory=dict)
    sockets: dict[str, socket.socket] = field(
        default_factory=lambda: {s: bound_socket() for s in DEFAULT_PORTS}
    )
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)

    def port(self, service: str) -> int:
        return self.sockets[service].getsockname()[1]

    def env(self, service: str) -> dict[str, str]:
        env = {
            **os.environ,
            "AUTH_SECRET": SECRET,
            "AMQP_URL": self.amqp_url,
            "DATA_DIR": str(self.workdir),
            "DATABASE_URL": self.database_urls[service],
            "PORT": str(self.port(service)),
            "WEB_CONCURRENCY": "2",
            "PYTHONUNBUFFERED": "1",
            "CATALOG_FILL_INTERVAL_SECONDS": "0.5",
            **{f"{s.upper()}_URL": self.url(s) for s in DEFAULT_PORTS},
            **self.extra_env,
        }
        return env

    def url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.port(service)}"

    def command(self, process: str) -> list[str]:
        service, kind = process.rsplit("-", 1)
        if kind == "web":
            return [
                sys.executable, "-m", "gunicorn",
                "--config", str(ROOT / "gunicorn.conf.py"),
                "--bind", f"fd://{self.sockets[service].fileno()}",
                f"{PACKAGES[service]}:create_app()",
            ]  # fmt: skip
        return [sys.executable, "-m", PACKAGES[service], "worker"]

    def start(self, process: str) -> subprocess.Popen:
        service, kind = process.rsplit("-", 1)
        log = open(self.workdir / f"{process}.log", "ab")  # noqa: SIM115 - lives as long as the process
        proc = subprocess.Popen(
            self.command(process),
            cwd=ROOT,
            env=self.env(service),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            pass_fds=(self.sockets[service].fileno(),) if kind == "web" else (),
        )
        self.processes[process] = proc
        return proc

    def seed(self) -> None:
        for service, package in PACKAGES.items():
            subprocess.run(
                [sys.executable, "-m", package, "seed"],
                cwd=ROOT,
                env=self.env(service),
                check=True,
                capture_output=True,
                timeout=120,
            )

    def start_all(self) -> None:
        self.seed()
        for service in PACKAGES:
            self.start(f"{service}-web")
            self.start(f"{service}-worker")
        for service in PACKAGES:
            poll(lambda s=service: self.ready(s), timeout=60, message=f"{service} to be ready")

    def ready(self, service: str) -> bool:
        try:
            return requests.get(f"{self.url(service)}/readyz", timeout=2).status_code == 200
        except requests.RequestException:
            return False

    def kill(self, process: str, sig: int = signal.SIGKILL) -> None:
        proc = self.processes.pop(process)
        if proc.poll() is None:
            os.killpg(proc.pid, sig)
        proc.wait(timeout=30)

    def stop_all(self) -> None:
        for process in list(self.processes):
            proc = self.processes[process]
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for process in list(self.processes):
            try:
                self.processes[process].wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.processes[process].pid, signal.SIGKILL)
                self.processes[process].wait(timeout=10)
            del self.processes[process]
        for sock in self.sockets.values():
            sock.close()

    def logs(self) -> str:
        return "\n".join(
            f"--- {log.name}\n" + log.read_text(errors="replace")[-3000:]
            for log in sorted(self.workdir.glob("*.log"))
        )

    # -- talking to it like a person would ------------------------------
    def token(self, username: str, password: str = "demo-pass") -> str:
        response = requests.post(
            f"{self.url('requests')}/api/v1/auth/token",
            json={"username": username, "password": password},
            timeout=10,
        )
        assert response.status_code == 200, response.text
        return response.json()["access_token"]

    def client(self, username: str, password: str = "demo-pass") -> Client:
        return Client(self, self.token(username, password))


class Client:
    """A signed-in person: ``client.post("requests", "/requests", json=...)``."""

    def __init__(self, system: System, token: str):
        self.system = system
        self.token = token
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {token}"

    def page(self, service: str, path: str) -> str:
        """A page's HTML, as her browser, which carries the token in a cookie, gets it."""
        response = requests.get(
            f"{self.system.url(service)}{path}", cookies={COOKIE_NAME: self.token}, timeout=15
        )
        assert response.status_code == 200, response.text
        return response.text

    def call(self, method: str, service: str, path: str, **kwargs) -> requests.Response:
        kwargs.setdefault("timeout", 15)
        url = f"{self.system.url(service)}/api/v1{path}"
        return self.session.request(method, url, **kwargs)

    def get(self, service: str, path: str, **kwargs) -> requests.Response:
        return self.call("GET", service, path, **kwargs)

    def post(self, service: str, path: str, **kwargs) -> requests.Response:
        return self.call("POST", service, path, **kwargs)

    def put(self, service: str, path: str, **kwargs) -> requests.Response:
        return self.call("PUT", service, path, **kwargs)


@contextlib.contextmanager
def broker_down():
    """RabbitMQ's application stopped (the node stays up), started again after."""
    rabbitmqctl("stop_app")
    try:
        yield
    finally:
        rabbitmqctl("start_app")
        rabbitmqctl("await_startup")


@contextlib.contextmanager
def running_system(backend: str, workdir: Path, postgres_databases, virtual_hosts, **extra_env):
    """Start the six processes on fresh databases of ``backend``; stop them after."""
    if backend == "postgresql":
        urls = {service: postgres_databases.create() for service in PACKAGES}
    else:
        urls = {service: f"sqlite:///{workdir}/{service}.db" for service in PACKAGES}
    system = System(workdir, virtual_hosts.create(), urls, extra_env=extra_env)
    try:
        system.start_all()
        yield system
    except BaseException:
        print(system.logs())
        raise
    finally:
        system.stop_all()
