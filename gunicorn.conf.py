"""Gunicorn settings shared by the three web processes."""

import gc
import os
import subprocess
import sys

workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = "gthread"
threads = int(os.environ.get("WEB_THREADS", "4"))
timeout = 30
graceful_timeout = 10
# The app is made in each worker after the fork, so no database or broker
# connection is ever shared between processes.
preload_app = False
accesslog = os.environ.get("ACCESS_LOG")


def on_starting(server):
    """Migrate once, before the workers fork, so that no worker imports Alembic."""
    package = server.app.app_uri.split(":", 1)[0]
    subprocess.run([sys.executable, "-m", package, "migrate"], check=True)
    os.environ["MIGRATE_ON_START"] = "0"


def post_worker_init(worker):
    """Move what the app made at start-up out of the garbage collector's sight.

    A worker holds some 80,000 long-lived objects after start-up (Flask,
    SQLAlchemy, marshmallow, the OpenAPI spec); a full collection walks all
    of them, about 100 ms with the GIL held. Frozen, they are never walked.
    """
    gc.freeze()
