-- Per symbol and UTC day: open, close, min, max and average trade price,
-- VWAP, volume, tick count, the open-to-close return (close / open - 1) and
-- the realised volatility: sqrt of the sum of squared log returns between
-- consecutive one-minute closes of the day (NULL with fewer than two bars).
-- Money is exact: VWAP (and any average price) is the exact quotient of
-- integer micro-unit sums, rounded once to 6 decimals, half up
-- (analytics/README.md, "Exact money"); DECIMAL(38,6), never a DOUBLE.
{{ config(materialized='table') }}

with days as (
    select
        symbol,
        trade_date,
        arg_min(price, (ts, seq)) as open,
        arg_max(price, (ts, seq)) as close,
        min(price) as min_price,
        max(price) as max_price,
        cast(cast((2 * cast(sum(price) * 1000000 as hugeint) + count(*))
            // (2 * nullif(count(*), 0)) as decimal(30, 0)) * 0.000001 as decimal(38, 6)) as avg_price,
        cast(cast((2 * cast(sum(notional) * 1000000 as hugeint) + sum(size))
            // (2 * nullif(sum(size), 0)) as decimal(30, 0)) * 0.000001 as decimal(38, 6)) as vwap,
        sum(size) as volume,
        count(*) as tick_count
    from {{ ref('stg_ticks') }}
    group by symbol, trade_date
),

minute_returns as (
    select
        symbol,
        cast(timezone('UTC', bar_start) as date) as trade_date,
        ln(close / lag(close) over (
            partition by symbol, cast(timezone('UTC', bar_start) as date)
            order by bar_start
        )) as log_return
    from {{ ref('bars_1m') }}
),

volatility as (
    select symbol, trade_date, sqrt(sum(log_return * log_return)) as realised_vol
    from minute_returns
    group by symbol, trade_date
)

select
    d.symbol,
    d.trade_date,
    d.open,
    d.close,
    d.min_price,
    d.max_price,
    d.avg_price,
    d.vwap,
    d.volume,
    d.tick_count,
    cast(d.close as double) / cast(d.open as double) - 1 as day_return,
    v.realised_vol
from days as d
left join volatility as v
    on v.symbol = d.symbol and v.trade_date = d.trade_date
