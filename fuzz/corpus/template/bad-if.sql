{% if is_incremental() %} no endif
