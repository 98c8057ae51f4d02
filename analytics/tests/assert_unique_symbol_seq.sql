-- stg_ticks keeps one copy of each (symbol, seq): one row per key with more.
-- Grouped on the two columns rather than a `unique` test on
-- symbol || '#' || seq: that one builds a string per tick, and its hash
-- aggregate ran out of memory under the scheduled jobs' DuckDB budget
-- (384 MiB, 9.3M ticks) where this one finishes.
select symbol, seq, count(*) as copies
from {{ ref('stg_ticks') }}
where seq is not null
group by symbol, seq
having count(*) > 1
