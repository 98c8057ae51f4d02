-- One row per tick: typed, deduplicated by (symbol, seq) (a replayed or
-- not-yet-vacuumed copy of a tick counts once), with UTC helpers.
-- A table rather than a view: source('lake', 'ticks') is the snapshot a run
-- reads, and a view over it would go stale as the lake moves on.
{{ config(materialized='table') }}

with ranked as (
    select
        cast(symbol as varchar) as symbol,
        cast(ts as timestamptz) as ts,
        timezone('UTC', ts) as ts_utc,
        cast(price as decimal(18, 6)) as price,
        cast(size as bigint) as size,
        cast(bid as decimal(18, 6)) as bid,
        cast(ask as decimal(18, 6)) as ask,
        cast(exchange as varchar) as exchange,
        cast(seq as bigint) as seq,
        coalesce(late, false) as late,
        ingest_ts,
        row_number() over (
            partition by symbol, seq
            order by ingest_ts, src_partition, src_offset
        ) as copy_no
    from {{ source('lake', 'ticks') }}
    where symbol is not null and ts is not null and price is not null and size is not null
)

select
    symbol,
    ts,
    ts_utc,
    cast(ts_utc as date) as trade_date,
    price,
    size,
    price * size as notional,
    bid,
    ask,
    exchange,
    seq,
    late,
    ingest_ts
from ranked
where seq is null or copy_no = 1
