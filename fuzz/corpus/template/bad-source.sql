select * from {{ source('lake', 'nope') }}
