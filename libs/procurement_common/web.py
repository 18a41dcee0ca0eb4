"""What makes a Flask app one of our services: config, database session,
JSON errors, health and readiness, metrics, OpenAPI, CSRF, security headers.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import re
import socket
import ssl
import struct
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http import HTTPStatus
from urllib.parse import urlsplit

from flask import Flask, Response, current_app, g, render_template, request
from flask_smorest import Api, Blueprint
from flask_wtf.csrf import CSRFError, CSRFProtect
from marshmallow import ValidationError, fields
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from sqlalchemy import Engine, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker
from werkzeug.exceptions import (
    BadRequest,
    HTTPException,
    InternalServerError,
    ServiceUnavailable,
    UnprocessableEntity,
)

from .db import make_engine, make_sessionmaker, reading
from .outbox import MessagingTables
from .revocation import TokenCutoffs
from .settings import Settings
from .ui import ui

log = logging.getLogger(__name__)

API_PREFIX = "/api/v1"
# flask-smorest's schema of an error body, by name, for ``alt_response(schema=ERROR)``.
ERROR = "Error"


@dataclass
class Database:
    engine: Engine
    sessions: sessionmaker
    messaging: MessagingTables

    @classmethod
    def connect_lazily(cls, url: str, messaging: MessagingTables) -> Database:
        engine = make_engine(url)
        return cls(engine, make_sessionmaker(engine), messaging)


def db() -> Database:
    return current_app.extensions["database"]


def db_session() -> Session:
    """The request's session: the unit of work, committed by the view."""
    if "db_session" not in g:
        g.db_session = db().sessions()
    return g.db_session


def create_service_app(
    import_name: str, settings: Settings, messaging: MessagingTables, cutoffs: TokenCutoffs
):
    """Build the Flask app and its flask-smorest ``Api``; the caller adds blueprints."""
    app = Flask(import_name)
    app.config.update(
        SETTINGS=settings,
        AUTH_SECRET=settings.auth_secret,
        SECRET_KEY=hashlib.sha256(
            f"{settings.service}:{settings.auth_secret}".encode()
        ).hexdigest(),
        MAX_CONTENT_LENGTH=settings.max_content_length,
        SESSION_COOKIE_NAME=f"{settings.service}_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.production,
        WTF_CSRF_TIME_LIMIT=None,
        API_TITLE=f"Office procurement: {settings.service}",
        API_VERSION="v1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/",
        OPENAPI_JSON_PATH="openapi.json",
        API_SPEC_OPTIONS={
            "components": {
                "securitySchemes": {
                    "bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
                }
            },
            "security": [{"bearerAuth": []}],
        },
        JSON_SORT_KEYS=False,
    )
    app.json.ensure_ascii = False
    database = Database.connect_lazily(settings.database_url, messaging)
    app.extensions["database"] = database
    app.extensions["token_cutoffs"] = cutoffs.reader(database.engine)
    api = Api(app)
    # Every error an operation may answer is named in its doc, not hidden in a catch-all.
    api.DEFAULT_ERROR_RESPONSE_NAME = None
    # Amounts of money travel as decimal strings ("25.00"), never as JSON numbers.
    api.register_field(fields.Decimal, "string", "decimal")
    csrf = CSRFProtect(app)
    app.register_blueprint(ui)
    app.extensions["api_blueprints"] = []

    @app.teardown_appcontext
    def _close_session(_exc):
        session = g.pop("db_session", None)
        if session is not None:
            session.close()

    _install_errors(app, api)
    _install_text_guard(app)
    _install_security_headers(app)
    _install_health(app, settings)
    _install_metrics(app)

    def register_api(blueprint: Blueprint) -> None:
        csrf.exempt(blueprint)
        # flask-smorest's hook for doc made by decorators of our own (here ``api_auth``).
        blueprint._prepare_doc_cbks.append(document_errors)
        api.register_blueprint(blueprint, url_prefix=API_PREFIX + (blueprint.url_prefix or ""))

    app.extensions["register_api"] = register_api
    return app, api


def document_errors(doc: dict, doc_info: dict, **_kwargs) -> dict:
    """Add to an operation's doc the errors that come from the plumbing, not the view:
    400 for a NUL character or half a surrogate pair anywhere (see
    ``_install_text_guard``), 401 and 403 from ``api_auth``, 413 for a body,
    503 when the database is down.
    """
    statuses = [HTTPStatus.BAD_REQUEST]
    if "auth" in doc_info:
        statuses.append(HTTPStatus.UNAUTHORIZED)
        if doc_info["auth"]["roles"]:
            statuses.append(HTTPStatus.FORBIDDEN)
    if "requestBody" in doc:
        statuses.append(HTTPStatus.REQUEST_ENTITY_TOO_LARGE)
    statuses.append(HTTPStatus.SERVICE_UNAVAILABLE)
    responses = doc.setdefault("responses", {})
    for status in statuses:
        # The name refers to flask-smorest's response component for that status.
        responses.setdefault(str(status.value), status.name)
    return doc


def _wants_json() -> bool:
    return (
        request.path.startswith(API_PREFIX) or request.accept_mimetypes.best == "application/json"
    )


def _install_errors(app: Flask, api: Api) -> None:
    def handle_http(error: HTTPException):
        if _wants_json():
            payload, status, headers = api.handle_http_exception(error)
            payload.setdefault("message", error.description)
            errors = payload.get("errors") or {}
            if status == 400 and "json" in errors:
                payload["message"] = "The body is not valid JSON."
            elif status == 413:
                limit = current_app.config["MAX_CONTENT_LENGTH"]
                payload["message"] = f"The body is larger than the limit of {limit} bytes."
            elif status == 422 and errors and "message" not in (getattr(error, "data", None) or {}):
                fields = _field_names(errors)
                payload["message"] = "Some fields are invalid: " + ", ".join(fields) + "."
            return payload, status, headers
        message = getattr(error, "data", {}).get("message") or error.description
        return render_template(
            "error.html", status=error.code, title=error.name, message=message
        ), (error.code or 500)

    def handle_csrf(error: CSRFError):
        error.description = f"The form had expired or was not ours ({error.description}). Reload the page and try again."
        return handle_http(error)

    def handle_unexpected(error: Exception):
        log.exception("unhandled error on %s %s", request.method, request.path)
        return handle_http(
            InternalServerError("Something went wrong on our side; nothing was saved.")
        )

    def handle_invalid(error: ValidationError):
        exc = UnprocessableEntity()
        exc.data = {"messages": {"json": error.normalized_messages()}}
        return handle_http(exc)

    def handle_database_down(error: OperationalError):
        log.warning("database unavailable on %s %s: %s", request.method, request.path, error.orig)
        exc = ServiceUnavailable(
            "The database is not answering; nothing was saved. Try again shortly."
        )
        exc.data = {"headers": {"Retry-After": "2"}}
        return handle_http(exc)

    app.register_error_handler(HTTPException, handle_http)
    app.register_error_handler(OperationalError, handle_database_down)
    app.register_error_handler(CSRFError, handle_csrf)
    app.register_error_handler(ValidationError, handle_invalid)
    app.register_error_handler(Exception, handle_unexpected)

    def map_error(exception_class: type[Exception], status: int) -> None:
        """Answer a domain exception with ``status`` and its text as the message.

        An exception with a ``field`` attribute also names that field in
        ``errors``, as a schema's validation error would.
        """

        def handle(error: Exception):
            exc = HTTPException(description=str(error))
            exc.code = status
            exc.data = {"message": str(error)}
            if field := getattr(error, "field", None):
                exc.data["errors"] = {"json": {field: [str(error)]}}
            return handle_http(exc)

        app.register_error_handler(exception_class, handle)

    app.extensions["map_error"] = map_error


def _field_names(errors, prefix: str = "") -> list[str]:
    names: list[str] = []
    for key, value in errors.items():
        if key in ("json", "form", "query", "headers") and not prefix:
            names.extend(_field_names(value, ""))
        elif isinstance(value, dict):
            names.extend(_field_names(value, f"{prefix}{key}.") or [f"{prefix}{key}"])
        else:
            names.append(
                "the body (a JSON object is expected)" if key == "_schema" else f"{prefix}{key}"
            )
    return names


def _texts(value) -> Iterator[str]:
    """Every string in a parsed JSON value, keys included."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from _texts(item)
    elif isinstance(value, list):
        for item in value:
            yield from _texts(item)


# The bodies that Werkzeug parses into ``request.form``.
_FORM_TYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})


# What no stored text may hold. NUL: PostgreSQL cannot store or even
# compare it in text (a query with it fails outright). Half of a surrogate
# pair: it is not a character, and no database can encode it; only a JSON
# escape (\ud800 to \udfff, alone) can produce one.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
_UNSTORABLE_IN_JSON = re.compile(rb"\x00|\\u(?:0000|[dD][89a-fA-F])")


def _may_hold_unstorable(json_body: bytes) -> bool:
    """Whether a JSON body may hold an unstorable character: a body with neither
    a zero byte nor an escape that could make one needs no parsing and walking."""
    return _UNSTORABLE_IN_JSON.search(json_body) is not None


def _install_text_guard(app: Flask) -> None:
    """Refuse at the door what no text can be stored with (``_UNSTORABLE``)."""

    @app.before_request
    def _refuse_unstorable():
        texts = [request.path, *request.args.keys(), *request.args.values()]
        if request.mimetype in _FORM_TYPES:
            texts += [*request.form.keys(), *request.form.values()]
        # Any other body is read whatever its type, so that one over the limit is a 413 here.
        elif _may_hold_unstorable(request.get_data()) and request.is_json:
            texts += _texts(request.get_json(silent=True))
        for value in texts:
            if found := _UNSTORABLE.search(value):
                if found.group() == "\x00":
                    raise BadRequest("No text may contain the NUL character (U+0000).")
                raise BadRequest(
                    f"No text may contain U+{ord(found.group()):04X}, half of a surrogate "
                    "pair: it is not a character."
                )


SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'",
}


def _install_security_headers(app: Flask) -> None:
    @app.after_request
    def _headers(response: Response):
        # Those a view set itself stay. One pass over the headers: werkzeug
        # answers each missing one in a look-up by raising an exception.
        present = {name.lower() for name, _ in response.headers}
        for name, value in SECURITY_HEADERS.items():
            if name.lower() not in present:
                response.headers.add(name, value)
        return response


def _install_health(app: Flask, settings: Settings) -> None:
    @app.get("/healthz")
    def healthz():
        return {"status": "ok", "service": settings.service}

    @app.get("/readyz")
    def readyz():
        down = {}
        try:
            with reading(db().engine) as connection:
                connection.execute(text("SELECT 1"))
        except Exception as exc:  # any failure means "not ready", whatever its kind
            down["database"] = exc.__class__.__name__
        if not broker_answers(settings.amqp_url, timeout=2):
            down["rabbitmq"] = "no AMQP answer"
        if down:
            names = " and ".join(sorted(down))
            return {"status": "unavailable", "message": f"{names} not reachable", "down": down}, 503
        return {"status": "ready", "service": settings.service}


AMQP_0_9_1_HEADER = b"AMQP\x00\x00\x09\x01"
# A frame's type, channel and size, then its method's class and id.
_START_FRAME = struct.Struct(">BHIHH")


def broker_answers(amqp_url: str, timeout: float) -> bool:
    """Whether an AMQP 0-9-1 broker answers at ``amqp_url``.

    It is sent the protocol header and must answer with the frame that
    starts a connection (a method frame on channel 0, Connection.Start),
    and no connection is opened: a web process publishes nothing itself
    (its events go through the outbox), and a probe that logged in on
    every call would be the connection churn RabbitMQ advises against,
    for a check that runs every few seconds in every web process. The
    workers, which do log in, report a refused login in their logs.
    """
    url = urlsplit(amqp_url)
    secure = url.scheme == "amqps"
    address = (url.hostname or "localhost", url.port or (5671 if secure else 5672))
    try:
        with contextlib.ExitStack() as opened:
            connection = opened.enter_context(socket.create_connection(address, timeout))
            if secure:
                tls = ssl.create_default_context()
                connection = opened.enter_context(
                    tls.wrap_socket(connection, server_hostname=url.hostname)
                )
            connection.sendall(AMQP_0_9_1_HEADER)
            answer = opened.enter_context(connection.makefile("rb")).read(_START_FRAME.size)
    except OSError:
        return False
    if len(answer) < _START_FRAME.size:
        return False
    frame_type, channel, _size, class_id, method_id = _START_FRAME.unpack(answer)
    return (frame_type, channel, class_id, method_id) == (1, 0, 10, 10)


def _install_metrics(app: Flask) -> None:
    registry = CollectorRegistry()
    requests_total = Counter(
        "http_requests_total", "HTTP requests", ["method", "endpoint", "status"], registry=registry
    )
    latency = Histogram(
        "http_request_duration_seconds", "HTTP request latency", ["endpoint"], registry=registry
    )
    app.extensions["metrics_registry"] = registry

    @app.before_request
    def _start_timer():
        g.request_started = time.perf_counter()

    @app.after_request
    def _observe(response: Response):
        endpoint = request.endpoint or "unknown"
        requests_total.labels(request.method, endpoint, response.status_code).inc()
        if "request_started" in g:
            latency.labels(endpoint).observe(time.perf_counter() - g.request_started)
        return response

    @app.get("/metrics")
    def metrics():
        return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)
