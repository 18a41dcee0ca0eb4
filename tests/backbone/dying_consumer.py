"""A consumer process that dies after its transaction commits and before it acks.

python dying_consumer.py DATABASE_URL AMQP_URL
"""

from __future__ import annotations

import os
import sys
import threading

sys.path.insert(0, os.path.dirname(__file__))

from procurement_common.consumer import EventConsumer

import toy

DIED_BEFORE_ACK = 17


class DiesBeforeAck(EventConsumer):
    def _settle(self, connection, settle):
        os._exit(DIED_BEFORE_ACK)


if __name__ == "__main__":
    database_url, amqp_url = sys.argv[1:3]
    engine = toy.setup_database(database_url)
    toy.consumer(engine, amqp_url, cls=DiesBeforeAck).run(threading.Event())
