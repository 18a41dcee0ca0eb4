"""Processes that die at the worst moment, for the backbone tests.

python dying.py consumer DATABASE_URL AMQP_URL   # after commit, before ack
python dying.py relay DATABASE_URL AMQP_URL      # after confirm, before marking sent
"""

from __future__ import annotations

import os
import sys
import threading

sys.path.insert(0, os.path.dirname(__file__))

from procurement_common.consumer import EventConsumer
from procurement_common.relay import OutboxRelay

import toy

DIED = 17


class DiesBeforeAck(EventConsumer):
    def _settle(self, _settled):
        os._exit(DIED)


class DiesBeforeMarkingSent(OutboxRelay):
    def _mark(self, *_rows):
        os._exit(DIED)


if __name__ == "__main__":
    role, database_url, amqp_url = sys.argv[1:4]
    engine = toy.setup_database(database_url)
    if role == "consumer":
        toy.consumer(engine, amqp_url, cls=DiesBeforeAck).run(threading.Event())
    else:
        DiesBeforeMarkingSent(engine, toy.messaging.outbox, amqp_url).run(threading.Event())
