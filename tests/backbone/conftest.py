from __future__ import annotations

import contextlib
import subprocess
import sys
import threading
import urllib.parse
from pathlib import Path

import pika
import pytest

sys.path.insert(0, str(Path(__file__).parent))

from procurement_common.topology import Topology, connection_parameters

import toy


@pytest.fixture
def engine(database_url):
    engine = toy.setup_database(database_url)
    yield engine
    engine.dispose()


class Broker:
    """A test's own handle on RabbitMQ: publish like a relay, look into queues."""

    def __init__(self, amqp_url: str):
        self.vhost = urllib.parse.unquote(amqp_url.rsplit("/", 1)[1])
        self.topology = Topology()
        self.connection = pika.BlockingConnection(connection_parameters(amqp_url))
        self.channel = self.connection.channel()
        self.topology.declare(self.channel)
        self.channel.confirm_delivery()

    def publish(self, body: bytes | str, routing_key: str = toy.EVENT_TYPE) -> None:
        self.channel.basic_publish(
            self.topology.exchange,
            routing_key,
            body.encode() if isinstance(body, str) else body,
            pika.BasicProperties(delivery_mode=pika.DeliveryMode.Persistent),
            mandatory=True,
        )

    def depth(self, queue: str) -> int:
        return self.channel.queue_declare(queue, passive=True).method.message_count

    def held(self, queue: str) -> int:
        """Messages ready plus delivered and not yet acked."""
        result = subprocess.run(
            ["rabbitmqctl", "-q", "list_queues", "-p", self.vhost, "name", "messages"],
            capture_output=True, text=True, check=True, timeout=60,
        )  # fmt: skip
        counts = dict(line.split("\t") for line in result.stdout.splitlines()[1:] if "\t" in line)
        return int(counts[queue])

    def close(self):
        with contextlib.suppress(pika.exceptions.AMQPError):
            self.connection.close()


@pytest.fixture
def broker(amqp_url):
    broker = Broker(amqp_url)
    yield broker
    broker.close()


@pytest.fixture
def run_consumer(engine, amqp_url):
    """Start the toy consumer in a thread; return the outcomes it reports."""
    started = []

    def start(amqp_url=amqp_url, **kwargs):
        outcomes: list[str] = []
        stop = threading.Event()
        consumer = toy.consumer(engine, amqp_url, on_outcome=outcomes.append, **kwargs)
        thread = threading.Thread(target=consumer.run, args=(stop,), daemon=True)
        thread.start()
        started.append((stop, thread))
        return outcomes

    yield start
    for stop, thread in started:
        stop.set()
        thread.join(timeout=15)
        assert not thread.is_alive(), "consumer did not stop"
