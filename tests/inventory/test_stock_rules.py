"""The stockroom's rules, as sentences."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from inventory_service.stock import (
    AlertChange,
    Claim,
    Level,
    Outlook,
    Priority,
    StockRuleBroken,
    alert_change,
    alert_may_change,
    fill_backorders,
    hand_out_plan,
    order_quantity,
    reorder_suggestion,
    split,
    take_back,
)

MONDAY = datetime(2024, 5, 6, 9, tzinfo=UTC)
TUESDAY = datetime(2024, 5, 7, 9, tzinfo=UTC)


def priority(*, leader=False, urgent=False, needed_by=None, submitted=MONDAY) -> Priority:
    return Priority(leader, "urgent" if urgent else "normal", needed_by, submitted)


def test_available_is_what_is_on_the_shelf_less_what_is_promised():
    assert Level(on_hand=10, reserved=4, reorder_level=2).available == 6


def test_an_item_is_low_at_its_reorder_level_and_not_above_it():
    assert Level(on_hand=5, reserved=0, reorder_level=5).is_low
    assert not Level(on_hand=6, reserved=0, reorder_level=5).is_low


def test_reserved_stock_counts_towards_being_low():
    assert Level(on_hand=100, reserved=96, reorder_level=5).is_low


def test_falling_to_the_reorder_level_opens_an_alert():
    assert alert_change(False, Level(5, 0, 5)) == AlertChange.OPEN


def test_falling_further_while_an_alert_is_open_opens_no_second_one():
    assert alert_change(True, Level(2, 0, 5)) is None


def test_coming_back_above_the_level_resolves_the_open_alert():
    assert alert_change(True, Level(6, 0, 5)) == AlertChange.RESOLVE


def test_staying_above_the_level_changes_nothing():
    assert alert_change(False, Level(50, 0, 5)) is None


def test_stock_that_stays_above_the_level_can_change_no_alert():
    assert not alert_may_change(8, Level(7, 0, 5))
    assert not alert_may_change(6, Level(10, 0, 5))


def test_stock_that_is_or_was_at_the_level_may_change_an_alert():
    assert alert_may_change(6, Level(5, 0, 5))  # falls to it
    assert alert_may_change(5, Level(9, 0, 5))  # comes back above it
    assert alert_may_change(3, Level(2, 0, 5))  # stays below it: the alert may be missing


def test_what_is_short_is_backordered():
    assert split(wanted=8, available=5) == (5, 3)
    assert split(wanted=3, available=5) == (3, 0)
    assert split(wanted=3, available=0) == (0, 3)


def test_backorders_are_filled_leader_assigned_then_urgent_then_needed_by_then_oldest():
    backorders = [
        Claim("old", 1, priority(submitted=MONDAY)),
        Claim("new", 1, priority(submitted=TUESDAY)),
        Claim("needed-soon", 1, priority(needed_by=date(2024, 5, 10), submitted=TUESDAY)),
        Claim("urgent", 1, priority(urgent=True, submitted=TUESDAY)),
        Claim("leader", 1, priority(leader=True, submitted=TUESDAY)),
    ]
    filled = fill_backorders(5, backorders)
    assert [ref for ref, _ in filled] == ["leader", "urgent", "needed-soon", "old", "new"]


def test_the_most_pressing_backorder_takes_what_there_is_when_it_cannot_be_filled_whole():
    backorders = [Claim("normal", 2, priority()), Claim("urgent", 5, priority(urgent=True))]
    assert fill_backorders(3, backorders) == [("urgent", 3)]


def test_nothing_is_filled_when_nothing_is_available():
    assert fill_backorders(0, [Claim("a", 1, priority())]) == []


def test_when_a_count_falls_short_the_least_pressing_reservations_give_way_first():
    reservations = [Claim("urgent", 3, priority(urgent=True)), Claim("normal", 2, priority())]
    assert take_back(4, reservations) == [("normal", 2), ("urgent", 2)]


def test_a_hand_out_takes_everything_reserved_unless_told_otherwise():
    assert hand_out_plan({"PAPER": 5, "PEN": 0}, None) == {"PAPER": 5}
    assert hand_out_plan({"PAPER": 5, "PEN": 2}, {"PAPER": 3}) == {"PAPER": 3}


def test_nothing_can_be_handed_out_when_nothing_is_reserved():
    with pytest.raises(StockRuleBroken, match="Nothing is reserved"):
        hand_out_plan({"PAPER": 0}, None)


def test_a_partial_hand_out_cannot_take_more_than_is_reserved():
    with pytest.raises(StockRuleBroken, match="Only 2 of PEN"):
        hand_out_plan({"PAPER": 5, "PEN": 2}, {"PEN": 3})


def test_an_item_above_its_level_needs_no_order():
    assert reorder_suggestion(Level(50, 0, 10), 0, 20, "box") is None


def test_an_item_at_its_level_suggests_the_reorder_quantity_and_says_why():
    suggestion = reorder_suggestion(Level(12, 2, 10), 0, 20, "box")
    assert suggestion.quantity == 20
    assert suggestion.reason == (
        "10 box available (12 on hand, 2 reserved); reorder level 10. Ordering 20 brings it to 30."
    )


def test_backorders_count_against_stock_and_raise_the_order_when_needed():
    suggestion = reorder_suggestion(Level(5, 5, 10), 30, 20, "box")
    assert suggestion.quantity == 41  # back to level 10 plus one, from -30
    assert "30 backordered" in suggestion.reason


def test_the_order_is_at_least_the_reorder_quantity():
    assert order_quantity(available=9, reorder_level=10, reorder_quantity=20) == 20
    assert order_quantity(available=-15, reorder_level=10, reorder_quantity=20) == 26


def test_an_item_that_would_reach_its_level_before_an_order_arrives_is_ordered_now():
    outlook = Outlook(quantity=12, lead_days=14, pace_days=90)

    suggestion = reorder_suggestion(Level(50, 0, 40), 0, 100, "ream", outlook)

    assert suggestion.quantity == 100
    assert suggestion.reason == (
        "50 ream available (50 on hand, 0 reserved); reorder level 40. At the pace of the"
        " last 90 days, about 12 more go out in the 14 days an order takes. Ordering 100"
        " brings it to 150."
    )


def test_an_item_that_stays_above_its_level_until_an_order_arrives_needs_none():
    outlook = Outlook(quantity=9, lead_days=14, pace_days=90)

    assert reorder_suggestion(Level(50, 0, 40), 0, 100, "ream", outlook) is None


def test_the_order_also_covers_what_goes_out_before_it_arrives():
    outlook = Outlook(quantity=30, lead_days=14, pace_days=90)

    assert reorder_suggestion(Level(10, 0, 10), 0, 20, "box", outlook).quantity == 31
