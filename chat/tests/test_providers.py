"""Provider selection: a misconfigured VIZORCH_LLM stops start-up and names the variable."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured

from chat.agent.providers import build_chat_model, parse_spec
from vizorch_site.testing import BASE_DIR

KEYS = ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "VIZORCH_LLM_API_KEY", "VIZORCH_LLM_BASE_URL")


@pytest.fixture
def no_keys(monkeypatch: pytest.MonkeyPatch, settings: Any) -> None:
    for name in KEYS:
        monkeypatch.delenv(name, raising=False)
    settings.VIZORCH_LLM_API_KEY = None
    settings.VIZORCH_LLM_BASE_URL = None


@pytest.mark.parametrize(
    ("spec", "variable"),
    [
        ("openai:gpt-4o-mini", "OPENAI_API_KEY"),
        ("anthropic:claude-sonnet-4-5", "ANTHROPIC_API_KEY"),
        ("openai-compatible:qwen", "VIZORCH_LLM_BASE_URL"),
    ],
)
def test_missing_key_names_the_variable(no_keys: None, spec: str, variable: str) -> None:
    with pytest.raises(ImproperlyConfigured, match=variable):
        parse_spec(spec)


@pytest.mark.parametrize("spec", ["gpt-4o", "openai:", "mystery:model"])
def test_unknown_provider_lists_the_valid_ones(spec: str) -> None:
    with pytest.raises(ImproperlyConfigured, match="openai-compatible:<model>"):
        parse_spec(spec)


def test_configured_providers_build_real_langchain_models(
    no_keys: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test")
    monkeypatch.setenv("VIZORCH_LLM_BASE_URL", "http://127.0.0.1:9/v1")
    assert type(build_chat_model(parse_spec("openai:gpt-4o-mini"))).__name__ == "ChatOpenAI"
    assert type(build_chat_model(parse_spec("anthropic:claude-x"))).__name__ == "ChatAnthropic"
    assert type(build_chat_model(parse_spec("ollama:llama3.2"))).__name__ == "ChatOllama"
    compatible = build_chat_model(parse_spec("openai-compatible:qwen"))
    assert type(compatible).__name__ == "ChatOpenAI"
    assert str(compatible.openai_api_base) == "http://127.0.0.1:9/v1"  # type: ignore[attr-defined]


def test_offline_is_the_default(settings: Any) -> None:
    settings.VIZORCH_LLM = "offline"
    assert parse_spec().provider == "offline"


def test_start_up_fails_with_the_variable_to_set(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in KEYS}
    env.update(VIZORCH_LLM="anthropic:claude-sonnet-4-5", VIZORCH_VAR_DIR=str(tmp_path))
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode != 0
    assert "ANTHROPIC_API_KEY" in result.stderr
