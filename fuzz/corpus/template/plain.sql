select 1 as a -- { not a tag }
