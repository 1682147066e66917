"""Causes of missed targets and the next step for each, keyed by figure. The report prints an entry
only when its figure misses in that run. Each cause comes from profiling this code base on the
bench machine (py-spy on daphne, Chromium's CDP profiler on the sandbox frame, pyarrow and SQLite
experiments; `python -m bench.profile` reproduces the profiles); rerun the profile and update
the text when the code changes."""

from __future__ import annotations

from bench.report import Analysis

ANALYSES: dict[str, Analysis] = {
    "first_event": Analysis(
        cause=(
            "The first event is the `run` event, and before it leaves the server the request "
            "authenticates the Bearer token (a DB read), checks the engine, creates the "
            "conversation, the run and its first log row and updates the conversation (two "
            "SQLite commits, each with fsyncs of the rollback journal: about 4.5 ms together, "
            "measured in-process), hands the run to the worker, subscribes to the run's group "
            "and reads the log back before it yields the frame, each DB step a `sync_to_async` "
            "hop. Meanwhile the embedded worker starts the same run in the same process "
            "(`claim_run` writes, `build_request`, building the offline model with the "
            "catalog), competing for the GIL and for SQLite's lock. The replay row (the same "
            "stream without creating a run) shows what the stream alone costs; the rest is run "
            "creation and the worker starting. In the final run (19:31 UTC) even `/ping` took "
            "51 ms at the median (5-11 ms in development runs the same day, 5 ms in a quiet "
            "probe), so most of this run's miss is the whole server answering slowly between "
            "runs; that was found after the run and is not profiled yet."
        ),
        next_step=(
            "(chat) Yield the `run` frame from the Run created by the view instead of reading "
            "it back from the log, and create conversation, run and first event in one "
            "`sync_to_async` call; (lead) turn on WAL for SQLite (`PRAGMA journal_mode=WAL; "
            "synchronous=NORMAL` in the connection's init command): an autocommit INSERT falls "
            "from about 1.2 ms to about 0.01 ms on this disk (measured). Check with `py-spy "
            "record --idle --pid <daphne>` during the figure."
        ),
    ),
    "end_to_end": Analysis(
        cause=(
            "The query is a small part of a run. A run emits about 55 events, 47 of them code "
            "chunks: the offline model streams its 8 kB component four words at a time and the "
            "emitter (`chat.consumers.RunEmitter`) flushes every 160 characters or 150 ms. Each "
            "event is one SQLite autocommit INSERT (`chat.services.append_event`, through "
            "`database_sync_to_async`, with an fsync of the rollback journal), a channel-layer "
            "`group_send` and an SSE frame. `python -m bench.profile chat` (py-spy, 100 Hz, 8 "
            "sequential runs of ~390 ms on a quiet machine): `append_event` is the innermost "
            "frame of our code in 40 % of the busy samples (~160 ms a run), DuckDB's fetch in "
            "20 % (~80 ms a run); the code phase alone is 47 events x ~4 ms, more than the query."
        ),
        next_step=(
            "(chat) Coalesce code into a few events (flush at ~2 kB or 100 ms) and write events "
            "in batches (one transaction per flush); (offline model) emit the finished "
            "component in a few large chunks, it is not generated token by token; (lead) SQLite "
            "in WAL mode with synchronous=NORMAL. Together these take the run to roughly query "
            "+ storing the result + a handful of events."
        ),
    ),
    "concurrency": Analysis(
        cause=(
            "Since issue 14 (not profiled again yet): runs share four database threads per "
            "process (core/db.py), a worker drives VIZORCH_MAX_CONCURRENT_RUNS (24) runs and "
            "queues the rest in order (their streams get `progress` with their place), events "
            "are written in batches and numbered by their write, the offline component is a "
            "handful of code events, and the `run` frame comes from the created run. On "
            "2026-12-01 (load average 8-15 from other work on the 2 cores) the burst reached "
            "200/200 with 0 errors and 0 lost events in both modes; what is left is time: "
            "the burst is ~200 runs of CPU on 2 shared cores, so queued runs wait tens of "
            "seconds without an event (the p99 gap) and the 200 requests' sign-in and run "
            "creation queue behind each other (the first event's p99); a loaded machine also "
            "pushes streams past the 120 s cut-off."
        ),
        next_step=(
            "(chat) Profile the burst again (`python -m bench.profile burst`) on a quiet "
            "machine; report a queued run's place more often than on its changes if the gap "
            "target is meant for waiting runs too; cut per-run CPU (the end-to-end figure); "
            "(lead) decide whether the p99 gap target counts runs waiting in the queue."
        ),
    ),
    "concurrency_services": Analysis(
        cause=(
            "Since issue 14: each process keeps at most VIZORCH_DB_POOL_SIZE (10) PostgreSQL "
            "connections (Django's psycopg pool), all runs and streams of a process go through "
            "its database threads, a streaming request gives its connection back before it "
            "streams, and the worker's listener survives Redis errors. 0/200 became 200/200 "
            "with 0 errors and 0 lost events (2026-12-01, machine loaded by other work); what "
            "is left is the same time budget as the embedded figure."
        ),
        next_step=(
            "(chat) Profile daphne and the worker during the burst; (lead) several workers "
            "with REDIS_URL (docs/deployment.md sizes max_connections for them)."
        ),
    ),
    "formats": Analysis(
        cause=(
            "Measured per column with pyarrow's metadata (1M numeric rows, 36.3 MB of JSON): "
            "byte stream split, which the store used for every double, wrote `sales` (324k "
            "distinct values of a million: a price times a quantity) in 6.3 MB where the "
            "dictionary takes 3.5 MB, and delta wrote `product_id` and `quantity` (400 and 12 "
            "values) larger than the dictionary. Since then each column gets the encoding that "
            "writes a sample of it smallest, in row groups of up to 1M rows, and a dictionary of "
            "doubles or decimals is compressed at zstd level 4: the numeric result went from "
            "10.7 MB (3.4x) to 7.5 MB (4.8x). What is left: `sales` 3.5 MB and the DECIMAL "
            "`unit_price` 2.4 MB. Byte stream split writes `unit_price` (as INT64) in 2.0 MB, "
            "which would make 5.1x, but DuckDB 1.5.5 reads that encoding for FLOAT and DOUBLE "
            "only; no encoding it reads does better than 2.35 MB (delta, dictionary, plain at "
            "any zstd level), nor than 3.44 MB for `sales`."
        ),
        next_step=(
            "(executors) allow byte stream split for decimals once the pinned DuckDB reads it "
            "(executors/tests/test_parquet_encodings.py checks every encoding in DuckDB); or "
            "(lead) set the numeric case's Parquet target to what DuckDB-readable encodings "
            "allow (about 4.9x)."
        ),
    ),
    "serving": Analysis(
        cause=(
            "py-spy on daphne and its workers: with the bench's raised "
            "VIZORCH_RESULT_SMALL_BYTES the worker sent the 1M-row result back as 75 MB of "
            "Arrow IPC and the web process wrote the Parquet file, serially after the query "
            "(2.31x). The worker now writes any result above 16 MiB itself (1.0x to 1.3x on a "
            "loaded machine); what is left is the query, then pyarrow writing the row group on "
            "one thread, where COPY writes while it runs on two."
        ),
        next_step=(
            "(executors) Write row groups on a second thread of the worker while it reads "
            "the next (it pays only for results of several row groups)."
        ),
    ),
    "catalog": Analysis(
        cause=(
            "Timing each profile statement: on tables above the sample size (TPC-H's "
            "lineitem and orders) every statement drew a reservoir sample of 1M rows, which "
            "took three times a full scan, and the values step drew it once per low-cardinality "
            "column (a UNION ALL of one grouped subquery each). A Bernoulli sample (a scan) and "
            "one grouping set per column in one statement took TPC-H SF1 from 4.05x to 0.2x "
            "of SUMMARIZE, with the same keys, relationships and roles."
        ),
        next_step="(executors) none while the target is met.",
    ),
    "sandbox_cold": Analysis(
        cause=(
            "Measured before the fixes of issue 13: a third of the time was the module scripts "
            "arriving uncompressed (1.1 MB), a fifth running them (React, Recharts, sucrase, SES, "
            "Zod, the Parquet reader in one entry), and a third compiling and the first render, "
            "with ~90 ms in the kit's `formatNumber` building an `Intl.NumberFormat` per label. "
            "Now the build is precompressed (.br/.gz, ~400 kB brotli for everything), the frame "
            "parses SES, React and the app before `ready` while the runtime chunk (Recharts, "
            "sucrase, the kit) loads beside it, the Parquet reader loads only for Parquet data and "
            "formatters are cached. What is left is a fresh frame's own work: lockdown, parsing "
            "~880 kB of runtime, the first compile and Recharts' first render; on a loaded "
            "machine (load average in the header) each of those stretches. Check the split rows: "
            "when `to its last script received` dominates, it is transfer; when `rendered` minus "
            "`ready` does, it is the runtime's parse and the first render."
        ),
        next_step=(
            "(frontend) The portal pays this once per page: it boots the frame with the page and "
            "reuses it (the second-artifact figure). The offline analyst's components are "
            "precompiled (no sucrase) and render at a size measured in a layout effect "
            "(the kit's `SizedChart`); profiled on 1 December 2026 (docs/ROADMAP.md item 15) the "
            "rest is `lockdown()` (30 to 60 ms), evaluating React DOM and Zod (~35 ms; the "
            "generated API schemas, ~10 ms, are no longer in the sandbox's chunks) and Recharts' "
            "first chart, 6 React commits of 100 to 150 ms in all. Next: fewer Recharts passes "
            "for the first chart."
        ),
    ),
    "sandbox_second": Analysis(
        cause=(
            "A second artifact in a booted frame is one `render` message: the shape check, a "
            "compile (sucrase and a new Compartment) and the React render; when it misses, the "
            "render of the chart itself dominates (`python -m bench.profile bar`)."
        ),
        next_step="(frontend) Profile the frame during the second render and trim the render.",
    ),
    "sandbox_line": Analysis(
        cause=(
            "Measured before the fixes of issue 13 (~2.3 s): ~0.6 s in `formatDate` building an "
            "Intl formatter per call, ~0.65 s in Recharts measuring every label of a 5,000-point "
            'axis (`interval="preserveStartEnd"`), ~0.4 s in Zod walking the 100k-row '
            "message. Now formatters are cached, the message's shape is checked without its rows, "
            "the series is reduced to about one point per pixel (`downsampleLine`) and the time "
            "axis has a numeric interval. What is left is the structured clone of 100,000 rows, "
            "the component's pass over them (`rowsToObjects`, grouping by x) and the render."
        ),
        next_step=(
            "(analyst charts) Read the columns by index instead of building 100,000 row objects; "
            "(portal) send large results as Parquet (a transferred buffer instead of a clone)."
        ),
    ),
    "bundles": Analysis(
        cause="The entry's static imports grew past the budget (see the file list).",
        next_step=(
            "(frontend) Move code not needed for the first paint behind dynamic imports and "
            "check the chunk list in frontend/dist/manifest.json."
        ),
    ),
    "quack": Analysis(
        cause=(
            "For a tiny result the round trip is fixed cost. The `raw quack_query` row is "
            "Quack's own share (an HTTP request, the statement on the server, Arrow back); what "
            "`RemoteDuckDBEngine` adds on top is ours: a TCP connect probe to the endpoint "
            "before every statement (`_reachable`), a new thread and a new cursor per "
            "statement, and the future/event hand-off. Local DuckDB answers a 10-row lookup in "
            "a few milliseconds, so a few milliseconds of fixed cost already make 3x."
        ),
        next_step=(
            "(executors) Probe only endpoints marked down (or on a connection error), run "
            "statements on a small pool of long-lived worker threads and cursors, and time the "
            "remaining overhead against the raw row."
        ),
    ),
}
