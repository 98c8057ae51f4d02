-- Every one-minute bar: low <= open, close <= high, and the VWAP inside
-- [low, high]. Returns the bars that break it.
select *
from {{ ref('bars_1m') }}
where low > least(open, close)
   or high < greatest(open, close)
   or vwap < low
   or vwap > high
