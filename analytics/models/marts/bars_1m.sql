-- One-minute OHLCV bars per symbol: open, high, low, close, volume, VWAP,
-- tick count. bar_start is the UTC minute.
-- Money is exact: VWAP (and any average price) is the exact quotient of
-- integer micro-unit sums, rounded once to 6 decimals, half up
-- (analytics/README.md, "Exact money"); DECIMAL(38,6), never a DOUBLE.
--
-- Incremental: a run re-aggregates, whole, every (symbol, minute) that got a
-- tick ingested since the previous run (less bars_lookback_minutes of margin)
-- and replaces those bars (delete+insert on the key). A late tick therefore
-- lands in its own minute, and any number of incremental runs give the same
-- table as a full refresh.
{{ config(
    materialized='incremental',
    unique_key=['symbol', 'bar_start'],
    incremental_strategy='delete+insert'
) }}

with ticks as (
    select
        symbol,
        ts,
        seq,
        price,
        size,
        notional,
        ingest_ts,
        date_trunc('minute', ts_utc) as minute_utc
    from {{ ref('stg_ticks') }}
)

{% if is_incremental() %}
, touched as (
    select distinct symbol, minute_utc
    from ticks
    where ingest_ts > (
        select coalesce(max(last_ingest_ts), '-infinity'::timestamptz)
        from {{ this }}
    ) - to_minutes(cast({{ var('bars_lookback_minutes', 60) }} as bigint))
)
{% endif %}

select
    t.symbol,
    timezone('UTC', t.minute_utc) as bar_start,
    arg_min(t.price, (t.ts, t.seq)) as open,
    max(t.price) as high,
    min(t.price) as low,
    arg_max(t.price, (t.ts, t.seq)) as close,
    sum(t.size) as volume,
    sum(t.notional) as notional,
    cast(cast((2 * cast(sum(t.notional) * 1000000 as hugeint) + sum(t.size))
        // (2 * nullif(sum(t.size), 0)) as decimal(30, 0)) * 0.000001 as decimal(38, 6)) as vwap,
    count(*) as tick_count,
    max(t.ingest_ts) as last_ingest_ts
from ticks as t
{% if is_incremental() %}
where exists (
    select 1 from touched as u
    where u.symbol = t.symbol and u.minute_utc = t.minute_utc
)
{% endif %}
group by t.symbol, t.minute_utc
