"""RabbitMQ topology: who listens to what, and where failed messages go.

Every process declares the whole topology when it connects, so an event
published before its consumer first started still has a queue to land in.
"""

from __future__ import annotations

from dataclasses import dataclass

import pika

from . import events as ev

DEAD_LETTER_EXCHANGE = "procurement.dead-letter"

# The events each service consumes. A queue per consuming service.
SUBSCRIPTIONS: dict[str, tuple[str, ...]] = {
    "requests": (
        ev.APPROVAL_REQUESTED,
        ev.APPROVAL_REMINDED,
        ev.APPROVAL_ESCALATED,
        ev.APPROVAL_APPROVED,
        ev.APPROVAL_REJECTED,
        ev.APPROVAL_RETURNED,
        ev.STOCK_RESERVED,
        ev.STOCK_ISSUED,
        ev.ITEM_CHANGED,
    ),
    "approvals": (ev.REQUEST_SUBMITTED, ev.REQUEST_CANCELLED, ev.ACCOUNT_CHANGED),
    "inventory": (
        ev.APPROVAL_APPROVED,
        ev.REQUEST_CANCELLED,
        ev.REQUEST_RECEIVED,
        ev.ACCOUNT_CHANGED,
    ),
}


@dataclass(frozen=True)
class Topology:
    exchange: str = ev.EXCHANGE
    dead_letter_exchange: str = DEAD_LETTER_EXCHANGE
    # RabbitMQ 3.10 has no default limit: a failing message would loop forever.
    delivery_limit: int = 5

    @staticmethod
    def queue_name(service: str) -> str:
        return f"{service}.events"

    @staticmethod
    def dead_letter_queue_name(service: str) -> str:
        return f"{service}.events.dead"

    def queue_arguments(self, service: str) -> dict:
        return {
            "x-queue-type": "quorum",
            "x-delivery-limit": self.delivery_limit,
            "x-dead-letter-exchange": self.dead_letter_exchange,
            "x-dead-letter-routing-key": self.dead_letter_queue_name(service),
            "x-dead-letter-strategy": "at-least-once",
            "x-overflow": "reject-publish",
        }

    def declare(self, channel: pika.adapters.blocking_connection.BlockingChannel) -> None:
        channel.exchange_declare(self.exchange, exchange_type="topic", durable=True)
        channel.exchange_declare(self.dead_letter_exchange, exchange_type="direct", durable=True)
        for service, event_types in SUBSCRIPTIONS.items():
            queue = self.queue_name(service)
            dead = self.dead_letter_queue_name(service)
            channel.queue_declare(dead, durable=True, arguments={"x-queue-type": "quorum"})
            channel.queue_bind(dead, self.dead_letter_exchange, routing_key=dead)
            channel.queue_declare(queue, durable=True, arguments=self.queue_arguments(service))
            for event_type in event_types:
                channel.queue_bind(queue, self.exchange, routing_key=event_type)


def connection_parameters(amqp_url: str, **overrides) -> pika.URLParameters:
    params = pika.URLParameters(amqp_url)
    if "heartbeat" not in amqp_url:  # a ?heartbeat= in the URL wins
        params.heartbeat = overrides.get("heartbeat", 30)
    # A publish must not hang forever while the broker is blocked by an alarm.
    params.blocked_connection_timeout = overrides.get("blocked_connection_timeout", 60)
    params.connection_attempts = 1
    params.socket_timeout = overrides.get("socket_timeout", 5)
    return params
