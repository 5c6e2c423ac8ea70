"""Finding the drop-off: the rule of docs/funnels.md ("Biggest drop-off"), in one place.

1. The biggest drop is the consecutive pair of steps that loses the most users in absolute
   terms (ties: the earlier step). Absolute, not relative: operators fix the step where most
   people leave, and a 90% loss of 10 users matters less than a 40% loss of 10,000.
2. A breakdown value is flagged at a step when its conversion from the previous step is far
   below the other values' pooled conversion: at least ``MIN_USERS`` users on each side, the
   value converts at most ``RATIO`` times as well as the others, and the gap is not noise
   (two-proportion z-score at most ``-Z``). A median/MAD rule is unstable with the three
   channels, and a relative gap alone would flag small groups by chance.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from analytics.funnels.result import BreakdownOutlier, DropOff, StepResult

MIN_USERS = 20
RATIO = 0.8
Z = 3.0


def biggest_drop(steps: Sequence[StepResult]) -> DropOff | None:
    """The step with the largest absolute loss from the step before; None if nobody entered."""
    if not steps or steps[0].users == 0:
        return None
    best = max(range(1, len(steps)), key=lambda k: (steps[k - 1].users - steps[k].users, -k))
    before, after = steps[best - 1], steps[best]
    lost = before.users - after.users
    return DropOff(
        step_index=best,
        from_step=before.name,
        to_step=after.name,
        lost_users=lost,
        drop_rate=lost / before.users if before.users else 0.0,
    )


def breakdown_outliers(total: Sequence[StepResult], values: dict[str, Sequence[StepResult]]) -> list[BreakdownOutlier]:
    """Every (step, value) whose conversion from the previous step is far below the others'."""
    flagged = []
    for k in range(1, len(total)):
        for value, steps in values.items():
            n_before, n_after = steps[k - 1].users, steps[k].users
            rest_before = total[k - 1].users - n_before
            rest_after = total[k].users - n_after
            if n_before < MIN_USERS or rest_before < MIN_USERS:
                continue
            p_value, p_rest = n_after / n_before, rest_after / rest_before
            pooled = total[k].users / total[k - 1].users
            spread = math.sqrt(pooled * (1 - pooled) * (1 / n_before + 1 / rest_before))
            if spread == 0:
                continue
            z = (p_value - p_rest) / spread
            if p_value <= RATIO * p_rest and z <= -Z:
                flagged.append(
                    BreakdownOutlier(
                        step_index=k,
                        to_step=total[k].name,
                        value=value,
                        users=n_before,
                        conversion_from_previous=p_value,
                        others_conversion_from_previous=p_rest,
                        z_score=z,
                    )
                )
    return sorted(flagged, key=lambda o: (o.step_index, o.z_score))
