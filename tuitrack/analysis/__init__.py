"""Pure analysis over runs: ``compare`` (comparison matrix), ``series`` (smoothing, grouping), ``export`` (rows)."""
