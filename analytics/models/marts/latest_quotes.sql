-- The last tick of every symbol (by event time, then seq): price, size,
-- bid, ask, mid and spread. A view over the stg_ticks table, so it always
-- agrees with the last run. mid is exact: (bid + ask) / 2 rounded once to 6
-- decimals, half up, as every money figure (analytics/README.md).
{{ config(materialized='view') }}

select
    symbol,
    ts,
    price,
    size,
    bid,
    ask,
    cast((bid + ask) * 0.5 as decimal(18, 6)) as mid,
    ask - bid as spread,
    exchange,
    seq
from {{ ref('stg_ticks') }}
qualify row_number() over (partition by symbol order by ts desc, seq desc) = 1
