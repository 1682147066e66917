"""The evaluation datasets: a question file and the DuckDB file it is scored on, built on demand
under var/ (DuckDB files are never committed). `demo` is the product's own demo data; `tpch` and
`vega` are public data the analyst was not written for."""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb

EVALS_DIR = Path(__file__).resolve().parent

# The public tables of vega_datasets that ship inside the package (no download).
VEGA_TABLES = (
    "airports",
    "cars",
    "seattle-weather",
    "stocks",
    "barley",
    "iowa-electricity",
    "la-riots",
    "iris",
)


@dataclass(frozen=True)
class Dataset:
    name: str
    questions: Path
    build: Callable[[Path, float], None]
    default_scale: float
    # Whether the product's curated catalog applies (only the demo has one); the others are
    # answered from the profiled catalog alone, as a new user's data would be.
    curated: bool = False


def build_demo(path: Path, scale: float) -> None:
    from executors.demo_data import ensure_demo_database

    ensure_demo_database(path, scale)


def tpch_extension() -> Path:
    """The TPC-H extension shipped by the duckdb-extension-tpch package."""
    spec = importlib.util.find_spec("duckdb_extension_tpch")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the duckdb-extension-tpch package is not installed")
    package_dir = Path(next(iter(spec.submodule_search_locations)))
    return package_dir / "extensions" / f"v{duckdb.__version__}" / "tpch.duckdb_extension"


def build_tpch(path: Path, scale: float) -> None:
    """TPC-H at scale factor `scale` in the main schema: prefixed, abbreviated column names and
    no declared keys."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(path)) as con:
        con.execute(f"LOAD '{tpch_extension()}'")
        con.execute("CALL dbgen(sf = ?)", [scale])
        con.execute("CHECKPOINT")


def build_vega(path: Path, scale: float) -> None:
    """Several tables of vega_datasets' bundled data, under their own column names."""
    from vega_datasets import local_data

    path.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(path)) as con:
        for name in VEGA_TABLES:
            frame = getattr(local_data, name.replace("-", "_"))()
            con.register("frame", frame)
            con.execute(f'CREATE OR REPLACE TABLE "{name.replace("-", "_")}" AS FROM frame')
            con.unregister("frame")
        con.execute("CHECKPOINT")


DATASETS: dict[str, Dataset] = {
    "demo": Dataset("demo", EVALS_DIR / "questions.jsonl", build_demo, 1.0, curated=True),
    "tpch": Dataset("tpch", EVALS_DIR / "tpch" / "questions.jsonl", build_tpch, 0.1),
    "vega": Dataset("vega", EVALS_DIR / "vega" / "questions.jsonl", build_vega, 1.0),
}


def ensure_dataset(name: str, path: Path, scale: float | None = None) -> Path:
    """The dataset's DuckDB file at `path`, built first when it does not exist."""
    dataset = DATASETS[name]
    if not path.exists():
        tmp = path.with_suffix(".building")
        tmp.unlink(missing_ok=True)
        dataset.build(tmp, dataset.default_scale if scale is None else scale)
        tmp.rename(path)
    return path
