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
            "SQLite's single writer. Each run drives its DB work in a thread and a connection "
            "of its own (`ThreadSensitiveContext` per run in `chat.consumers.drive_run`), every "
            "event is an autocommit INSERT with an fsync, and every run and every stream also "
            "write or read each second (`touch_listener`, `run_watch_state`). py-spy on daphne "
            "during a 200-stream burst (50 Hz, 60 s): 75 % of the non-idle samples are threads "
            "in `sqlite3` `execute` waiting for the write lock, under `append_event` (9,637 "
            "samples), `start_chat_run`, `claim_run` and `touch_listener`. After the 20 s busy "
            "timeout a write fails with `database is locked`: that run ends with an `error` "
            "event, and because `RunEmitter._publish` increments `seq` before `append_event` "
            "succeeds, its stream shows a gap (the lost events). Requests wait behind the same "
            "lock, so first events take seconds and most streams do not finish in the burst "
            "window. Even without the lock, ~200 runs x ~0.4 s of CPU on 2 cores is ~40 s of "
            "work, so a 500 ms p99 gap also needs much cheaper runs (see the end-to-end figure)."
        ),
        next_step=(
            "(chat) Publish and number an event only after its log row is written (or retry the "
            "write), far fewer events per run, and one DB thread for all runs instead of one "
            "per run; (lead) SQLite WAL + synchronous=NORMAL, and document that many concurrent "
            "runs need PostgreSQL; then measure again, including the PostgreSQL + Redis figure."
        ),
    ),
    "concurrency_services": Analysis(
        cause=(
            "On PostgreSQL the same design runs out of connections: the run worker opens one "
            "connection per run (a thread per run through `ThreadSensitiveContext`) and daphne "
            "one per request thread, and PostgreSQL allows 100. In the final run half of the "
            "200 requests failed with HTTP 500 while connecting (`FATAL: sorry, too many "
            "clients already`), and the worker's `drive_run` failed the same way for 100 runs "
            "(runworker log), whose streams then ended with 'No run worker picked this run "
            "up'. In development runs the worker process also died once on "
            "`redis.exceptions.TimeoutError: Timeout reading from 127.0.0.1:6379` (channels_redis "
            "BZPOPMIN) and every run in flight ended with 'worker shut down'."
        ),
        next_step=(
            "(chat) Share a small DB connection pool (one DB thread, or `thread_sensitive=False` "
            "with a bounded executor) between runs, and cap the runs a worker drives at once "
            "(queue the rest); restart the worker's listener on a Redis timeout instead of "
            "stopping, and re-queue runs a stopped worker held; (lead) run several workers with "
            "REDIS_URL and size max_connections/pgbouncer for them."
        ),
    ),
    "formats": Analysis(
        cause=(
            "Arrow IPC is written uncompressed and with plain strings "
            "(`executors.results.arrow_stream_chunks`: `pa.ipc.new_stream` without "
            "`IpcWriteOptions(compression=...)`, the Parquet file read back without "
            "`read_dictionary`), so it is as large as the data in memory, larger than JSON for "
            "these results: fast to serve, never 5x smaller. Measured with pyarrow on the stored "
            "order-lines result (JSON 83 MB): plain IPC 76 MB, zstd IPC 21.7 MB, the three text "
            "columns dictionary-encoded 28 MB, dictionary + zstd 8.3 MB (10x smaller, 0.12 s to "
            "write). Parquet misses the size target only for the numeric result: "
            "`order_item_id` and `order_id` are dense sequences written with dictionary/PLAIN "
            "encoding (3.2 + 2.2 MB of 13.5 MB) and `sales` holds full-precision doubles "
            "(2484.1499999999996) that do not compress (4.2 MB). With DELTA_BINARY_PACKED for "
            "the integer sequences and BYTE_STREAM_SPLIT for the doubles the same file is "
            "10.3 MB: 3.5x, still short of 5x because the doubles themselves are the data."
        ),
        next_step=(
            "(executors) Stream Arrow with dictionary-encoded text columns (read the Parquet "
            "with `read_dictionary`) and zstd buffer compression (`IpcWriteOptions(compression="
            "'zstd')`) for clients that read it (pyarrow, polars, DuckDB; check the browser's "
            "Arrow reader before turning it on for the portal); write Parquet with per-column "
            "encodings (delta for integer sequences, byte-stream-split for floating point); "
            "(data) keep money as DECIMAL in the demo tables (`sales`, `cost`, `profit` are "
            "DOUBLE), which Parquet stores in a few bytes."
        ),
    ),
    "serving": Analysis(
        cause=(
            "The store writes the whole Arrow result with pyarrow (`write_parquet`) after the "
            "engine has fetched it, then inserts the result row; DuckDB's COPY streams straight "
            "from the query into the file. The split rows show which part dominates."
        ),
        next_step=(
            "(executors) Let the local engine write the Parquet file itself (`COPY ... TO` to "
            "the results directory, `EngineResult.parquet_path`) for large results and read the "
            "preview from the file."
        ),
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
            "reuses it (the second-artifact figure). To shorten the cold start itself, split "
            "Recharts' chart types into chunks of their own, or precompile the offline analyst's "
            "components at build time so a fresh frame skips sucrase."
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
