"""``make bench``: how fast the system is, measured against the floor of its stack.

One run starts everything it needs (gunicorn web processes, workers, a floor
app, throwaway databases and a RabbitMQ virtual host), measures, and removes
all of it again. See docs/benchmark.md for the method and the latest figures.
"""
