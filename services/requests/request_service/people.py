"""The rules an administrator's changes to people and departments keep, in plain Python."""

from __future__ import annotations

import re

from procurement_common.auth import DIRECTOR, LEADER
from procurement_common.events import ADMINISTRATORS

USERNAME = re.compile(r"[a-z][a-z0-9._-]{1,63}\Z")
DEPARTMENT_CODE = re.compile(r"[A-Z][A-Z0-9_-]{0,15}\Z")
HEADS = frozenset({LEADER, DIRECTOR})


# What pages and notes call the names in a request's record that are no person.
NOT_PEOPLE = {
    "approvals": "Approvals",
    "inventory": "Stock room",
    ADMINISTRATORS: "any administrator",
}


def called(username: str, name: str | None) -> str:
    """What a page or a note calls ``username``: her name if we know it."""
    return name or NOT_PEOPLE.get(username, username)


class AccountRuleBroken(Exception):
    """The change would leave the office without something it needs (HTTP 409)."""


def keep_an_administrator(administrators_left: int) -> None:
    # Nobody else can add people, set roles or change the approval policy.
    if administrators_left < 1:
        raise AccountRuleBroken("The office needs at least one active administrator.")


def may_head(roles: frozenset[str], active: bool) -> bool:
    """A department's requests go to its head first: a working leader or director."""
    return active and bool(roles & HEADS)


def keep_heads(headed: list[str], roles: frozenset[str], active: bool) -> None:
    """A head may not lose what makes her one while she heads a department."""
    if headed and not may_head(roles, active):
        raise AccountRuleBroken(
            f"They head {', '.join(sorted(headed))}: name another head there first."
        )
