"""The usage report's rules, as sentences."""

from __future__ import annotations

from decimal import Decimal

from inventory_service.usage import Pace, fewest_days_of_cover_first


def test_the_pace_per_30_days_is_what_went_out_spread_over_the_period():
    assert Pace("PAPER", handed_out=90, days=90, available=0).per_30_days == Decimal("30.0")
    assert Pace("PAPER", handed_out=7, days=60, available=0).per_30_days == Decimal("3.5")


def test_the_pace_is_rounded_to_one_decimal_half_up():
    assert Pace("PAPER", handed_out=1, days=120, available=0).per_30_days == Decimal("0.3")
    assert Pace("PAPER", handed_out=1, days=90, available=0).per_30_days == Decimal("0.3")


def test_days_of_cover_is_what_is_available_over_what_goes_out_per_day():
    assert Pace("PAPER", handed_out=30, days=90, available=100).days_of_cover == 300


def test_days_of_cover_is_rounded_down_to_whole_days():
    # 7 in 30 days is 0.233 a day: 10 last 42.9 days, so 42 whole days.
    assert Pace("PAPER", handed_out=7, days=30, available=10).days_of_cover == 42


def test_nothing_available_is_no_days_of_cover():
    assert Pace("PAPER", handed_out=5, days=30, available=0).days_of_cover == 0


def test_an_item_nothing_went_out_of_has_no_days_of_cover():
    assert Pace("PAPER", handed_out=0, days=30, available=10).days_of_cover is None
    assert Pace("PAPER", handed_out=0, days=30, available=10).per_30_days == Decimal("0.0")


def test_the_items_that_run_out_soonest_come_first_and_unused_ones_last():
    paces = [
        Pace("UNUSED", handed_out=0, days=30, available=5),
        Pace("SLOW", handed_out=1, days=30, available=10),  # 300 days
        Pace("FAST", handed_out=30, days=30, available=10),  # 10 days
        Pace("EMPTY", handed_out=3, days=30, available=0),  # 0 days
        Pace("ALSO-UNUSED", handed_out=0, days=30, available=0),
    ]
    assert [pace.sku for pace in fewest_days_of_cover_first(paces)] == [
        "EMPTY",
        "FAST",
        "SLOW",
        "ALSO-UNUSED",
        "UNUSED",
    ]


def test_items_are_ordered_by_their_exact_cover_not_the_rounded_days():
    # Both show 10 whole days; the one with 10.5 lasts longer.
    later = Pace("A-LATER", handed_out=20, days=21, available=10)
    sooner = Pace("B-SOONER", handed_out=1, days=10, available=1)
    assert later.days_of_cover == sooner.days_of_cover == 10
    assert fewest_days_of_cover_first([later, sooner]) == [sooner, later]


def test_what_goes_out_in_the_coming_days_is_rounded_up():
    assert Pace("PAPER", handed_out=60, days=90, available=0).expected_in(14) == 10
    assert Pace("PAPER", handed_out=90, days=90, available=0).expected_in(14) == 14
    assert Pace("PAPER", handed_out=0, days=90, available=0).expected_in(14) == 0
