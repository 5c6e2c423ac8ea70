"""Slots ranked for a product by value per active period, on the hand-worked world (both engines)."""

from __future__ import annotations

import pytest

from analytics.touchpoint_value import ReportInputError, rank_slots
from tests.analytics.touchpoint_world import SEPTEMBER_1_TO_7, mapped
from warehouse import Warehouse

pytestmark = pytest.mark.integration


def test_broadband_slots_by_value_per_day(touchpoint_world: Warehouse) -> None:
    ranked = rank_slots(touchpoint_world, "broadband", SEPTEMBER_1_TO_7, "day", mapped())
    got = [(s.rank, s.slot, s.exposures, s.conversions, s.active_periods, round(s.value_per_period, 6)) for s in ranked]
    # value = exposures x 0.05 + conversions x 3 + service transactions x 1.08, over days with touches
    assert got == [
        (1, "app.floating_icon", 2, 1, 1, 3.1),  # d9 d10 on 5 Sep
        (2, "app.login_popup", 2, 1, 1, 3.1),  # d3 d4 on 1 Sep (ties go by slot name)
        (3, "web.home_floor", 1, 1, 1, 3.05),  # d6
        (4, "wechat.menu_banner", 1, 1, 1, 3.05),  # d7
        (5, "app.reminder", 2, 0, 1, 2.26),  # d12 d13 and d12's 2 service transactions
        (6, "app.banner", 4, 1, 2, 1.6),  # d1 d15 d18 on 1 Sep, d16 on 7 Sep: 3.2 over 2 days
        (7, "web.banner", 1, 0, 1, 0.05),
        (8, "web.login_popup", 1, 0, 1, 0.05),
        (9, "wechat.home_floor", 1, 0, 1, 0.05),
    ]
    banner = ranked[5]
    assert (banner.channel, banner.slot_kind, banner.campaigns, banner.unit) == ("app", "banner", ["bb"], "day")


def test_a_week_is_the_unit_of_time(touchpoint_world: Warehouse) -> None:
    ranked = rank_slots(touchpoint_world, "broadband", SEPTEMBER_1_TO_7, "week", mapped())
    banner = next(s for s in ranked if s.slot == "app.banner")
    assert banner.active_periods == 2  # the weeks of 31 August and 7 September
    assert banner.value_per_period == pytest.approx(3.2 / 2)


def test_a_product_id_or_business_selects_its_campaigns(touchpoint_world: Warehouse) -> None:
    (line,) = rank_slots(touchpoint_world, "data_pack", SEPTEMBER_1_TO_7, "day", mapped())
    assert (line.slot, line.campaigns, line.exposures, line.conversions) == ("app.home_floor", ["dp", "dp10"], 2, 1)
    (product,) = rank_slots(touchpoint_world, "dp-10g", SEPTEMBER_1_TO_7, "day", mapped())
    assert (product.slot, product.campaigns) == ("app.home_floor", ["dp10"])
    assert product.value.total_yuan == pytest.approx(0.05 + 3)


def test_a_product_no_campaign_sells_is_a_clear_error(wh: Warehouse) -> None:
    with pytest.raises(ReportInputError, match="no campaign sells 'handset'"):
        rank_slots(wh, "handset", SEPTEMBER_1_TO_7, "day", mapped())
    with pytest.raises(ReportInputError, match="unit"):
        rank_slots(wh, "broadband", SEPTEMBER_1_TO_7, "total", mapped())
