"""How an audit history says what changed, in every service: no database."""

from __future__ import annotations

from decimal import Decimal

from procurement_common.changes import described, listed


def test_a_change_is_described_field_by_field_and_nothing_for_no_change():
    before = {"name": "Li Na", "roles": frozenset({"staff", "leader"}), "active": True}

    assert described(before, {**before, "active": False, "roles": frozenset({"staff"})}) == (
        "active: yes → no; roles: leader,staff → staff"
    )
    assert described(before, dict(before)) is None


def test_fields_given_in_an_order_are_described_in_that_order():
    before = {"unit_cost": Decimal("25.00"), "reorder_level": 40, "category": None}
    after = {"unit_cost": Decimal("26.50"), "reorder_level": 50, "category": "Paper"}

    assert described(before, after, ["unit_cost", "reorder_level", "category"]) == (
        "unit_cost: 25.00 → 26.50; reorder_level: 40 → 50; category: none → Paper"
    )


def test_values_are_listed_in_their_order():
    assert listed({"name": "IT", "head": None, "active": True}) == "name IT, head none, active yes"
