{#- a comment -#}
select {{- var('lookback_minutes', 60) -}} as m, {{ var('missing', 'x') }}
{% if not is_incremental() %}-- full{% endif %}
