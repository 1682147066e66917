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
            "The ratio's two sides lost the same ~3 ms on 3 December 2026, when a token sign-in "
            "became one statement for the token, its roles and django-axes' count of the "
            "caller's recent failures (core/tokens.py `check_token`): chat p50 11.1 -> 8.2 ms "
            "and the `GET /api/me` baseline 8.0 -> 5.0 ms, so the ratio went from 1.39x to "
            "1.64x while both got faster. What the chat added to the GET was creating the "
            "conversation, the run and its first event (the ORM compiling three INSERTs and "
            "`Model.save`, 2.2 ms of 5.3 in cProfile) and, found later the same day, the "
            "in-process worker: the run went to it as soon as the stream yielded its first "
            "frame, which was then still in Twisted's buffer, and the worker's first steps "
            "(threads holding the interpreter lock for up to its 5 ms switch interval) ran "
            "before the event loop sent it. Both are fixed: each INSERT is compiled once per "
            "model and database and takes only its values (core/writes.py; CPU per chat "
            "request through Django's test client 6.4 -> 4.9 ms), and the run goes to its "
            "worker after the loop's next poll of its sockets (chat/api.py). On a machine "
            "about as fast as the published one for this figure, alternating with main: "
            "1.66x and 1.69x before, 1.54x and 1.58x with the INSERTs alone, 1.31x and 1.29x "
            "with both."
        ),
        next_step=(
            "(chat) What is left is the transaction itself, the floor of a run that can be "
            "resumed (its id must exist before the client has it), and the stream's own frame. "
            "Django's ASGI handler's two extra thread hops per request (the `request_started` "
            "signal and `response.close()`) now run in the one for the middleware and the view "
            "(vizorch_site/handler.py, 4 December 2026: CPU per `GET /api/me` 0.07-0.45 ms "
            "less in three alternating pairs); they were on both sides of the ratio."
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
            "Two causes, measured on a quiet machine (2026-12-02). (1) The kernel: daphne "
            "listened with Twisted's default backlog of 50, so while it was busy a burst's "
            "connections beyond it were dropped and their clients tried again a second later: "
            "46 of 200 (nstat TcpExtListenOverflows), the whole p90-p99 tail, and the same for "
            "the `GET /api/me` baseline. It now listens with a backlog of 1024 (Makefile, "
            "vizorch_site/testing.py): 0 dropped, p99 1.46 -> 1.23 s. (2) CPU in one Python "
            "process: without drops the first events come out one every ~5 ms in a straight "
            "line, each stream's sign-in, roles and run creation on the one GIL, beside the "
            "in-process worker's runs (1 run at a time instead of 4: -8 %). py-spy (`--gil`) "
            "put 44 % of the GIL's time on the event loop (Twisted, SSE frames, the channel "
            "layer), 21 % on creating the run, 12 % on the token sign-in. The cycle collector "
            "walking start-up's objects and DEBUG's query log (on SQLite a second statement per "
            "query) cost a further 15-20 %: frozen and opt-in now (core/collector.py, "
            "core/query_log.py), p99 0.92-0.96 s in alternating pairs; SQLite's writers queue "
            "in the process (core/sqlite) instead of sleeping in its busy handler (-10 % at "
            "p99). Bursts alone came to 0.92-0.96 s; in the full bench, after the other figures, "
            "1.11 s. Two costs in the runs found later (py-spy, 2026-12-01) are gone: LangChain "
            "put `repr()` of the offline model, its catalog included, into every run's "
            "serialized model (~6 % of a burst's GIL time), and channels' in-memory layer swept "
            "every channel on each `receive` and `group_send` (~5 %, growing with the square of "
            "the burst; core/memory_layer.py sweeps once a second). Three bursts of 200 each "
            "on a machine about twice as slow as the figures above (2026-12-02, `GET /api/me` "
            "p99 2.6-4.2 s in the bursts): 33-37 s of daphne CPU a burst after, 38-45 s before; "
            "first event p99 2.3-3.1 s after, 2.6-3.4 s before."
        ),
        next_step=(
            "(chat) Done on 3 December 2026, measured on a machine about 1.5x slower than the "
            "figures above (`GET /api/me` p99 1.5-1.8 s in its bursts): the token, its user's "
            "roles and the caller's recent failed attempts are one statement written once "
            "(core/tokens.py `check_token`; axes' own check only for an unknown token or a "
            "caller near its limit), 1.4-1.9 -> 0.2-0.4 ms of CPU a sign-in; and the "
            "in-process worker takes runs into its queue, and new streams read their log, "
            "once no stream start is in flight (core/starts.py, at most 1 s each time). Five "
            "bursts of 200 each: first event p99 1.29-1.82 s before, 0.84-1.43 s with the "
            "sign-in alone, 0.69-1.01 s with both. Later that day, on a machine where a "
            "burst of 200 `GET /api/me` alone takes 0.9-1.2 s at p99: the INSERTs compiled "
            "once (core/writes.py) and Twisted's parsing of every POST's content type off "
            "(vizorch_site/web_process.py), six bursts each alternating with main: first event "
            "p99 1.07-1.17 s (median 1.12 s) against 1.12-1.80 s (median 1.33 s). The first "
            "events of a burst now come out as fast as a burst of the most trivial "
            "authenticated request: py-spy (`--gil`) on that `GET /api/me` burst puts 97 % "
            "of the interpreter lock on the event loop (Twisted reading and parsing the "
            "request, daphne's scope, Django's ASGI handler: the `request_started` signal's "
            "thread hop alone 13 %), so the floor is the web server's cost per request. "
            "On 4 December 2026 the two thread hops per request Django's ASGI handler made "
            "outside the one for the middleware and the view went into that one "
            "(vizorch_site/handler.py): a burst of 200 `GET /api/me` p99 median 575 -> 476 ms, "
            "first event p99 median 487 -> 468 ms (six bursts each, alternating, on a machine "
            "where both are about half the published ones). Next: (lead) an ASGI server with "
            "a cheaper HTTP parser, or more web processes, which need PostgreSQL + Redis (the "
            "in-memory channel layer is per process)."
        ),
    ),
    "concurrency_services": Analysis(
        cause=(
            "CPU of the web processes, not PostgreSQL (2026-12-02, this machine). Sampled "
            "during the burst, PostgreSQL's backends were idle or 'idle in transaction' "
            "(waiting for daphne) in 99 % of the looks, and the whole burst of first events "
            "used 1.5-2.1 s of daphne CPU (7.5-10 ms a stream: axes' lockout aggregate, the "
            "token, then BEGIN, three INSERTs and COMMIT, each through the ORM at ~0.5 ms of "
            "CPU a query, a raw `SELECT 1` 0.02 ms; Twisted, the ASGI handler and the SSE "
            "frames) against 0.4-0.5 s for PostgreSQL, so one daphne process at 100 % of one "
            "core set the p99 while the other core was half idle. With Redis `make run` can now "
            "start several daphne processes on SO_REUSEPORT sockets of one port "
            "(VIZORCH_WEB_PROCESSES, vizorch_site/serve.py): in alternating rounds at load 4-5, "
            "first event p99 "
            "1.34-2.30 s (median 1.54 s) with two processes against 1.60-2.21 s (median "
            "1.95 s) with one, and the `GET /api/me` baseline 0.73-1.03 s against 1.07-2.41 s. "
            "The two processes together spend more CPU on the same burst than one (1.7-2.5 s), "
            "and the client, PostgreSQL and the worker share the same two cores; in a bench "
            "run with two the p99 was 3.2 s, the process the warm-up had not reached paying "
            "its first requests (lazy imports, +74 MB) inside the burst, so the default stays "
            "one. Neither a "
            "smaller switch interval (0.5 ms), a larger pool (40) nor a bound on concurrent "
            "stream starts (4 or 10) helped. The roles are now read with the token (one query "
            "fewer per token request: 1.8-2.4 -> 1.7-2.1 ms of CPU for sign-in and roles). "
            "The conversation, run and first event are now one statement (data-modifying "
            "`WITH` queries, core/writes.py; 5 round trips -> 1): three bursts each on a "
            "machine about twice as slow as the figures above (2026-12-02, `GET /api/me` p99 "
            "2.2-2.9 s in the bursts), first event p99 3.08-3.16 s after against 3.35-3.81 s "
            "before. py-spy then: the request threads wait for the pool's connections behind "
            "axes' lockout aggregate, the largest part of a start left."
        ),
        next_step=(
            "(chat) Done on 3 December 2026 (a machine about 1.5x slower than the figures "
            "above, `GET /api/me` p99 0.7-0.9 s in its bursts): the sign-in is one statement "
            "for the token, its roles and the caller's failed attempts (core/tokens.py "
            "`check_token`), first event p99 0.85-1.26 s in three bursts. They still arrive "
            "together (the first of 200 after ~1 s): py-spy dumps during a burst showed the "
            "event loop inside `Thread.start`, each stream start beyond the 32 idle request "
            "threads starting one on the loop, which waits until the new thread runs behind "
            "every other thread that wants the GIL. Tried the same day, three bursts each: "
            "threads started off the loop (first frames from 0.3-0.6 s, p99 0.98-1.36 s) and "
            "a bound of 32 threads that requests wait for (an even spread, p99 1.36-1.48 s); "
            "neither lowers p99, which is CPU: ~7 ms of the web process a start on that "
            "machine (Twisted, the ASGI handler, the run's statement, the SSE frame). With "
            "the INSERTs compiled once (core/writes.py) and Twisted's POST parsing off "
            "(vizorch_site/web_process.py), six bursts each alternating with main on a machine "
            "where a burst of 200 `GET /api/me` takes 0.8-1.2 s at p99: first event p99 "
            "1.22-1.57 s (median 1.43 s) against 1.48-1.77 s (median 1.55 s). The first "
            "events still arrive together (p50 within 0.1 s of p99): each start has a "
            "request thread of its own and 200 threads share the interpreter lock in turn. "
            "Next: (chat) the two thread hops per request Django's ASGI handler makes outside "
            "the one for the middleware and the view; (lead) measure on a machine where the "
            "client and PostgreSQL do not share the server's two cores."
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
            "doubles or decimals is compressed at zstd level 5 (4 until 2026-12-02: 3.51 MB "
            "for `sales`, 3.45 MB at 5 in the same time): the numeric result went from 10.7 MB "
            "(3.4x) to 7.44 MB (4.9x). What is left: `sales` 3.45 MB and the DECIMAL "
            "`unit_price` 2.4 MB. Byte stream split writes `unit_price` (as INT64) in 2.0 MB, "
            "which would make 5.1x, but DuckDB 1.5.5 reads that encoding for FLOAT and DOUBLE "
            "only; no encoding it reads does better than 2.35 MB (delta, dictionary, plain at "
            "any zstd level), nor than 3.44 MB for `sales`. The data's own entropy (per "
            "column, each value coded alone; 2026-12-01) says how far any such encoding can "
            "go: `order_id` steps 0.12 MB, `product_id` 1.04 MB, `quantity` 0.32 MB, "
            "`unit_price` 1.82 MB and `sales` 2.13 MB, 5.43 MB in all before the 116k and 324k "
            "distinct decimals and doubles themselves (1.2 to 1.6 MB compressed in their "
            "dictionaries): about 7.0 MB, 5.2x, for a coder that reaches the entropy. Parquet's "
            "dictionary indices are bit-packed at a fixed width (17 and 19 bits here), which "
            "zstd cannot code below that width, so 7.44 MB is within 7% of that bound. A sorted "
            "dictionary, which every reader reads, would compress `sales`'s dictionary to 0.93 "
            "MB instead of 1.27 MB and `unit_price`'s to 0.12 MB instead of 0.33 MB (about 6.95 "
            "MB, 5.2x), but pyarrow 26 keeps an Arrow dictionary only for strings and hashes "
            "numbers again in order of appearance."
        ),
        next_step=(
            "(executors) allow byte stream split for decimals once the pinned DuckDB reads it "
            "(executors/tests/test_parquet_encodings.py checks every encoding in DuckDB); or "
            "(lead) set the numeric case's Parquet target to what DuckDB-readable encodings "
            "allow (about 4.9x); or (executors) write number dictionaries sorted, which needs a "
            "Parquet writer that keeps a numeric dictionary as given."
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
            "arriving uncompressed (1.1 MB), a fifth running them (React, Recharts, sucrase, "
            "SES, Zod, the Parquet reader in one entry), and a third compiling and the first "
            "render, with ~90 ms in the kit's `formatNumber` building an `Intl.NumberFormat` per "
            "label. Now the build is precompressed (.br/.gz, ~400 kB brotli for everything) and "
            "the gap between a cold frame and a primed one is not transfer (measured 1 December "
            "2026, docs/ROADMAP.md item 15): daphne spends 7 ms of CPU on all six of the frame's "
            "assets (240 kB brotli, immutable, requested together through modulepreload), and "
            "neither servestatic's ASGI app nor an in-memory responder on the event loop in "
            "front of Django moved DOMContentLoaded (20 alternating pairs); a fresh renderer "
            "with the HTTP cache primed is as slow as a cold one. The primed row is fast because "
            "its frame runs in the first one's renderer process and reuses V8's compiled code: "
            "the entry's evaluation (lockdown, React DOM) takes ~100 ms cold against ~25 ms "
            "there, and the streaming parse of ~1 MB of JavaScript (~170 ms on background "
            "threads) is done again in every fresh frame. The `to its last script received` row "
            "is the frame's main thread being busy: the runtime chunk reaches it right after the "
            "entry's evaluation ends. A Chromium trace of one cold frame (2 December 2026, load "
            "3 to 5, CPU profiler on, so ~1.5x slow): the frame has a renderer process of its "
            "own; its main thread is idle from the document (~115 ms) until its entry is parsed, "
            "while V8 parses the entry, React DOM and the runtime chunk at once on 2 cores (80, "
            "78 and 143 ms on background threads); the entry's evaluation is one 184 ms task "
            "(`lockdown()` 94 ms of it: SES's intrinsics checks ~50 ms, `harden` ~22 ms), the "
            "runtime chunk's top level 39 ms; the `render` message is then one task of 170 to "
            "210 ms in which every React pass of the chart flushes synchronously (their number "
            "costs CPU, not frames): V8 compiling 1,238 functions on first use 52 ms, Recharts' "
            "reselect selectors ~37 ms and store subscriptions ~22 ms, `measureTextWithDOM` 19 "
            "ms (38 forced layouts), GC 7 to 9 ms; painted follows `rendered` by ~5 ms."
        ),
        next_step=(
            "(frontend) The portal pays this once per page: it boots the frame with the page and "
            "reuses it (the second-artifact figure). What is left is CPU on 2 cores: V8's parse "
            "and first compile of ~1 MB of JavaScript, `lockdown()`, React DOM and Recharts' "
            "first chart. Tried on 2 December 2026 (builds alternating with main in one browser, "
            "fresh contexts; the shared machine at load 3 to 5, main's own p50 962 ms on this "
            "figure against the 454 ms published before): lockdown as a module script of its "
            "own ahead of the entry (it "
            "runs once its own parse ends, which shares the 2 cores with the rest) +10 ms paired "
            "median (12 pairs); SES's default `overrideTaming` (\"moderate\") with d3-color's "
            "and decimal.js's two `constructor` assignments written as `defineProperty` at build "
            "time (not merged; e2e 99 passed) -32, +29 and +21 ms in three "
            "sittings (16, 12, 12 pairs) and 934 against 962 ms on this figure: not shown to "
            "help; the runtime chunk cut to the 17 Recharts exports the analyst's components "
            "import (735 to 570 kB raw; an experiment only, a model's component may import any "
            "of them) -26 ms against main (8 of 12 pairs) and -21 ms against the moderate build "
            "(10 of 12). Next: that cut kept within the contract (Rolldown puts every module of "
            'the barrel in the runtime chunk when `import("recharts")` loads the rest, so it '
            "needs the analyst's names taken from recharts' own modules, the full namespace "
            "loaded before a component that is not precompiled, as the TSX transform is), "
            "measured on a quiet machine. Serving /static/ another way does not help, and V8's "
            "explicit compile hints on the entry chunks made it ~40 ms slower."
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
