"""The semantic catalog of each engine: `model` (the contract everyone reads), `profile` (built
from the data), `naming`, `roles` and `relationships` (the profiler's guesses), `document` (the
curated layer as a file), `services` (writes) and `selectors` (reads: `semantic_catalog`). See
docs/catalog.md."""
