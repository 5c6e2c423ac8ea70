SELECT user_id, breakdown, at1 * 1000 AS reached_at_ms
FROM (
SELECT
    user_id,
    bd_ AS breakdown,
    multiIf(length(p2_) > 0, 2, length(p1_) > 0, 1, length(p0_) > 0, 0, -1) AS level,
    arrayMap((x_, w_) -> if(x_ > 0, w_[x_], 0), c2_, replicate(p2_, c2_)) AS l2_,
    if(level = 2, p2_[1], 0) AS j2_,
    if(level = 1, p1_[1], arrayPushFront(l1_, 0)[j2_]) AS j1_,
    if(level = 0, p0_[1], arrayPushFront(l0_, 0)[j1_]) AS j0_,
    if(j0_ > 0, t_[j0_], 0) AS at0,
    if(j1_ > 0, t_[j1_], 0) AS at1,
    if(j2_ > 0, t_[j2_], 0) AS at2,
    0 AS excluded_
FROM (
    SELECT
        *,
        arrayMap((x_, w_) -> if(x_ > 0, w_[x_], 0), c1_, replicate(p1_, c1_)) AS l1_,
        arrayPushFront(arrayPopBack(
            arrayMap((x_, w_) -> if(x_ > 0, w_[x_], 0), c1_, replicate(v1_, c1_))), 0) AS a2_,
        arrayMap((x_, y_, z_) -> bitAnd(x_, 4) > 0 AND z_ > 0 AND y_ <= z_ + {window_s:UInt64},
            m_, t_, a2_) AS q2_,
        arrayCumSum(q2_) AS c2_,
        arrayFilter((x_, y_) -> y_, i_, q2_) AS p2_,
        arrayFilter((x_, y_) -> y_, a2_, q2_) AS v2_
FROM (
    SELECT
        *,
        arrayMap((x_, w_) -> if(x_ > 0, w_[x_], 0), c0_, replicate(p0_, c0_)) AS l0_,
        arrayPushFront(arrayPopBack(
            arrayMap((x_, w_) -> if(x_ > 0, w_[x_], 0), c0_, replicate(v0_, c0_))), 0) AS a1_,
        arrayMap((x_, y_, z_) -> bitAnd(x_, 2) > 0 AND z_ > 0 AND y_ <= z_ + {window_s:UInt64},
            m_, t_, a1_) AS q1_,
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
            arraySort(groupArray(key_)) AS ev_
        FROM (
            SELECT
                user_id,
                toUInt64(ts) AS ts_,
                channel AS bd_,
                toUInt64((event = {s0_event:String} AND flow = {s0_v0:String} AND step = {s0_v1:UInt16})) * 1 + toUInt64((event = {s1_event:String} AND flow = {s1_v0:String} AND step = {s1_v1:UInt16})) * 2 + toUInt64((event = {s2_event:String} AND flow = {s2_v0:String} AND step = {s2_v1:UInt16})) * 4 AS mask_,
                ts_ * 65536 + indexOf([1, 2, 4], bitAnd(mask_, bitNot(mask_) + 1)) * 4096 + mask_ AS key_
            FROM events
            WHERE 1
                AND ((event = {s0_event:String} AND flow = {s0_v0:String} AND step = {s0_v1:UInt16}) OR (event = {s1_event:String} AND flow = {s1_v0:String} AND step = {s1_v1:UInt16}) OR (event = {s2_event:String} AND flow = {s2_v0:String} AND step = {s2_v1:UInt16}))
        )
        GROUP BY user_id
    )
)
)
)
WHERE level >= 0 AND excluded_ = 0
)
WHERE level = 1
    AND breakdown = {breakdown_value:String}
ORDER BY user_id
LIMIT {limit:UInt64}
