"""Signing in: password check, and a lock after repeated failures."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash

from procurement_common.auth import Principal, issue_token
from procurement_common.db import utcnow
from procurement_common.settings import Settings

from .models import User

MAX_FAILURES = 5
LOCK_FOR = timedelta(minutes=5)
# Compared against when the user does not exist, so both paths cost the same.
_DUMMY_HASH = "scrypt:32768:8:1$dummysaltdummysa$" + "0" * 128


class SignInRefused(Exception):
    pass


def sign_in(session: Session, username: str, password: str, settings: Settings) -> str:
    """A token for the person, if the password is right; commits either way.

    The token is issued while her row is locked, before the commit: an
    account change at the same moment either comes first, and the token
    carries it, or comes after, and its cutoff voids the token.
    """
    try:
        user = authenticate(session, username, password)
    except SignInRefused:
        session.commit()  # the failure count must stick
        raise
    token = issue_token(settings.auth_secret, principal_of(user), settings.token_ttl_seconds)
    session.commit()
    return token


def authenticate(session: Session, username: str, password: str) -> User:
    """The user, if the password is right; failures count towards a lock."""
    # Locked: two sign-ins must not lose a failure between them, and see ``sign_in``.
    user = session.scalar(select(User).where(User.username == username).with_for_update())
    now = utcnow()
    if user is None or not user.active:
        check_password_hash(_DUMMY_HASH, password)
        raise SignInRefused("Wrong username or password.")
    if user.locked_until is not None and user.locked_until > now:
        raise SignInRefused("Too many failed sign-ins; try again in a few minutes.")
    if not check_password_hash(user.password_hash, password):
        user.failed_logins += 1
        if user.failed_logins >= MAX_FAILURES:
            user.locked_until = now + LOCK_FOR
            user.failed_logins = 0
        raise SignInRefused("Wrong username or password.")
    user.failed_logins = 0
    user.locked_until = None
    return user


def principal_of(user: User) -> Principal:
    return Principal(
        id=user.id,
        username=user.username,
        name=user.name,
        department=user.department_code,
        roles=user.roles,
        department_name=user.department.name,
    )
