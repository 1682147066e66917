"""The LLM agent is grounded in the semantic catalog: through the real provider client against
the scripted model, the system prompt and the catalog tools carry descriptions, join conditions,
metrics, synonyms and sample values; an answer built on a relationship and a metric runs end to
end; hidden columns never reach the model, and VIZORCH_LLM_SEND_SAMPLES=0 keeps data values out."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from chat.tests.contract import assert_contract
from chat.tests.scripted_llm import RETURN_RATE_SQL, ScriptedLLM
from chat.tests.sse import ask, client_for
from executors import demo_data
from vizorch_site.testing import LiveServer

HIDE_CUSTOMER_NAMES = """
format: vizorch-catalog/1
tables:
  customers:
    columns:
      customer_name: {hidden: true}
"""


@pytest.fixture(scope="module")
def analyst(scripted_server: LiveServer) -> Iterator[httpx.Client]:
    with client_for(scripted_server, "analyst") as client:
        yield client


def _sent(request: dict) -> str:
    """Everything a request put in front of the model: messages and tool results."""
    return "\n".join(str(m.get("content") or "") for m in request["messages"])


def test_the_prompt_and_tools_carry_the_catalog_and_a_metric_answer_runs_end_to_end(
    analyst: httpx.Client, scripted_llm: ScriptedLLM
) -> None:
    events = ask(analyst, "[grounded] What share of orders were returned per region?")
    assert_contract(events)
    assert [e.data["sql"] for e in events if e.event == "sql"] == [RETURN_RATE_SQL]
    assert events[-1].data == {"type": "complete", "code_complete": True, "data_ready": True}
    url = next(e.data["url"] for e in events if e.event == "data")
    result = analyst.get(url, params={"format": "json"}).json()
    assert result["columns"] == ["region", "return_rate"]
    assert len(result["rows"]) == 5 and all(0 < row[1] < 1 for row in result["rows"])

    first, second, _final = scripted_llm.requests_with("[grounded]")
    system = first["messages"][0]["content"]
    assert first["messages"][0]["role"] == "system"
    # Descriptions, synonyms, sample values, joins and metrics from the demo's curated catalog.
    assert "Physical and online stores" in system
    assert "also called revenue, turnover, sales amount" in system
    assert "values: Completed, Returned, Cancelled" in system or "Returned" in system
    assert "North America" in system
    assert "- orders.store_id = stores.store_id (many to one)" in system
    assert "- order_items.order_id = orders.order_id (many to one)" in system
    assert (
        "- return rate (also: share of orders returned, returns rate, percentage of orders "
        "returned) = COUNT(DISTINCT orders.order_id) FILTER (WHERE orders.status = 'Returned') "
        "/ COUNT(DISTINCT orders.order_id)"
    ) in system
    assert "- margin (also: profit margin, gross margin) = SUM(order_items.profit)" in system
    # describe_table answered with the table's columns, joins and metrics.
    (described,) = [m["content"] for m in second["messages"] if m["role"] == "tool"]
    assert "status VARCHAR -- dimension" in described
    assert "orders.customer_id = customers.customer_id" in described
    assert "cancellation rate" in described


@pytest.fixture
def hidden_names(scripted_server: LiveServer, tmp_path: Path) -> Iterator[None]:
    """Curators hide customer names; the command runs in its own process, and the running
    server notices at its next read. The demo's catalog is put back afterwards."""
    notes = tmp_path / "hide.yaml"
    demo = demo_data.CATALOG_PATH.read_text(encoding="utf-8")
    notes.write_text(
        demo.replace(
            "customer_name: {synonyms: [customer, client]}",
            "customer_name: {synonyms: [customer, client], hidden: true}",
        )
    )
    assert "hidden: true" in notes.read_text()
    scripted_server.manage("import_catalog", str(notes), "--engine", "local")
    try:
        yield
    finally:
        scripted_server.manage("import_catalog", str(demo_data.CATALOG_PATH), "--engine", "local")


def test_hidden_columns_never_reach_the_model(
    analyst: httpx.Client, scripted_llm: ScriptedLLM, hidden_names: None
) -> None:
    events = ask(analyst, "[listing] Show total sales by region")
    assert events[-1].data["data_ready"] is True
    requests = scripted_llm.requests_with("[listing]")
    listing = next(m["content"] for m in requests[1]["messages"] if m["role"] == "tool")
    assert "customers(customer_id INTEGER, segment VARCHAR, signup_date DATE)" in listing
    for request in requests:
        assert "customer_name" not in _sent(request)
        assert "customer_name" not in json.dumps(request.get("tools", []))
    catalog = analyst.get("/api/catalog").json()
    local = next(e for e in catalog["engines"] if e["name"] == "local")
    customers = next(t for t in local["tables"] if t["name"] == "customers")
    assert "customer_name" not in {c["name"] for c in customers["columns"]}


@pytest.fixture(scope="module")
def no_samples_server(
    tmp_path_factory: pytest.TempPathFactory, scripted_llm: ScriptedLLM
) -> Iterator[LiveServer]:
    from chat.tests.conftest import _scripted_env

    env = {**_scripted_env(scripted_llm), "REDIS_URL": "", "VIZORCH_LLM_SEND_SAMPLES": "0"}
    server = LiveServer(var_dir=tmp_path_factory.mktemp("no-samples"), extra_env=env)
    try:
        yield server.start()
    finally:
        server.stop()


def test_sample_values_stay_away_from_the_model_when_turned_off(
    no_samples_server: LiveServer, scripted_llm: ScriptedLLM
) -> None:
    with client_for(no_samples_server, "analyst") as client:
        events = ask(client, "[grounded] [no-samples] Return rate per region")
    assert events[-1].data["data_ready"] is True
    first, second, final = scripted_llm.requests_with("[no-samples]")
    system = first["messages"][0]["content"]
    assert "orders.store_id = stores.store_id" in system  # still grounded
    assert "return rate" in system
    for request in (first, second, final):
        sent = _sent(request)
        # Descriptions stay (people wrote them); values read from the data do not.
        assert "values:" not in sent and "; from 2021" not in sent
        assert "Scriptor" not in sent and "New York Central" not in sent
    (result,) = [m["content"] for m in final["messages"] if m["role"] == "tool"][-1:]
    assert json.loads(result)["preview"] == []
