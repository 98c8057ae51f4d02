-- Freshness (issue 15): every symbol that traded in the last
-- quality_window_hours has a tick within freshness_max_lag_minutes of now.
-- A symbol whose feed stopped (or the whole feed) fails it, one row per
-- symbol. Older history (a backfill, a simulated day in the past) is not
-- judged: these tests watch the live feed.
with recent as (
    select symbol, max(ts) as last_ts
    from {{ ref('stg_ticks') }}
    where ts >= now() - to_hours(cast({{ var('quality_window_hours', 24) }} as bigint))
    group by symbol
)

select
    symbol,
    last_ts,
    round(epoch(now() - last_ts) / 60, 1) as minutes_since_last_tick
from recent
where last_ts < now() - to_minutes(cast({{ var('freshness_max_lag_minutes', 15) }} as bigint))
