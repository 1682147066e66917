"""HTTP endpoints of the executors app, mounted under /api/ by vizorch_site.api: stored results in
three formats, the data catalog, and ad-hoc guarded queries."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

from asgiref.sync import sync_to_async
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.utils import timezone
from ninja import Router

from core.errors import Refused
from core.schemas import ErrorOut
from executors import access, columns, results, services
from executors.access import readable_result
from executors.catalog import selectors as catalog_selectors
from executors.errors import ResultTooLarge
from executors.models import QueryResult
from executors.schemas import CatalogOut, EnginesOut, QueryIn, QueryOut, ResultColumnsOut
from executors.services import StoredResult

router = Router(tags=["executors"])

MEDIA_TYPES = {
    "json": "application/json",
    "parquet": "application/vnd.apache.parquet",
    "arrow": "application/vnd.apache.arrow.stream",
    "csv": "text/csv; charset=utf-8",
}
FILE_CHUNK = 256 * 1024


@router.get(
    "/data/{result_id}",
    response={200: Any, 304: None, 400: ErrorOut, 404: ErrorOut, 413: ErrorOut},
    summary="Fetch a stored result",
)
async def get_data(
    request: HttpRequest,
    result_id: uuid.UUID,
    format: str | None = None,
    codec: str | None = None,
    download: str | None = None,
) -> Any:
    """A stored query result as JSON (`QueryResult`), Parquet, an Arrow IPC stream or CSV, chosen
    by `format=` or the Accept header (`codec=zstd`: Arrow with dictionary-encoded strings and zstd
    buffers; `download=<name>` saves it as a file of that name); large results, and JSON beyond
    VIZORCH_MAX_JSON_BYTES, refuse JSON with a 413 that points to the Parquet form."""
    user = request.user
    record = await sync_to_async(readable_result)(user, result_id)
    chosen = negotiate(format, request.headers.get("Accept", ""), record)
    compact = chosen == "arrow" and _compact_arrow(codec)
    etag = f'"{record.id}.{chosen}{".zstd" if compact else ""}"'
    headers = _cache_headers(record, etag)
    if _matches(request.headers.get("If-None-Match", ""), etag):
        return _with_headers(HttpResponse(status=304), headers)
    if chosen == "json":
        body = await sync_to_async(results.json_body, thread_sensitive=False)(record)
        response: HttpResponse | StreamingHttpResponse = HttpResponse(
            body, content_type=MEDIA_TYPES["json"]
        )
    elif chosen == "parquet":
        response = StreamingHttpResponse(
            _in_worker(_file_chunks(record)), content_type=MEDIA_TYPES["parquet"]
        )
        response["Content-Length"] = str(record.byte_size)
        response["Content-Disposition"] = f'inline; filename="{record.id}.parquet"'
    elif chosen == "csv":
        response = StreamingHttpResponse(
            _in_worker(results.csv_chunks(record)), content_type=MEDIA_TYPES["csv"]
        )
    else:
        response = StreamingHttpResponse(
            _in_worker(results.arrow_stream_chunks(record, compact=compact)),
            content_type=MEDIA_TYPES["arrow"],
        )
    if download is not None:
        response["Content-Disposition"] = f'attachment; filename="{_file_name(download)}.{chosen}"'
    return _with_headers(response, headers)


@router.get(
    "/data/{result_id}/columns",
    response={200: ResultColumnsOut, 304: None, 404: ErrorOut},
    summary="Describe a stored result's columns",
)
async def get_columns(request: HttpRequest, result_id: uuid.UUID) -> Any:
    """The columns of a stored result: each one's type, and the format and date grain its values
    read in (from the semantic catalog, else from the type)."""
    record = await sync_to_async(readable_result)(request.user, result_id)
    etag = f'"{record.id}.columns"'
    headers = _cache_headers(record, etag)
    if _matches(request.headers.get("If-None-Match", ""), etag):
        return _with_headers(HttpResponse(status=304), headers)
    body = ResultColumnsOut.model_validate({"columns": columns.result_columns(record.schema)})
    response = HttpResponse(
        body.model_dump_json(exclude_none=True), content_type=MEDIA_TYPES["json"]
    )
    return _with_headers(response, headers)


def _file_name(name: str) -> str:
    """A download's name without what would break the header or a file system."""
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-.")[:80]
    return cleaned or "result"


def negotiate(format_param: str | None, accept: str, record: QueryResult) -> str:
    """`format=` wins, then the first Accept type we serve (by q), else JSON for small results and
    Parquet for large ones. JSON for a large result is a typed 413 naming the Parquet URL."""
    if format_param:
        chosen = format_param.lower()
        if chosen not in MEDIA_TYPES:
            raise Refused(
                f"Unknown format {format_param!r}: use json, parquet, arrow or csv.",
                code="unknown_format",
            )
    else:
        chosen = _from_accept(accept) or ("json" if record.size == QueryResult.SMALL else "parquet")
    if chosen == "json" and record.size != QueryResult.SMALL:
        raise ResultTooLarge(
            f"This result ({record.row_count} rows) is too large for JSON: fetch it as Parquet "
            f"from {record.url}?format=parquet (or as Arrow with ?format=arrow)."
        )
    return chosen


def _compact_arrow(codec: str | None) -> bool:
    if codec is None or codec.lower() in {"", "none"}:
        return False
    if codec.lower() != "zstd":
        raise Refused(f"Unknown codec {codec!r}: use zstd or none.", code="unknown_codec")
    return True


def _from_accept(accept: str) -> str | None:
    by_type = {media.split(";")[0]: name for name, media in MEDIA_TYPES.items()}
    offers: list[tuple[float, int, str]] = []
    for index, part in enumerate(accept.split(",")):
        media, *params = (piece.strip() for piece in part.split(";"))
        quality = 1.0
        for param in params:
            if param.startswith("q="):
                try:
                    quality = float(param[2:])
                except ValueError:
                    quality = 0.0
        if media.lower() in by_type and quality > 0:
            offers.append((-quality, index, by_type[media.lower()]))
    return min(offers)[2] if offers else None


def _cache_headers(record: QueryResult, etag: str) -> dict[str, str]:
    max_age = max(0, int((record.expires - timezone.now()).total_seconds()))
    return {
        "ETag": etag,
        "Cache-Control": f"private, max-age={max_age}, immutable",
        "Vary": "Accept, Cookie, Authorization",
        "X-Row-Count": str(record.row_count),
        "X-Truncated": "true" if record.truncated else "false",
        "X-Result-Size": record.size,
    }


def _matches(if_none_match: str, etag: str) -> bool:
    tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",") if tag.strip()}
    return "*" in tags or etag in tags


def _with_headers(response: Any, headers: dict[str, str]) -> Any:
    for name, value in headers.items():
        response[name] = value
    return response


def _file_chunks(record: QueryResult) -> Iterator[bytes]:
    with open(record.path, "rb") as handle:
        while chunk := handle.read(FILE_CHUNK):
            yield chunk


async def _in_worker(chunks: Iterator[bytes]) -> AsyncIterator[bytes]:
    """Serve a blocking iterator from a worker thread, one chunk at a time."""

    def step() -> bytes | None:
        return next(chunks, None)

    while (chunk := await sync_to_async(step, thread_sensitive=False)()) is not None:
        yield chunk


@router.get("/catalog", response={200: CatalogOut, 403: ErrorOut, 404: ErrorOut})
async def get_catalog(
    request: HttpRequest, refresh: bool = False, engine: str | None = None
) -> CatalogOut:
    """The semantic catalog of each data engine: tables, columns with labels, roles and
    descriptions, relationships and metrics (`refresh=1` profiles the data again)."""
    if refresh:
        await sync_to_async(access.check_can_profile)(request.user)
    return await sync_to_async(catalog_selectors.catalog_out)(
        request.user, engine=engine, refresh=refresh
    )


@router.get("/engines", response={200: EnginesOut})
async def list_engines(request: HttpRequest) -> EnginesOut:
    """The data engines you may ask questions on, and the one used when a question names none."""
    return await sync_to_async(catalog_selectors.engines_out)(request.user)


@router.post(
    "/query",
    response={
        200: QueryOut,
        400: ErrorOut,
        403: ErrorOut,
        404: ErrorOut,
        429: ErrorOut,
        503: ErrorOut,
        504: ErrorOut,
    },
)
async def run_query(request: HttpRequest, payload: QueryIn) -> StoredResult:
    """Run one read-only SQL statement on a data engine and store its result for /api/data/{id};
    busy answers 429 (your own queries) or 503 (the engine's) with Retry-After."""
    return await services.arun_adhoc_query(request.user, payload.sql, engine_name=payload.engine)
