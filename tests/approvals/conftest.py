"""Fixtures of the approvals tests; the harness itself is in ``approvals_support``."""

from __future__ import annotations

import sys
from datetime import date, timedelta
from pathlib import Path

import pytest
from conftest import TEST_SECRET

sys.path.insert(0, str(Path(__file__).parent))

from approvals_support import UNUSED_AMQP_URL, Approvals

from approval_service import create_app
from procurement_common.auth import COOKIE_NAME
from procurement_common.db import utcnow


@pytest.fixture
def overrides(database_url) -> dict:
    return {"DATABASE_URL": database_url, "AUTH_SECRET": TEST_SECRET, "AMQP_URL": UNUSED_AMQP_URL}


@pytest.fixture
def approvals(overrides, token_for):
    app = create_app(overrides)
    yield Approvals(app=app, client=app.test_client(), token_for=token_for)
    app.extensions["database"].engine.dispose()


@pytest.fixture
def today() -> date:
    return utcnow().date()


@pytest.fixture
def days():
    return lambda n: timedelta(days=n)


@pytest.fixture
def browser(approvals):
    """A browser signed in as someone, the way the requests service signs her in."""

    def sign_in(username: str, **token):
        client = approvals.app.test_client()
        client.set_cookie(COOKIE_NAME, approvals.token_for(username, **token))
        return client

    return sign_in
