"""The routing and decision rules, as tables of cases that read as sentences."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from approval_service.rules import (
    ADMINS,
    Actor,
    Conflict,
    Decision,
    Earlier,
    Invalid,
    Line,
    NotAllowed,
    Span,
    TaskStatus,
    acting_for,
    check_decision,
    check_delegation,
    ends_now,
    escalation_target,
    is_repeat,
    may_end,
    next_level,
    route,
)

THRESHOLD = Decimal("1000.00")


# fmt: off
ROUTE = [
    ("staff under the threshold go to their head", "zhang.wei", "li.na", "wang.fang", "999.99", ["li.na"]),
    ("exactly the threshold is not above it", "zhang.wei", "li.na", "wang.fang", "1000.00", ["li.na"]),
    ("staff above the threshold go to their head, then the director", "zhang.wei", "li.na", "wang.fang", "1000.01", ["li.na", "wang.fang"]),
    ("a leader's own request goes to the director, never to herself", "li.na", "li.na", "wang.fang", "10.00", ["wang.fang"]),
    ("a leader's own large request needs the director once", "li.na", "li.na", "wang.fang", "5000.00", ["wang.fang"]),
    ("General Office staff go to the director, who is their head", "chen.jie", "wang.fang", "wang.fang", "10.00", ["wang.fang"]),
    ("a large General Office request needs the director once", "chen.jie", "wang.fang", "wang.fang", "5000.00", ["wang.fang"]),
    ("the director's own request goes to the administrators", "wang.fang", "wang.fang", "wang.fang", "10.00", [ADMINS]),
    ("the director's own large request goes to the administrators only", "wang.fang", "wang.fang", "wang.fang", "5000.00", [ADMINS]),
    ("a department without a head goes to the director", "zhang.wei", None, "wang.fang", "10.00", ["wang.fang"]),
    ("without a director, the administrators stand in above the head", "zhang.wei", "li.na", None, "5000.00", ["li.na", ADMINS]),
]
# fmt: on


@pytest.mark.parametrize(("case", "requester", "head", "director", "total", "approvers"), ROUTE)
def test_route(case, requester, head, director, total, approvers):
    assert route(requester, head, director, Decimal(total), THRESHOLD) == approvers, case


# fmt: off
ESCALATION_TARGET = [
    ("a head's idle task goes up to the director", "li.na", "zhang.wei", "wang.fang", "wang.fang"),
    ("the director's idle task goes up to the administrators", "wang.fang", "zhang.wei", "wang.fang", ADMINS),
    ("the administrators' idle task has nowhere higher to go", ADMINS, "wang.fang", "wang.fang", None),
    ("a task never escalates to its own requester", "li.na", "wang.fang", "wang.fang", ADMINS),
    ("without a director a head's task goes to the administrators", "li.na", "zhang.wei", None, ADMINS),
]
# fmt: on


@pytest.mark.parametrize(("case", "approver", "requester", "director", "target"), ESCALATION_TARGET)
def test_escalation_target(case, approver, requester, director, target):
    assert escalation_target(approver, requester, director) == target, case


# fmt: off
NEXT_LEVEL = [
    ("after level 1 of two comes level 2", ["li.na", "wang.fang"], 1, {"li.na"}, 2),
    ("after the last level, none", ["li.na", "wang.fang"], 2, {"li.na", "wang.fang"}, None),
    ("a level already approved by an escalation is skipped", ["li.na", "wang.fang"], 1, {"wang.fang"}, None),
    ("one level only", ["li.na"], 1, {"li.na"}, None),
]
# fmt: on


@pytest.mark.parametrize(("case", "route_", "decided", "approved_for", "level"), NEXT_LEVEL)
def test_next_level(case, route_, decided, approved_for, level):
    assert next_level(route_, decided, approved_for) == level, case


LI_NA, ZHAO_LEI, ADMIN = Actor("li.na", False), Actor("zhao.lei", False), Actor("admin", True)


# fmt: off
WHO_MAY_DECIDE = [
    ("the approver decides for herself", LI_NA, "li.na", "zhang.wei", set(), set(), None),
    ("a running delegate decides for the leader", ZHAO_LEI, "li.na", "zhang.wei", {"li.na"}, set(), "li.na"),
    ("another leader may not decide", ZHAO_LEI, "li.na", "zhang.wei", set(), set(), NotAllowed),
    ("nobody decides her own request", LI_NA, "wang.fang", "li.na", {"wang.fang"}, set(), NotAllowed),
    ("an administrator decides the administrators' task", ADMIN, ADMINS, "wang.fang", set(), set(), None),
    ("an administrator may not decide a leader's task", ADMIN, "li.na", "zhang.wei", set(), set(), NotAllowed),
    ("who approved level 1 may not approve level 2 as a delegate", LI_NA, "wang.fang", "zhang.wei", {"wang.fang"}, {"li.na"}, NotAllowed),
]
# fmt: on


@pytest.mark.parametrize(
    ("case", "actor", "approver", "requester", "delegators", "earlier", "outcome"), WHO_MAY_DECIDE
)
def test_who_may_decide(case, actor, approver, requester, delegators, earlier, outcome):
    if outcome is NotAllowed:
        with pytest.raises(NotAllowed):
            acting_for(actor, approver, requester, delegators, earlier)
    else:
        assert acting_for(actor, approver, requester, delegators, earlier) == outcome, case


LINES = [Line("PAPER-A4", 10, 10), Line("PEN-GEL-BLK", 4, 2)]


# fmt: off
VALID_DECISIONS = [
    ("an approval without cuts grants what is allowed", "approve", "", {}, {"PAPER-A4": 10, "PEN-GEL-BLK": 2}),
    ("an approval may cut a line", "approve", "", {"PAPER-A4": 3}, {"PAPER-A4": 3, "PEN-GEL-BLK": 2}),
    ("an approval may cut a line to nothing", "approve", "", {"PEN-GEL-BLK": 0}, {"PAPER-A4": 10, "PEN-GEL-BLK": 0}),
    ("an approval may keep the quantity as it is", "approve", "", {"PEN-GEL-BLK": 2}, {"PAPER-A4": 10, "PEN-GEL-BLK": 2}),
    ("a rejection with a reason grants nothing", "reject", "Too much", {}, None),
    ("a return with a reason grants nothing", "return", "Split it", {}, None),
]
# fmt: on


@pytest.mark.parametrize(("case", "decision", "comment", "cuts", "granted"), VALID_DECISIONS)
def test_valid_decisions(case, decision, comment, cuts, granted):
    assert check_decision(Decision(decision), comment, LINES, cuts) == granted, case


# fmt: off
INVALID_DECISIONS = [
    ("an approval may not raise a quantity", "approve", "", {"PAPER-A4": 11}, "lines"),
    ("an approval may not raise above what the level before allowed", "approve", "", {"PEN-GEL-BLK": 3}, "lines"),
    ("a quantity may not be negative", "approve", "", {"PAPER-A4": -1}, "lines"),
    ("a cut must name an item of the request", "approve", "", {"TONER-HP-26A": 1}, "lines"),
    ("an approval of nothing at all is a rejection in disguise", "approve", "", {"PAPER-A4": 0, "PEN-GEL-BLK": 0}, "lines"),
    ("a rejection needs a reason", "reject", "", {}, "comment"),
    ("a return needs a reason, not just spaces", "return", "   ", {}, "comment"),
    ("a rejection cannot cut", "reject", "No", {"PAPER-A4": 1}, "lines"),
]
# fmt: on


@pytest.mark.parametrize(("case", "decision", "comment", "cuts", "field"), INVALID_DECISIONS)
def test_invalid_decisions(case, decision, comment, cuts, field):
    with pytest.raises(Invalid) as raised:
        check_decision(Decision(decision), comment, LINES, cuts)
    assert raised.value.field == field, case


APPROVED_ALL = Earlier(Decision.APPROVE, {"PAPER-A4": 10})


# fmt: off
REPEATS_AND_CONFLICTS = [
    ("a pending task takes a new decision", "pending", None, "approve", {"PAPER-A4": 10}, False),
    ("the same approval again is a repeat", "approved", APPROVED_ALL, "approve", {"PAPER-A4": 10}, True),
    ("the same rejection again is a repeat", "rejected", Earlier(Decision.REJECT, None), "reject", None, True),
    ("an approval with other quantities is a conflict", "approved", APPROVED_ALL, "approve", {"PAPER-A4": 5}, Conflict),
    ("a rejection after an approval is a conflict", "approved", APPROVED_ALL, "reject", None, Conflict),
    ("a decision on a withdrawn request is a conflict", "cancelled", None, "approve", {"PAPER-A4": 10}, Conflict),
    ("a decision on an escalated task is a conflict", "escalated", None, "approve", {"PAPER-A4": 10}, Conflict),
]
# fmt: on


@pytest.mark.parametrize(
    ("case", "status", "earlier", "decision", "granted", "outcome"), REPEATS_AND_CONFLICTS
)
def test_repeats_and_conflicts(case, status, earlier, decision, granted, outcome):
    if outcome is Conflict:
        with pytest.raises(Conflict):
            is_repeat(TaskStatus(status), earlier, Decision(decision), granted)
    else:
        assert is_repeat(TaskStatus(status), earlier, Decision(decision), granted) is outcome, case


TODAY = date(2026, 3, 10)
KNOWN = {"li.na", "zhao.lei", "wang.fang"}


def span(first: int, last: int) -> Span:
    return Span(date(2026, 3, first), date(2026, 3, last))


# fmt: off
DELEGATION = [
    ("a leader may delegate to another leader", "zhao.lei", span(10, 12), [], [], None),
    ("a delegation may start in the past if it still runs", "zhao.lei", span(1, 10), [], [], None),
    ("ranges that only touch do not overlap", "zhao.lei", span(13, 15), [span(10, 12)], [], None),
    ("a range may not end before it starts", "zhao.lei", span(12, 10), [], [], Invalid),
    ("a range may not be over already", "zhao.lei", span(1, 9), [], [], Invalid),
    ("nobody delegates to herself", "li.na", span(10, 12), [], [], Invalid),
    ("only a leader can be a delegate", "zhang.wei", span(10, 12), [], [], Invalid),
    ("a leader's ranges may not overlap", "zhao.lei", span(11, 14), [span(10, 12)], [], Conflict),
    ("a delegate away herself cannot cover", "zhao.lei", span(11, 14), [], [span(14, 20)], Conflict),
]
# fmt: on


@pytest.mark.parametrize(("case", "delegate", "new", "own", "delegates_own", "refusal"), DELEGATION)
def test_delegation(case, delegate, new, own, delegates_own, refusal):
    def check():
        check_delegation("li.na", delegate, new, TODAY, KNOWN, own, delegates_own)

    if refusal is None:
        check()
    else:
        with pytest.raises(refusal):
            check()


# fmt: off
ENDING = [
    ("the leader ends her running delegation", "li.na", False, span(5, 12), False, True),
    ("the leader cancels one not started yet", "li.na", False, span(20, 25), False, True),
    ("an administrator may end anyone's", "admin.wu", True, span(5, 12), False, True),
    ("one ended already stays as it is", "li.na", False, span(5, 12), True, False),
    ("the delegate may not end it", "zhao.lei", False, span(5, 12), False, NotAllowed),
    ("nor may another leader", "wang.fang", False, span(5, 12), False, NotAllowed),
    ("nor learn that it was ended", "wang.fang", False, span(5, 12), True, NotAllowed),
    ("one over already cannot be ended", "li.na", False, span(1, 9), False, Conflict),
]
# fmt: on


@pytest.mark.parametrize(("case", "who", "is_admin", "given", "ended", "outcome"), ENDING)
def test_ending_a_delegation(case, who, is_admin, given, ended, outcome):
    def end():
        return ends_now("li.na", Actor(who, is_admin), given, TODAY, ended)

    if isinstance(outcome, bool):
        assert end() is outcome
    else:
        with pytest.raises(outcome):
            end()


@pytest.mark.parametrize(("case", "who", "is_admin", "given", "ended", "outcome"), ENDING)
def test_ending_is_offered_only_where_it_would_end_the_delegation(
    case, who, is_admin, given, ended, outcome
):
    assert may_end("li.na", Actor(who, is_admin), given, TODAY, ended) is (outcome is True)
