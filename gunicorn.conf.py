"""Gunicorn settings shared by the three web processes."""

import os

workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = "gthread"
threads = int(os.environ.get("WEB_THREADS", "4"))
timeout = 30
graceful_timeout = 10
# The app is made in each worker after the fork, so no database or broker
# connection is ever shared between processes.
preload_app = False
accesslog = os.environ.get("ACCESS_LOG")
