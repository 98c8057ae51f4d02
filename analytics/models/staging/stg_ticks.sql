-- One row per tick: typed, deduplicated by (symbol, seq) (a replayed or
-- not-yet-vacuumed copy of a tick counts once), with UTC helpers.
-- A table rather than a view: source('lake', 'ticks') is the snapshot a run
-- reads, and a view over it would go stale as the lake moves on.
{{ config(materialized='table') }}

-- Only the keys that have more than one copy (rare: a replay, or a
-- compaction not yet vacuumed) go through the window that picks the first
-- copy; every other row passes through an anti join. A window over every
-- tick holds whole hash partitions in memory and failed under the scheduled
-- jobs' DuckDB budget (out of memory at 512 MiB on 4.6M ticks), while the
-- aggregate and the joins spill.
with src as (
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
        src_partition,
        src_offset
    from {{ source('lake', 'ticks') }}
    where symbol is not null and ts is not null and price is not null and size is not null
),

copied as (
    select symbol, seq
    from src
    where seq is not null
    group by symbol, seq
    having count(*) > 1
),

deduped as (
    -- a NULL seq never matches, so those rows all stay
    select * from src anti join copied using (symbol, seq)
    union all
    select * exclude (copy_no)
    from (
        select
            *,
            row_number() over (
                partition by symbol, seq
                order by ingest_ts, src_partition, src_offset
            ) as copy_no
        from src semi join copied using (symbol, seq)
    )
    where copy_no = 1
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
from deduped
