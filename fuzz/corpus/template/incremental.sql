{{ config(materialized='incremental', unique_key=['symbol','ts'], incremental_strategy='delete+insert', tags=['marts']) }}
select symbol, ts from {{ source('lake', 'ticks') }}
{% if is_incremental() %}
where ts > (select max(ts) from {{ this }})
{% else %}
where true
{% endif %}
