{{ ref('a', 'b') }} {{ loop.index }}
