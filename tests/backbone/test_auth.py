"""The token all three services accept, and the ones they must refuse."""

from __future__ import annotations

import time

import jwt
import pytest

from procurement_common import auth
from procurement_common.auth import (
    ALGORITHM,
    ISSUER,
    InvalidToken,
    Principal,
    decode_token,
    issue_token,
)
from procurement_common.settings import DEV_SECRET, ConfigurationError, Settings

SECRET = "a-secret-long-enough-for-hs256-signing-0123456789"
PERSON = Principal("u1", "li.na", "Li Na", "FIN", frozenset({"leader", "staff"}))


def test_a_token_carries_the_person():
    assert decode_token(SECRET, issue_token(SECRET, PERSON, 60)) == PERSON


def test_a_token_carries_the_name_of_the_persons_department():
    person = Principal("u1", "li.na", "Li Na", "FIN", frozenset({"leader"}), "Finance")

    assert decode_token(SECRET, issue_token(SECRET, person, 60)).department_name == "Finance"


def test_a_token_issued_before_departments_were_named_in_it_still_works():
    claims = {
        "sub": "u1",
        "username": "li.na",
        "name": "Li Na",
        "department": "FIN",
        "roles": ["leader"],
        "iss": ISSUER,
        "iat": time.time(),
        "exp": int(time.time()) + 60,
    }

    person = decode_token(SECRET, jwt.encode(claims, SECRET, algorithm=ALGORITHM))

    assert person.department == "FIN" and person.department_name is None


@pytest.mark.parametrize(
    "token",
    [
        issue_token(SECRET, PERSON, -1),
        issue_token("another-secret-long-enough-for-hs256-0123456789", PERSON, 60),
        jwt.encode({"sub": "u1", "username": "li.na", "iss": ISSUER}, key=None, algorithm="none"),
        jwt.encode(
            {"sub": "u1", "username": "x", "name": "x", "department": "FIN", "roles": []},
            SECRET,
            algorithm=ALGORITHM,
        ),
        jwt.encode(
            {
                "sub": "u1",
                "username": "x",
                "name": "x",
                "department": "FIN",
                "department_name": ["FIN"],
                "roles": [],
                "iss": ISSUER,
                "iat": 1,
                "exp": 2**40,
            },
            SECRET,
            algorithm=ALGORITHM,
        ),
        "not-a-token",
    ],
    ids=[
        "expired",
        "signed with another key",
        "alg none",
        "missing claims",
        "department name not text",
        "garbage",
    ],
)
def test_a_bad_token_is_refused(token):
    with pytest.raises(InvalidToken):
        decode_token(SECRET, token)


def test_a_token_that_expires_after_its_first_use_is_refused_from_then_on(monkeypatch):
    token = issue_token(SECRET, PERSON, 60)
    assert decode_token(SECRET, token) == PERSON

    later = time.time() + 61
    monkeypatch.setattr(auth.time, "time", lambda: later)

    with pytest.raises(InvalidToken):
        decode_token(SECRET, token)


def test_a_token_checked_with_one_secret_is_not_taken_with_another():
    token = issue_token(SECRET, PERSON, 60)
    assert decode_token(SECRET, token) == PERSON
    with pytest.raises(InvalidToken):
        decode_token("another-secret-long-enough-for-hs256-0123456789", token)


def test_production_refuses_the_development_secret():
    with pytest.raises(ConfigurationError):
        Settings.from_env("requests", {"APP_ENV": "production", "AUTH_SECRET": DEV_SECRET})


def test_a_short_secret_is_refused():
    with pytest.raises(ConfigurationError):
        Settings.from_env("requests", {"AUTH_SECRET": "short"})
