"""Secrets and accounts: how passwords are kept, what repeated failures do,
what production mode refuses, what the logs never hold, and the headers
and cookies every page carries."""

from __future__ import annotations

import datetime
import importlib
import logging
import os
import subprocess
import sys
from types import SimpleNamespace

import pytest
from gunicorn.config import Config
from gunicorn.glogging import Logger
from sqlalchemy import select

from procurement_common.auth import COOKIE_NAME
from procurement_common.settings import ConfigurationError
from request_service import accounts
from request_service.models import User

from security_support import CSRF_FIELD, PACKAGES

SERVICES = list(PACKAGES)
A_REAL_SECRET = "a-production-secret-of-our-own-0123456789"


def test_passwords_are_kept_as_salted_scrypt_hashes(service_config):
    from request_service import service

    config = service_config("requests")
    service.create_app(config)
    service.seed_if_empty(service.settings(config))
    with service.database(service.settings(config)).sessions() as session:
        hashes = session.scalars(select(User.password_hash)).all()
    # Every demo person has the same password, yet no two hashes match: each has its salt.
    assert len(hashes) == len(set(hashes)) == 7
    assert all(stored.startswith("scrypt:") for stored in hashes)
    assert not any("demo-pass" in stored for stored in hashes)


class SignIn:
    """Signing in as a person would: through the API, or through the /login form."""

    def __init__(self, client, way: str):
        self.client, self.way = client, way

    def __call__(self, password: str, username: str = "zhang.wei"):
        if self.way == "api":
            body = {"username": username, "password": password}
            return self.client.post("/api/v1/auth/token", json=body)
        token = CSRF_FIELD.search(self.client.get("/login").text)[1]
        form = {"csrf_token": token, "username": username, "password": password}
        return self.client.post("/login", data=form)


@pytest.fixture(params=["api", "page"])
def sign_in(request, office) -> SignIn:
    return SignIn(office.clients["requests"], request.param)


def test_five_wrong_passwords_lock_the_account_for_five_minutes(sign_in, monkeypatch):
    assert [sign_in("wrong").status_code for _ in range(5)] == [401] * 5
    locked = sign_in("demo-pass")
    assert locked.status_code == 401
    assert "Too many failed sign-ins" in locked.text
    # Someone else is not locked out by it.
    assert sign_in("demo-pass", username="liu.yang").status_code in (200, 303)

    later = datetime.datetime.now(datetime.UTC) + datetime.timedelta(minutes=5, seconds=1)
    monkeypatch.setattr(accounts, "utcnow", lambda: later)
    assert sign_in("demo-pass").status_code in (200, 303)


def test_four_wrong_passwords_then_the_right_one_start_the_count_again(sign_in):
    assert [sign_in("wrong").status_code for _ in range(4)] == [401] * 4
    assert sign_in("demo-pass").status_code in (200, 303)
    assert [sign_in("wrong").status_code for _ in range(4)] == [401] * 4
    assert sign_in("demo-pass").status_code in (200, 303)


@pytest.fixture
def production(monkeypatch, tmp_path):
    """The environment of a production host that forgot to set AUTH_SECRET."""
    monkeypatch.delenv("AUTH_SECRET", raising=False)
    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    return tmp_path


@pytest.mark.parametrize("service", SERVICES)
def test_production_refuses_to_start_with_the_default_secret(service, production):
    with pytest.raises(ConfigurationError, match="AUTH_SECRET"):
        importlib.import_module(PACKAGES[service]).create_app()


def run_command(service: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", PACKAGES[service], *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=os.environ.copy(),
    )


@pytest.mark.parametrize("service", SERVICES)
def test_a_production_worker_with_the_default_secret_exits_saying_why(service, production):
    finished = run_command(service, "worker")
    assert finished.returncode != 0
    assert finished.stderr.splitlines() == [
        f"{service}: refusing to start: "
        "APP_ENV=production needs AUTH_SECRET set to a secret of your own"
    ]


@pytest.mark.parametrize("service", SERVICES)
def test_production_never_loads_demo_data(service, production, monkeypatch):
    monkeypatch.setenv("AUTH_SECRET", A_REAL_SECRET)
    finished = run_command(service, "seed")
    assert finished.returncode != 0
    assert finished.stderr.splitlines() == [
        f"{service}: refusing to start: demo data never loads in production (APP_ENV=production)"
    ]
    assert list(production.iterdir()) == []  # not even a database was made


class AccessLog:
    """Each request logged the way gunicorn's default access log writes it."""

    def __init__(self, app):
        self.app = app
        self.config = Config()
        self.gunicorn = Logger(self.config)
        self.log = logging.getLogger("access")  # gunicorn's own logger does not propagate

    def __call__(self, environ, start_response):
        environ["RAW_URI"] = environ["PATH_INFO"] + (
            "?" + environ["QUERY_STRING"] if environ.get("QUERY_STRING") else ""
        )
        answered = {}

        def start(status, headers, exc_info=None):
            answered.update(status=status, headers=headers)
            return start_response(status, headers, exc_info)

        body = b"".join(self.app(environ, start))
        request_headers = [
            (key[5:].replace("_", "-"), value)
            for key, value in environ.items()
            if key.startswith("HTTP_")
        ]
        response = SimpleNamespace(**answered, sent=len(body))
        atoms = self.gunicorn.atoms(response, request_headers, environ, datetime.timedelta(0))
        self.log.info(self.config.access_log_format, self.gunicorn.atoms_wrapper_class(atoms))
        return [body]


def test_no_password_or_token_ever_reaches_the_logs(office, caplog):
    caplog.set_level(logging.DEBUG)
    app = office.apps["requests"]
    app.wsgi_app = AccessLog(app.wsgi_app)
    client = app.test_client()
    password, wrong = "demo-pass", "wrong-Pa55word-看不见"

    token = client.post(
        "/api/v1/auth/token", json={"username": "li.na", "password": password}
    ).json["access_token"]
    bearer = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/users/me", headers=bearer).status_code == 200
    assert client.get("/api/v1/requests?department=FIN", headers=bearer).status_code == 200
    refused = client.post("/api/v1/auth/token", json={"username": "li.na", "password": wrong})
    assert refused.status_code == 401
    csrf = CSRF_FIELD.search(client.get("/login").text)[1]
    form = {"csrf_token": csrf, "username": "li.na", "password": password}
    assert client.post("/login", data=form).status_code == 303
    cookie_token = client.get_cookie(COOKIE_NAME).value
    assert client.get("/").status_code == 200

    logged = caplog.text
    assert '"POST /api/v1/auth/token HTTP/1.1" 401' in logged  # the access log was written
    for secret in (password, wrong, token, cookie_token, token.split(".")[2]):
        assert secret not in logged


@pytest.mark.parametrize("service", SERVICES)
def test_pages_carry_the_security_headers(service, office, token_for):
    client = office.clients[service]
    client.set_cookie(COOKIE_NAME, token_for("wang.fang", roles=["staff", "leader", "clerk"]))
    response = client.get("/")
    assert response.status_code == 200
    policy = dict(
        part.strip().split(" ", 1)
        for part in response.headers["Content-Security-Policy"].split(";")
    )
    assert policy["default-src"] == "'self'"
    assert policy["frame-ancestors"] == "'none'"
    assert "unsafe-inline" not in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"


@pytest.mark.parametrize("app_env", ["development", "production"])
def test_the_sign_in_cookie_is_http_only_same_site_and_secure_in_production(
    app_env, service_config, cheap_password_hashes
):
    from request_service import service

    config = service_config("requests", APP_ENV=app_env, AUTH_SECRET=A_REAL_SECRET)
    app = service.create_app(config)
    service.seed_if_empty(service.settings({**config, "APP_ENV": "development"}))
    client = app.test_client()
    form_page = client.get("/login")  # starts the session that holds the CSRF token
    csrf = CSRF_FIELD.search(form_page.text)[1]
    form = {"csrf_token": csrf, "username": "li.na", "password": "demo-pass"}
    signed_in = client.post("/login", data=form)
    assert signed_in.status_code == 303
    cookies = {
        header.split("=", 1)[0]: header
        for response in (form_page, signed_in)
        for header in response.headers.getlist("Set-Cookie")
    }
    for name in (COOKIE_NAME, "requests_session"):
        flags = {flag.strip().lower() for flag in cookies[name].split(";")[1:]}
        assert {"httponly", "samesite=lax"} <= flags
        assert ("secure" in flags) == (app_env == "production")
