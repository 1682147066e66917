"""The chart components are the .tsx files beside the analyst; a written component is that file
with its SPEC filled in from the query's column roles. In UI-only mode (generate-ui, repair) the
analyst writes a component for existing data from its columns and the request's chart words, and
keeps the column roles of the component it revises."""

from __future__ import annotations

import json
import re

from analyst.charts import CHARTS_DIR, component_source, spec_of
from analyst.core import Analyst, Answer, revise_component


def test_a_written_component_is_its_source_file_with_the_spec_filled_in(analyst: Analyst) -> None:
    plan = analyst.plan("total fee by genre")
    assert isinstance(plan, Answer)
    component = analyst.component(plan, row_count=3)
    source = component_source("cartesian")
    head, _, _ = source.partition("// analyst:spec")
    assert component.code.startswith(head)
    assert "export default function Viz({ data, params }" in component.code
    spec = spec_of(component.code)
    assert spec is not None and spec["x"] == "genre" and spec["values"] == ["fee"]
    assert component.params["values"]["chart_type"] == "bar"


def test_every_component_file_imports_only_the_sandbox_scope() -> None:
    for path in CHARTS_DIR.glob("*.tsx"):
        imports = set(re.findall(r'from "([^"]+)"', path.read_text(encoding="utf-8")))
        assert imports <= {"react", "recharts", "@vizorch/kit"}, path


def test_ui_only_mode_writes_a_chart_for_existing_columns() -> None:
    columns = [("month", "DATE"), ("visitors", "BIGINT")]
    written = revise_component("show it as an area chart in green", columns, row_count=12)
    assert written.params["values"]["chart_type"] == "area"
    assert written.params["values"]["color_scheme"] == "greens"
    spec = spec_of(written.code)
    assert spec is not None and spec["x"] == "month" and spec["xIsTime"] is True


def test_ui_only_mode_keeps_the_roles_of_the_component_it_revises(analyst: Analyst) -> None:
    plan = analyst.plan("total fee by genre")
    assert isinstance(plan, Answer)
    first = analyst.component(plan, row_count=3)
    revised = revise_component(
        "make it a pie chart",
        [("genre", "VARCHAR"), ("fee", "DECIMAL(18,2)")],
        3,
        first.code,
        first.params,
    )
    assert revised.params["values"]["chart_type"] == "pie"
    assert revised.params["values"]["title"] == first.params["values"]["title"]
    assert spec_of(revised.code) == {
        **json.loads(json.dumps(spec_of(first.code))),
        "chartType": "pie",
    }
