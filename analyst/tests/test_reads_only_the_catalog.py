"""The analyst's code knows no dataset: no table or column name of the demo appears in it, and it
imports nothing of Django, LangChain or the apps (only the catalog's models)."""

from __future__ import annotations

import ast
from pathlib import Path

import yaml

ANALYST = Path(__file__).resolve().parents[1]
DEMO_CATALOG = ANALYST.parent / "executors" / "demo_catalog.yaml"


def sources() -> list[Path]:
    return [p for p in ANALYST.rglob("*") if p.suffix in (".py", ".tsx") and "tests" not in p.parts]


def test_no_name_of_the_demo_dataset_is_in_the_code() -> None:
    demo = yaml.safe_load(DEMO_CATALOG.read_text(encoding="utf-8"))
    names = set(demo["tables"])
    for table in demo["tables"].values():
        names |= set((table or {}).get("columns") or {})
    names |= {m["name"] for m in demo.get("metrics") or [] if " " in m["name"]}
    for path in sources():
        # Recharts' own axis kind is the chart library's word, not the demo's.
        text = path.read_text(encoding="utf-8").lower().replace('type="category"', "")
        found = [n for n in names if len(n) > 5 and n.lower() in text]
        assert not found, (path.name, found)


def test_it_imports_only_the_catalog_models_of_the_project() -> None:
    for path in ANALYST.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module:
                top = node.module.split(".")[0]
                assert top not in {"django", "langchain_core", "chat", "templates_app"}, path
                if top == "executors":
                    assert node.module == "executors.catalog.model", (path, node.module)
