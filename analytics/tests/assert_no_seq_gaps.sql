-- Gaps in seq (issue 15): per symbol, the producer's seq counts up by one;
-- in the last quality_window_hours, a run of seq_gap_min_missing or more
-- numbers that never arrived is a gap in the feed, one row per gap. A
-- single missing number is what the stream dead-letters (a malformed
-- message keeps its seq), and a jump past more than seq_gap_max_missing is a
-- producer restarting on a new base, so neither fails the test.
with recent as (
    select symbol, seq
    from {{ ref('stg_ticks') }}
    where seq is not null
      and ts >= now() - to_hours(cast({{ var('quality_window_hours', 24) }} as bigint))
),

steps as (
    select symbol, seq, lead(seq) over (partition by symbol order by seq) as next_seq
    from recent
)

select
    symbol,
    seq as last_seq_before,
    next_seq as first_seq_after,
    next_seq - seq - 1 as missing
from steps
where next_seq - seq - 1 >= {{ var('seq_gap_min_missing', 3) }}
  and next_seq - seq - 1 <= {{ var('seq_gap_max_missing', 100000) }}
