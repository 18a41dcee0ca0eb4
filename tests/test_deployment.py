"""docker-compose.yml runs the same processes, with the same commands, as `make run`."""

from __future__ import annotations

import os
import shlex
import subprocess
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
INFRASTRUCTURE = {"rabbitmq", "postgres"}


def procfile() -> dict[str, list[str]]:
    processes = {}
    for line in (ROOT / "Procfile").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, command = line.split(":", 1)
            processes[name.strip()] = shlex.split(command)
    return processes


def compose_config() -> dict:
    """The file as docker-compose itself reads it (validated, anchors resolved)."""
    result = subprocess.run(
        ["docker-compose", "-f", str(ROOT / "docker-compose.yml"), "config"],
        capture_output=True,
        text=True,
        env={**os.environ, "AUTH_SECRET": "x" * 40},
        timeout=60,
        check=True,
    )
    return yaml.safe_load(result.stdout)


def as_run_locally(command) -> list[str]:
    """A container binds every interface; `make run` binds the loopback one."""
    words = shlex.split(command) if isinstance(command, str) else list(command)
    return [word.replace("0.0.0.0:", "127.0.0.1:") for word in words]


def test_compose_runs_the_same_processes_as_make_run():
    services = compose_config()["services"]
    assert set(services) - INFRASTRUCTURE == set(procfile())


def test_each_compose_process_has_the_make_run_command():
    services = compose_config()["services"]
    for name, command in procfile().items():
        assert as_run_locally(services[name]["command"]) == command, name


def test_every_service_gets_its_own_database_and_the_shared_broker():
    services = compose_config()["services"]
    databases = {name: services[name]["environment"]["DATABASE_URL"] for name in procfile()}
    for name, url in databases.items():
        assert url.endswith("/" + name.split("-")[0]), name
        assert "rabbitmq:5672" in services[name]["environment"]["AMQP_URL"]


def test_make_run_starts_the_procfile():
    assert "honcho start -f Procfile" in (ROOT / "Makefile").read_text()
