"""The biggest drop-off rule of docs/funnels.md (unit tests on hand-made step counts)."""

from __future__ import annotations

from analytics.funnels import StepResult
from analytics.funnels.dropoff import biggest_drop, breakdown_outliers


def steps(*users: int) -> list[StepResult]:
    return [
        StepResult(
            name=f"s{k}",
            users=n,
            conversion_from_start=n / users[0] if users[0] else 0.0,
            conversion_from_previous=n / users[k - 1] if k and users[k - 1] else 1.0,
            median_seconds_to_convert=None,
            p90_seconds_to_convert=None,
        )
        for k, n in enumerate(users)
    ]


def test_biggest_drop_is_the_largest_absolute_loss_and_names_the_step_not_reached() -> None:
    drop = biggest_drop(steps(1000, 900, 300, 250))
    assert drop is not None
    assert (drop.step_index, drop.from_step, drop.to_step, drop.lost_users) == (2, "s1", "s2", 600)
    assert round(drop.drop_rate, 4) == round(600 / 900, 4)
    # a 90% loss of few users loses to a 40% loss of many
    assert biggest_drop(steps(10_000, 6_000, 3_000, 300)).step_index == 1  # type: ignore[union-attr]


def test_ties_go_to_the_earlier_step_and_nobody_means_no_drop() -> None:
    assert biggest_drop(steps(300, 200, 100)).step_index == 1  # type: ignore[union-attr]
    assert biggest_drop(steps(0, 0, 0)) is None


def test_a_value_far_below_the_others_is_flagged() -> None:
    values = {"app": steps(1000, 700, 300), "web": steps(1000, 350, 150), "wechat": steps(500, 340, 150)}
    total = steps(2500, 1390, 600)
    flagged = breakdown_outliers(total, values)
    assert [(o.step_index, o.value) for o in flagged] == [(1, "web")]
    assert flagged[0].z_score < -3
    assert round(flagged[0].others_conversion_from_previous, 3) == round(1040 / 1500, 3)


def test_small_groups_and_small_gaps_are_not_flagged() -> None:
    # web converts at half the rate but has only 19 users at the step before
    values = {"app": steps(1000, 700), "web": steps(19, 5)}
    assert breakdown_outliers(steps(1019, 705), values) == []
    # 0.85 of the others' rate with many users: significant but not far
    values = {"app": steps(10_000, 7_000), "web": steps(10_000, 5_950)}
    assert breakdown_outliers(steps(20_000, 12_950), values) == []
