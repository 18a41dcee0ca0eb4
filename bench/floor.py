"""The floor: the least a service on this stack can do for a create.

A bare Flask app, served by the same gunicorn configuration as ours, that
validates the body with marshmallow and inserts one row plus one outbox row
in one transaction, through ``procurement_common.db.make_engine`` (so SQLite
gets the same WAL, busy timeout and ``BEGIN IMMEDIATE`` as the services).
No sign-in, catalog look-up, history or metrics: what is left is the cost of
Flask, marshmallow, SQLAlchemy and the database themselves.

Run as ``gunicorn 'bench.floor:create_app()'`` with ``DATABASE_URL`` set,
after ``prepare`` made the tables (not in the app: two workers would race).
"""

from __future__ import annotations

import json
import os

from flask import Flask, request
from marshmallow import Schema, ValidationError, fields, validate
from sqlalchemy import Column, String, Table, Text, insert

from procurement_common.db import (
    UTCDateTime,
    make_engine,
    make_sessionmaker,
    new_id,
    new_metadata,
    utcnow,
)
from procurement_common.events import Event
from procurement_common.outbox import MessagingTables

metadata = new_metadata()
requests_table = Table(
    "floor_requests",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("purpose", Text, nullable=False),
    Column("lines", Text, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)
messaging = MessagingTables.define(metadata)


class LineSchema(Schema):
    sku = fields.String(required=True, validate=validate.Length(min=1, max=64))
    quantity = fields.Integer(required=True, validate=validate.Range(min=1, max=10000))


class RequestSchema(Schema):
    lines = fields.List(fields.Nested(LineSchema), required=True, validate=validate.Length(min=1))
    purpose = fields.String(required=True, validate=validate.Length(min=1, max=1000))
    urgency = fields.String(load_default="normal", validate=validate.OneOf(["normal", "urgent"]))


def prepare(database_url: str) -> None:
    engine = make_engine(database_url)
    metadata.create_all(engine)
    engine.dispose()


def create_app() -> Flask:
    sessions = make_sessionmaker(make_engine(os.environ["DATABASE_URL"]))
    schema = RequestSchema()
    app = Flask(__name__)

    @app.post("/api/v1/requests")
    def create():
        try:
            data = schema.load(request.get_json())
        except ValidationError as error:
            return {"errors": error.messages}, 422
        request_id = new_id()
        with sessions.begin() as session:
            session.execute(
                insert(requests_table).values(
                    id=request_id,
                    purpose=data["purpose"],
                    lines=json.dumps(data["lines"]),
                    created_at=utcnow(),
                )
            )
            event = Event("request.submitted", {"request_id": request_id, **data}, "floor")
            messaging.record(session, event)
        return {"id": request_id, **data}, 201

    @app.get("/healthz")
    def healthz():
        return {"status": "ok"}

    return app
