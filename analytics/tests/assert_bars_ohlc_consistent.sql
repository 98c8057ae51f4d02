-- Every one-minute bar: low <= open, close <= high, and the VWAP inside
-- [low, high]. Returns the bars that break it. Prices are exact decimals,
-- but vwap is a DOUBLE quotient of exact sums: a bar whose ticks all have
-- one price can get a VWAP one rounding step beside it (100.05 as
-- 100.05000000000001), which is not a broken bar.
select *
from {{ ref('bars_1m') }}
where low > least(open, close)
   or high < greatest(open, close)
   or vwap < low * (1 - 1e-12)
   or vwap > high * (1 + 1e-12)
