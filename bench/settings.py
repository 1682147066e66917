"""Settings of the benchmark server: the embedded defaults of vizorch_site.settings, with the result
limits raised so that a 1M-row result can be fetched whole and served as JSON (the JSON baseline of
the data-format figure). Nothing else differs from what `make run` serves."""

from vizorch_site.settings import *  # noqa: F403

# A 1M-row query keeps all its rows (the default keeps 100k and reports truncation).
VIZORCH_MAX_ROWS = 1_100_000
# ...and may be served as JSON, so JSON can be measured against Parquet and Arrow.
VIZORCH_RESULT_SMALL_ROWS = 2_000_000
VIZORCH_RESULT_SMALL_BYTES = 1 << 31
VIZORCH_MAX_JSON_BYTES = 1 << 31
