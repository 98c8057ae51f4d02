select * from {{ ref('stg_ticks') }} where ts > {{ var('start') }}
