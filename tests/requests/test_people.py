"""The rules an administrator's changes keep, as sentences: no database."""

from __future__ import annotations

import pytest

from request_service.people import (
    DEPARTMENT_CODE,
    USERNAME,
    AccountRuleBroken,
    keep_an_administrator,
    keep_heads,
    may_head,
)


def test_the_office_keeps_at_least_one_administrator():
    keep_an_administrator(1)
    with pytest.raises(AccountRuleBroken, match="at least one active administrator"):
        keep_an_administrator(0)


@pytest.mark.parametrize(
    ("roles", "active", "may"),
    [
        ({"staff", "leader"}, True, True),
        ({"director"}, True, True),
        ({"staff", "clerk"}, True, False),
        ({"leader"}, False, False),
    ],
)
def test_only_a_working_leader_or_director_heads_a_department(roles, active, may):
    assert may_head(frozenset(roles), active) is may


def test_a_head_keeps_her_role_while_she_heads_a_department():
    keep_heads([], frozenset({"staff"}), True)
    with pytest.raises(AccountRuleBroken, match="They head FIN, GO"):
        keep_heads(["GO", "FIN"], frozenset({"staff"}), True)


@pytest.mark.parametrize(
    ("pattern", "text", "matches"),
    [
        (USERNAME, "zhang.wei", True),
        (USERNAME, "Zhang.Wei", False),
        (USERNAME, "zhang wei", False),
        (USERNAME, "z", False),
        (USERNAME, "zhang.wei!", False),
        (DEPARTMENT_CODE, "FIN", True),
        (DEPARTMENT_CODE, "fin", False),
        (DEPARTMENT_CODE, "FIN\n", False),
    ],
)
def test_usernames_and_department_codes_are_written_one_way(pattern, text, matches):
    assert (pattern.match(text) is not None) is matches
