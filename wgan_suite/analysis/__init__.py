"""Reading results tables: per-trial summaries, statistics and the catalogue of every result
column."""
