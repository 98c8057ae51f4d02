-- Every one-minute bar: low <= open, close <= high, and the VWAP inside
-- [low, high]. Returns the bars that break it. Exact: prices and VWAP are
-- decimals (VWAP rounded once to 6 decimals from exact sums, so it cannot
-- leave [low, high]), no tolerance.
select *
from {{ ref('bars_1m') }}
where low > least(open, close)
   or high < greatest(open, close)
   or vwap < low
   or vwap > high
   or typeof(vwap) <> 'DECIMAL(38,6)'
