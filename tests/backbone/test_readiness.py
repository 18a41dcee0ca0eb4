"""What ``/readyz`` says about a service's database and broker, and what a
web process loads to say it."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading

import pytest

from inventory_service import create_app
from tests.support import TEST_SECRET


def readiness(database_url: str, amqp_url: str, **settings):
    app = create_app(
        {"DATABASE_URL": database_url, "AUTH_SECRET": TEST_SECRET, "AMQP_URL": amqp_url, **settings}
    )
    try:
        response = app.test_client().get("/readyz")
        return response.status_code, response.json
    finally:
        app.extensions["database"].engine.dispose()


@pytest.fixture
def not_a_broker():
    """An AMQP URL whose port answers, but not as a broker does."""
    listener = socket.create_server(("127.0.0.1", 0))

    def answer_wrongly():
        while True:
            try:
                connection, _ = listener.accept()
            except OSError:
                return  # closed: the test is over
            with connection:
                connection.recv(8)
                connection.sendall(b"HTTP/1.1 400 Bad Request\r\n\r\n")

    threading.Thread(target=answer_wrongly, daemon=True).start()
    yield f"amqp://guest:guest@127.0.0.1:{listener.getsockname()[1]}/%2F"
    listener.close()


def unused_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_a_service_with_its_database_and_broker_is_ready(database_url, amqp_url):
    assert readiness(database_url, amqp_url) == (200, {"status": "ready", "service": "inventory"})


def test_a_service_whose_broker_is_gone_is_not_ready_and_says_so(database_url):
    status, body = readiness(database_url, f"amqp://guest:guest@127.0.0.1:{unused_port()}/%2F")

    assert status == 503
    assert body["message"] == "rabbitmq not reachable"
    assert set(body["down"]) == {"rabbitmq"}


def test_something_else_on_the_broker_port_is_not_taken_for_a_broker(database_url, not_a_broker):
    status, body = readiness(database_url, not_a_broker)

    assert status == 503
    assert set(body["down"]) == {"rabbitmq"}


def test_a_service_whose_database_server_is_gone_is_not_ready(amqp_url):
    gone = f"postgresql+psycopg://postgres@127.0.0.1:{unused_port()}/inventory"

    status, body = readiness(gone, amqp_url, MIGRATE_ON_START="0")

    assert status == 503
    assert body["message"] == "database not reachable"
    assert set(body["down"]) == {"database"}


def test_a_web_process_never_loads_the_broker_client(database_url, amqp_url):
    # Web processes publish through the outbox only; pika would cost each 2 MB.
    script = (
        "import sys\n"
        "from tests.backbone.test_readiness import readiness\n"
        f"assert readiness({database_url!r}, {amqp_url!r})[0] == 200\n"
        "print(sorted(name for name in sys.modules if name.split('.')[0] == 'pika'))\n"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    )
    assert loaded.stdout.strip() == "[]"
