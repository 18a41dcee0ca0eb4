"""Say in one line whether RabbitMQ answers, instead of a traceback later."""

from __future__ import annotations

import os
import sys

import pika

from procurement_common.settings import DEFAULT_AMQP_URL
from procurement_common.topology import connection_parameters


def main() -> int:
    url = os.environ.get("AMQP_URL", DEFAULT_AMQP_URL)
    try:
        pika.BlockingConnection(connection_parameters(url, socket_timeout=3)).close()
    except Exception as exc:  # any failure to connect gets the same advice
        shown = pika.URLParameters(url)
        print(
            f"RabbitMQ is not reachable at {shown.host}:{shown.port} ({exc.__class__.__name__}). "
            "Start it with `rabbitmq-server -detached` (or `docker compose up -d rabbitmq`) "
            "and run this again.",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
