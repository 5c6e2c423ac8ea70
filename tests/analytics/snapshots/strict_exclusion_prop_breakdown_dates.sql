SELECT
    is_total_ AS is_total,
    if(is_total_ = 1, '', breakdown) AS value,
    countIf(level >= 0) AS users0,
    countIf(level >= 1) AS users1,
    quantilesExactIf(0.5, 0.9)(at1 - at0, level >= 1) AS seconds1
FROM (
SELECT
    user_id,
    bd_ AS breakdown,
    multiIf(length(p1_) > 0, 1, length(p0_) > 0, 0, -1) AS level,
    arrayMap((x_, w_) -> if(x_ > 0, w_[x_], 0), c1_, replicate(p1_, c1_)) AS l1_,
    if(level = 1, p1_[1], 0) AS j1_,
    if(level = 0, p0_[1], arrayPushFront(l0_, 0)[j1_]) AS j0_,
    if(j0_ > 0, t_[j0_], 0) AS at0,
    if(j1_ > 0, t_[j1_], 0) AS at1,
    arrayExists((e_, lo_, hi_) -> bitAnd(e_ % 64, 1) > 0 AND intDiv(e_, 64) > lo_ AND intDiv(e_, 64) < hi_,
        xev_,
        replicate(if(j0_ > 0, t_[j0_], 18446744073709551615), xev_),
        replicate(if(j1_ > 0, t_[j1_], t_[j0_] + {window_s:UInt64} + 1), xev_)) OR
    0 AS excluded_
FROM (
    SELECT
        *,
        arrayMap((x_, w_) -> if(x_ > 0, w_[x_], 0), c0_, replicate(p0_, c0_)) AS l0_,
        arrayPushFront(arrayPopBack(
            arrayMap((x_, w_) -> if(x_ > 0, w_[x_], 0), c0_, replicate(v0_, c0_))), 0) AS a1_,
        arrayMap((x_, y_, z_, w_) -> bitAnd(x_, 2) > 0 AND w_ AND y_ <= z_ + {window_s:UInt64},
            m_, t_, a1_, arrayPushFront(arrayPopBack(q0_), 0)) AS q1_,
        arrayCumSum(q1_) AS c1_,
        arrayFilter((x_, y_) -> y_, i_, q1_) AS p1_,
        arrayFilter((x_, y_) -> y_, a1_, q1_) AS v1_
FROM (
    SELECT
        *,
        arrayMap(e_ -> intDiv(e_, 65536), ev_) AS t_,
        arrayMap(e_ -> e_ % 4096, ev_) AS m_,
        arrayEnumerate(ev_) AS i_,
        arrayMap(x_ -> bitAnd(x_, 1) > 0, m_) AS q0_,
        t_ AS a0_,
        arrayCumSum(q0_) AS c0_,
        arrayFilter((x_, y_) -> y_, i_, q0_) AS p0_,
        arrayFilter((x_, y_) -> y_, a0_, q0_) AS v0_
    FROM (
        SELECT
            user_id,
            argMinIf(bd_, ts_, bitAnd(mask_, 1) > 0) AS bd_,
            arraySort(groupArrayIf(key_, mask_ > 0)) AS ev_,
            groupArrayIf(ts_ * 64 + xmask_, xmask_ > 0) AS xev_
        FROM (
            SELECT
                user_id,
                toUInt64(ts) AS ts_,
                prop_values[indexOf(prop_keys, {breakdown_key:String})] AS bd_,
                toUInt64((event = {s0_event:String} AND ref_share_id = {s0_v0:String})) * 1 + toUInt64((event = {s1_event:String})) * 2 AS mask_,
                ts_ * 65536 + indexOf([1, 2], bitAnd(mask_, bitNot(mask_) + 1)) * 4096 + mask_ AS key_,
                toUInt64((event = {x0_event:String} AND prop_values[indexOf(prop_keys, {x0_k0:String})] = {x0_v0:String})) * 1 AS xmask_
            FROM events
            WHERE ts >= toDateTime({ts_from:UInt32}) AND ts < toDateTime({ts_to:UInt32})
                AND ((event = {s0_event:String} AND ref_share_id = {s0_v0:String}) OR (event = {s1_event:String}) OR (event = {x0_event:String} AND prop_values[indexOf(prop_keys, {x0_k0:String})] = {x0_v0:String}))
        )
        GROUP BY user_id
        HAVING length(ev_) > 0
    )
)
)
WHERE level >= 0 AND excluded_ = 0
)
ARRAY JOIN [0, 1] AS is_total_
GROUP BY is_total, value
ORDER BY is_total DESC, users0 DESC, value
