"""The TSX the offline model writes compiles: its components are analyst/charts/*.tsx (which the
front end's tsc and Biome check as they are); every chart it writes from them, with the query's
SPEC filled in (bar, line, area, pie, scatter, table, KPI, small multiples, with and without
series), goes through esbuild, and through `tsc --strict` against the portal's real Recharts and
@vizorch/kit types; and the sandbox has every one precompiled, exactly as its own TSX transform
compiles it."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

from analyst.charts import render_component
from analyst.core import Analyst, Answer
from executors.catalog.model import SemanticCatalog

FRONTEND = Path(settings.BASE_DIR) / "frontend"

# One question per template and chart type the model can produce.
QUESTIONS = {
    "bar": "Show total sales by region",
    "bar_series": "profit by segment and channel",
    "bar_two_measures": "total sales and profit by region",
    "bar_years": "sales by region 2022 vs 2023",
    "line": "Monthly sales in 2023",
    "line_series": "compare online vs in-store sales by month",
    "line_growth": "yoy sales growth",
    "area": "monthly revenue as an area chart",
    "pie": "Share of sales by channel",
    "scatter": "Sales vs profit by product",
    "table_category": "sales by region as a table",
    "table_plain": "total sales and profit",
    "kpi": "Total profit",
    "kpi_percent": "profit margin in Europe",
    "multiples": "monthly sales by country",
    "multiples_bars": "sales by region and brand",
}

# The demo database and catalog fixtures.
pytest_plugins = ("chat.tests.offline_demo",)


def component(question: str, analyst: Analyst) -> tuple[str, str]:
    answer = analyst.plan(question)
    assert isinstance(answer, Answer), answer
    return answer.chart, render_component(answer.spec())


@pytest.fixture(scope="module")
def sources(
    demo_catalog: SemanticCatalog, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Path]:
    analyst = Analyst(demo_catalog)
    out = tmp_path_factory.mktemp("tsx")
    files = {}
    for name, question in QUESTIONS.items():
        chart, code = component(question, analyst)
        assert name.split("_")[0] == chart, (question, chart)
        if chart != "table" or name == "table_category":
            # The SPEC of the source file was replaced by the query's column roles.
            assert "// analyst:spec" not in code and "\nconst SPEC: " in code
        path = out / f"{name}.tsx"
        path.write_text(code, encoding="utf-8")
        files[name] = path
    return files


def esbuild_command(workdir: Path) -> list[str]:
    # esbuild is a dev dependency of the front end, so `make test` always has it.
    local = FRONTEND / "node_modules" / ".bin" / "esbuild"
    if not local.exists():
        pytest.fail("frontend/node_modules/.bin/esbuild is missing: run npm ci in frontend/")
    return [str(local)]


def test_every_template_compiles_with_esbuild(sources: dict[str, Path], tmp_path: Path) -> None:
    cmd = [
        *esbuild_command(tmp_path),
        *map(str, sources.values()),
        "--bundle",
        "--format=esm",
        "--jsx=automatic",
        "--external:react",
        "--external:react/jsx-runtime",
        "--external:recharts",
        "--external:@vizorch/kit",
        f"--outdir={tmp_path / 'out'}",
        "--log-level=warning",
    ]
    done = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr
    for name in sources:
        js = (tmp_path / "out" / f"{name}.js").read_text(encoding="utf-8")
        assert "export {" in js and "as default" in js
        imported = set(re.findall(r'^import[^;]*?from "([^"]+)"', js, re.M | re.S))
        assert "@vizorch/kit" in imported
        assert imported <= {"react", "react/jsx-runtime", "recharts", "@vizorch/kit"}, imported


def test_every_template_type_checks_against_the_portal_kit(
    sources: dict[str, Path], tmp_path: Path
) -> None:
    tsc = FRONTEND / "node_modules" / ".bin" / "tsc"
    kit = FRONTEND / "src" / "sandbox" / "kit.tsx"
    if not (
        tsc.exists() and kit.exists() and (FRONTEND / "node_modules" / "@types" / "react").exists()
    ):
        pytest.fail("the front end's dependencies are not installed: run npm ci in frontend/")
    config: dict[str, Any] = {
        "compilerOptions": {
            "target": "ES2022",
            "lib": ["ES2023", "DOM", "DOM.Iterable"],
            "module": "ESNext",
            "moduleResolution": "Bundler",
            "jsx": "react-jsx",
            "strict": True,
            "noUncheckedIndexedAccess": True,
            "isolatedModules": True,
            "skipLibCheck": True,
            "noEmit": True,
            "types": [],
            "baseUrl": str(FRONTEND),
            "paths": {
                "@/*": ["src/*"],
                "@vizorch/kit": ["src/sandbox/kit.tsx"],
                "react": ["node_modules/@types/react"],
                "react/jsx-runtime": ["node_modules/@types/react/jsx-runtime"],
                "*": ["node_modules/@types/*", "node_modules/*"],
            },
        },
        "files": [str(p) for p in sources.values()],
    }
    (tmp_path / "tsconfig.json").write_text(json.dumps(config), encoding="utf-8")
    done = subprocess.run(
        [str(tsc), "-p", str(tmp_path / "tsconfig.json")],
        capture_output=True,
        text=True,
        timeout=280,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_sandbox_has_every_chart_precompiled_as_its_transform_compiles_it(
    sources: dict[str, Path], tmp_path: Path
) -> None:
    """The sandbox skips the TSX transform for the offline analyst's components (their
    JavaScript ships with it, frontend/src/sandbox/precompiled/): every chart the analyst writes
    is recognised, and its precompiled JavaScript is byte for byte the transform's own output."""
    check = tmp_path / "check.cjs"
    bundled = subprocess.run(
        [
            *esbuild_command(tmp_path),
            str(FRONTEND / "src" / "sandbox" / "precompiled" / "check.ts"),
            "--bundle",
            "--platform=node",
            f"--outfile={check}",
            "--log-level=warning",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert bundled.returncode == 0, bundled.stderr
    charts = Path(settings.BASE_DIR) / "analyst" / "charts"
    done = subprocess.run(
        ["node", str(check), str(charts), *map(str, sources.values())],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report == {str(p): {"precompiled": True, "same": True} for p in sources.values()}
