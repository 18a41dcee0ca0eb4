"""The whole system as it runs in production, for end-to-end and fault tests:
three gunicorn web processes and three workers, on their own ports, databases
and RabbitMQ virtual host (started by ``harness.system``), and people using it."""

from __future__ import annotations

import contextlib
from pathlib import Path

import requests

from harness import system as harness
from procurement_common.auth import COOKIE_NAME

from support import rabbitmqctl


class System(harness.System):
    def client(self, username: str, password: str = "demo-pass") -> Client:
        return Client(self, self.token(username, password))

    def logs(self) -> str:
        return self.launcher.logs()


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
        urls = {service: postgres_databases.create() for service in harness.PACKAGES}
    else:
        urls = {service: f"sqlite:///{workdir}/{service}.db" for service in harness.PACKAGES}
    with harness.Launcher(workdir) as launcher:
        system = System(launcher, virtual_hosts.create(), urls, extra_env)
        system.start_all()
        yield system
