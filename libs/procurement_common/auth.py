"""The signed token that all three services accept, and the checks on it.

The JSON API takes it as ``Authorization: Bearer``; pages take the same
token from an HttpOnly cookie set at sign-in. The API never reads the
cookie, so a forged cross-site form cannot act through it.
"""

from __future__ import annotations

import copy
import functools
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlencode

import jwt
from flask import current_app, g, redirect, request
from flask_smorest import abort

if TYPE_CHECKING:
    from .revocation import Cutoffs

ALGORITHM = "HS256"
ISSUER = "office-procurement"
COOKIE_NAME = "procurement_token"

STAFF, LEADER, DIRECTOR, CLERK, ADMIN = "staff", "leader", "director", "clerk", "admin"
ROLES = (STAFF, LEADER, DIRECTOR, CLERK, ADMIN)


@dataclass(frozen=True)
class Principal:
    id: str
    username: str
    name: str
    department: str
    roles: frozenset[str]
    # What people call the department; tokens issued before it was carried lack it.
    department_name: str | None = None

    def has_any(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))


class InvalidToken(Exception):
    pass


class AccountChanged(InvalidToken):
    """The token was issued before its holder's account last changed."""


def issue_token(secret: str, principal: Principal, ttl_seconds: int) -> str:
    now = time.time()
    claims: dict[str, object] = {
        "sub": principal.id,
        "username": principal.username,
        "name": principal.name,
        "department": principal.department,
        "roles": sorted(principal.roles),
        "iss": ISSUER,
        # Not rounded to the second: a token issued just after an account
        # change must not look as old as the change (see ``revocation``).
        "iat": now,
        "exp": int(now) + ttl_seconds,
    }
    if principal.department_name is not None:
        claims["department_name"] = principal.department_name
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def decode_token(secret: str, token: str, cutoffs: Cutoffs | None = None) -> Principal:
    """The person a valid token names; ``InvalidToken`` (or ``AccountChanged``) if none."""
    principal, issued_at, expires_at = _verified(secret, token)
    # The cache below keeps a token's signature check, never its expiry or cutoff.
    if time.time() >= expires_at:
        raise InvalidToken("Signature has expired")
    if cutoffs is not None and cutoffs.refuses(principal.username, issued_at):
        raise AccountChanged("Your account changed after this token was issued: sign in again.")
    return principal


@functools.lru_cache(maxsize=1024)
def _verified(secret: str, token: str) -> tuple[Principal, float, float]:
    """The person a token names, when it was issued and when it expires, once
    its signature and claims are checked. Each request shows its token again,
    and checking the same signature every time was a tenth of a cheap
    request's work; a token that fails is never cached, so it is checked
    afresh each time."""
    try:
        # A fixed algorithm list: "alg: none" and key confusion are refused.
        claims = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            issuer=ISSUER,
            options={"require": ["exp", "iat", "sub", "iss"]},
        )
        principal = Principal(
            id=str(claims["sub"]),
            username=str(claims["username"]),
            name=str(claims["name"]),
            department=str(claims["department"]),
            roles=frozenset(claims["roles"]),
            department_name=_optional_text(claims.get("department_name")),
        )
        return principal, float(claims["iat"]), float(claims["exp"])
    except (jwt.PyJWTError, KeyError, TypeError, ValueError) as exc:
        raise InvalidToken(str(exc)) from exc


def _optional_text(value: object) -> str | None:
    if value is not None and not isinstance(value, str):
        raise TypeError(f"expected text, not {type(value).__name__}")
    return value


def _checked(token: str) -> Principal:
    return decode_token(
        current_app.config["AUTH_SECRET"], token, current_app.extensions.get("token_cutoffs")
    )


def _bearer_principal() -> Principal | None:
    """The bearer token's person; None without a valid token, but a token
    voided by an account change raises ``AccountChanged``, to say so."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        return None
    try:
        return _checked(token.strip())
    except AccountChanged:
        raise
    except InvalidToken:
        return None


def _cookie_principal() -> Principal | None:
    token = request.cookies.get(COOKIE_NAME)
    if not token:
        return None
    try:
        return _checked(token)
    except InvalidToken:
        return None


def current_user() -> Principal:
    return g.principal


def api_auth(*roles: str):
    """Require a valid bearer token and, when given, one of ``roles``."""

    def decorate(view):
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            try:
                principal = _bearer_principal()
            except AccountChanged as changed:
                abort(401, message=str(changed))
            if principal is None:
                abort(401, message="Sign in first: a valid Bearer token is required.")
            if roles and not principal.has_any(*roles):
                abort(403, message=f"This needs one of the roles: {', '.join(roles)}.")
            g.principal = principal
            return view(*args, **kwargs)

        # Read when the OpenAPI document is made (web.document_errors): the 401,
        # and with roles the 403, are then named for this operation.
        wrapper._apidoc = {**copy.deepcopy(getattr(view, "_apidoc", {})), "auth": {"roles": roles}}
        return wrapper

    return decorate


def page_auth(*roles: str):
    """Require a signed-in browser; send a signed-out visitor to ``/login``."""

    def decorate(view):
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            principal = _cookie_principal()
            if principal is None:
                return redirect(
                    f"/login?{urlencode({'next': request.full_path.rstrip('?')})}", code=303
                )
            if roles and not principal.has_any(*roles):
                abort(403, message=f"This page needs one of the roles: {', '.join(roles)}.")
            g.principal = principal
            return view(*args, **kwargs)

        return wrapper

    return decorate


def optional_page_user() -> Principal | None:
    return _cookie_principal()
