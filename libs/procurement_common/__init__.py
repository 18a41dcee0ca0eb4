"""What the three procurement services share, and nothing else.

- ``events``: the event envelope and the catalogue of event types.
- ``topology``: the RabbitMQ exchange, queues and dead-letter queues.
- ``outbox`` and ``relay``: events written with the change they report, then
  published with publisher confirms.
- ``consumer``: the idempotent consumer base.
- ``auth``: the signed token every service accepts.
- ``web``, ``db``, ``settings``, ``migrations``, ``worker``: the plumbing that
  makes a Flask service of each.
"""
