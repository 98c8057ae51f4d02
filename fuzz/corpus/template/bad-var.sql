{{ var('undefined') }}
