-- Five-minute OHLCV bars per symbol, rolled up from bars_1m: open of the first
-- minute, close of the last, extremes, summed volume and notional, VWAP =
-- notional / volume, tick count. bar_start is UTC.
-- Money is exact: VWAP (and any average price) is the exact quotient of
-- integer micro-unit sums, rounded once to 6 decimals, half up
-- (analytics/README.md, "Exact money"); DECIMAL(38,6), never a DOUBLE.
{{ config(materialized='table') }}

select
    symbol,
    timezone('UTC', time_bucket(interval '5 minutes', timezone('UTC', bar_start))) as bar_start,
    arg_min(open, bar_start) as open,
    max(high) as high,
    min(low) as low,
    arg_max(close, bar_start) as close,
    sum(volume) as volume,
    sum(notional) as notional,
    cast(cast((2 * cast(sum(notional) * 1000000 as hugeint) + sum(volume))
        // (2 * nullif(sum(volume), 0)) as decimal(30, 0)) * 0.000001 as decimal(38, 6)) as vwap,
    sum(tick_count) as tick_count
from {{ ref('bars_1m') }}
group by all
