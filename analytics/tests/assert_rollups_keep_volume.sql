-- The 5-minute and hourly bars add up to the same volume and tick count per
-- symbol as the one-minute bars. Returns the symbols where they do not.
with m1 as (
    select symbol, sum(volume) as volume, sum(tick_count) as ticks
    from {{ ref('bars_1m') }} group by symbol
),
m5 as (
    select symbol, sum(volume) as volume, sum(tick_count) as ticks
    from {{ ref('bars_5m') }} group by symbol
),
h1 as (
    select symbol, sum(volume) as volume, sum(tick_count) as ticks
    from {{ ref('bars_1h') }} group by symbol
)
select m1.symbol
from m1
left join m5 on m5.symbol = m1.symbol
left join h1 on h1.symbol = m1.symbol
where m5.volume is distinct from m1.volume
   or h1.volume is distinct from m1.volume
   or m5.ticks is distinct from m1.ticks
   or h1.ticks is distinct from m1.ticks
