"""Fixtures of the security tests: the three services on fresh databases with
the demo data, and a small office world in them, so that every path names
something real."""

from __future__ import annotations

import importlib
import sys
from datetime import timedelta
from functools import partial
from pathlib import Path

import pytest
from werkzeug.security import generate_password_hash

from procurement_common.db import utcnow
from request_service import seed as request_seed

from support import TEST_SECRET

sys.path.insert(0, str(Path(__file__).parent))

from security_support import COMMENT, NO_BROKER, PACKAGES, PURPOSE, Office, World


@pytest.fixture
def cheap_password_hashes(monkeypatch):
    # The demo passwords hashed cheaply: seven real scrypt hashes cost a second.
    monkeypatch.setattr(
        request_seed,
        "generate_password_hash",
        partial(generate_password_hash, method="pbkdf2:sha256:1"),
    )


@pytest.fixture
def service_config(new_database_url):
    """The settings of one service on a fresh database of its own."""

    def config(service: str, **settings) -> dict:
        return {
            "DATABASE_URL": new_database_url(package=PACKAGES[service]),
            "AUTH_SECRET": TEST_SECRET,
            "AMQP_URL": NO_BROKER,
            # The live alert stream ends at once instead of holding the client 20 s.
            "ALERT_STREAM_SECONDS": 0,
            **settings,
        }

    return config


@pytest.fixture
def office(service_config, token_for, cheap_password_hashes):
    apps = {}
    for name, package in PACKAGES.items():
        service = importlib.import_module(package).service
        config = service_config(name)
        apps[name] = service.create_app(config)
        service.seed_if_empty(service.settings(config))
    office = Office(apps, token_for)
    office.settle()  # the requests service's catalog copy fills from inventory's items
    yield office
    for app in apps.values():
        app.extensions["database"].engine.dispose()


@pytest.fixture
def world(office) -> World:
    def submit() -> str:
        body = {"lines": [{"sku": "PAPER-A4", "quantity": 3}], "purpose": PURPOSE}
        response = office.call("requests", "post", "/requests", "liu.yang", json=body)
        assert response.status_code == 201, response.json
        return response.json["id"]

    def task_of(request_id: str) -> str:
        office.settle()
        response = office.call(
            "approvals", "get", f"/approvals?request_id={request_id}", "zhao.lei"
        )
        return response.json["items"][0]["id"]

    reserved, pending = submit(), submit()
    decided = task_of(reserved)
    response = office.call(
        "approvals",
        "post",
        f"/approvals/{decided}/decision",
        "zhao.lei",
        json={"decision": "approve", "comment": COMMENT},
    )
    assert response.status_code == 200, response.json
    office.settle()
    later = utcnow().date() + timedelta(days=10)
    away = {"delegate": "li.na", "starts": str(later), "ends": str(later + timedelta(days=2))}
    delegation = office.call("approvals", "post", "/delegations", "zhao.lei", json=away)
    assert delegation.status_code == 201, delegation.json
    monthly = {"every": "month", "starts": str(utcnow().date())}
    standing = office.call(
        "requests", "post", f"/requests/{reserved}/repeat", "liu.yang", json=monthly
    )
    assert standing.status_code == 201, standing.json
    return World(
        pending_request=pending,
        pending_task=task_of(pending),
        reserved_request=reserved,
        decided_task=decided,
        delegation=delegation.json["id"],
        standing_order=standing.json["id"],
    )
