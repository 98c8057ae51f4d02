-- min <= avg <= max, and open and close within [min, max], per symbol and day.
select *
from {{ ref('daily_summary') }}
where avg_price < min_price or avg_price > max_price
   or open < min_price or open > max_price
   or close < min_price or close > max_price
