"""Look into a service's dead-letter queue and send a message back for another try.

python -m request_service dead-letters list
python -m request_service dead-letters replay EVENT_ID
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pika

from .topology import Topology, connection_parameters


@dataclass(frozen=True)
class DeadLetter:
    event_id: str
    event_type: str
    reason: str
    body: bytes


def _describe(properties: pika.BasicProperties, body: bytes) -> DeadLetter:
    headers = properties.headers or {}
    try:
        envelope = json.loads(body)
        event_id, event_type = str(envelope["id"]), str(envelope["type"])
    except (ValueError, KeyError, TypeError):
        event_id, event_type = properties.message_id or "?", properties.type or "?"
    reason = headers.get("x-first-death-reason") or headers.get("x-death", [{}])[0].get("reason")
    return DeadLetter(event_id, event_type, str(reason or "unknown"), body)


class DeadLetterQueue:
    def __init__(self, amqp_url: str, service: str, topology: Topology | None = None):
        self.topology = topology or Topology()
        self.queue = self.topology.dead_letter_queue_name(service)
        self.amqp_url = amqp_url

    def _open(self):
        connection = pika.BlockingConnection(connection_parameters(self.amqp_url))
        channel = connection.channel()
        self.topology.declare(channel)
        return connection, channel

    def list(self) -> list[DeadLetter]:
        """Every dead letter, left where it is."""
        connection, channel = self._open()
        try:
            letters = []
            while (got := channel.basic_get(self.queue)) != (None, None, None):
                _method, properties, body = got
                letters.append(_describe(properties, body))
            return letters
        finally:
            connection.close()  # unacked, so all of them stay in the queue

    def replay(self, event_id: str) -> DeadLetter | None:
        """Publish one dead letter to the exchange again, then remove it from this queue."""
        connection, channel = self._open()
        try:
            channel.confirm_delivery()
            while (got := channel.basic_get(self.queue)) != (None, None, None):
                method, properties, body = got
                letter = _describe(properties, body)
                if letter.event_id != event_id:
                    continue
                channel.basic_publish(
                    self.topology.exchange,
                    letter.event_type,
                    body,
                    pika.BasicProperties(
                        content_type="application/json",
                        delivery_mode=pika.DeliveryMode.Persistent,
                        message_id=letter.event_id,
                        type=letter.event_type,
                    ),
                    mandatory=True,
                )
                channel.basic_ack(method.delivery_tag)
                return letter
            return None
        finally:
            connection.close()
