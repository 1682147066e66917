"""Which chat model answers: `VIZORCH_LLM` = offline | openai:<model> | anthropic:<model> |
ollama:<model> | openai-compatible:<model> (with VIZORCH_LLM_BASE_URL / VIZORCH_LLM_API_KEY).
Hosted models come from LangChain's `init_chat_model`; a missing key fails at start-up, naming the
variable to set."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from langchain_core.language_models import BaseChatModel

from executors.catalog.model import SemanticCatalog

PROVIDERS = ("offline", "openai", "anthropic", "ollama", "openai-compatible")


@dataclass(frozen=True)
class ProviderSpec:
    provider: str
    model: str
    base_url: str | None = None
    api_key: str | None = None

    @property
    def label(self) -> str:
        return self.provider if self.provider == "offline" else f"{self.provider}:{self.model}"


def _setting(name: str) -> str | None:
    value = getattr(settings, name, None) or os.environ.get(name)
    return str(value) if value else None


def parse_spec(value: str | None = None) -> ProviderSpec:
    """Validate the configured provider; raises ImproperlyConfigured with the variable to fix."""
    spec = (value if value is not None else _setting("VIZORCH_LLM") or "offline").strip()
    if spec == "offline":
        return ProviderSpec("offline", "offline")
    provider, sep, model = spec.partition(":")
    if not sep or not model or provider not in PROVIDERS:
        raise ImproperlyConfigured(
            f"VIZORCH_LLM={spec!r} is not valid: use offline, openai:<model>, anthropic:<model>, "
            "ollama:<model> or openai-compatible:<model>."
        )
    base_url = _setting("VIZORCH_LLM_BASE_URL")
    key = _setting("VIZORCH_LLM_API_KEY")
    if provider == "openai":
        key = key or os.environ.get("OPENAI_API_KEY")
        if not key:
            raise ImproperlyConfigured(
                f"VIZORCH_LLM={spec} needs an API key: set OPENAI_API_KEY (or VIZORCH_LLM_API_KEY)."
            )
    elif provider == "anthropic":
        key = key or os.environ.get("ANTHROPIC_API_KEY")
        if not key:
            raise ImproperlyConfigured(
                f"VIZORCH_LLM={spec} needs an API key: set ANTHROPIC_API_KEY "
                "(or VIZORCH_LLM_API_KEY)."
            )
    elif provider == "openai-compatible":
        if not base_url:
            raise ImproperlyConfigured(
                f"VIZORCH_LLM={spec} needs the server's URL: set VIZORCH_LLM_BASE_URL "
                "(e.g. http://127.0.0.1:8080/v1)."
            )
    elif provider == "ollama":
        base_url = base_url or os.environ.get("OLLAMA_HOST")
    return ProviderSpec(provider, model, base_url, key)


# Local servers (llama.cpp, vLLM, LM Studio) usually accept any key; the OpenAI client needs one.
_NO_KEY = "not-needed"


def build_chat_model(
    spec: ProviderSpec | None = None,
    *,
    catalog: SemanticCatalog | None = None,
    engine: str | None = None,
    purpose: str = "analyst",
) -> BaseChatModel:
    """A fresh chat model for one run. Offline, the built-in analyst answers over the run's
    `catalog`, looking values up on `engine`; `purpose` "ui" is a component for existing data
    (generate-ui, repair), which the same analyst writes without a query."""
    spec = spec or parse_spec()
    if spec.provider == "offline":
        from chat.agent.offline_model import OfflineAnalystModel, engine_lookup

        if purpose == "ui":
            return OfflineAnalystModel(mode="ui")
        return OfflineAnalystModel(catalog=catalog, lookup=engine_lookup(engine))
    from langchain.chat_models import init_chat_model

    kwargs: dict[str, Any] = {"temperature": 0}
    if spec.provider in ("openai", "openai-compatible"):
        kwargs.update(streaming=True, max_retries=1, timeout=120)
        if spec.provider == "openai-compatible":
            kwargs.update(base_url=spec.base_url, api_key=spec.api_key or _NO_KEY)
            kwargs["use_responses_api"] = False
        else:
            kwargs.update(api_key=spec.api_key)
            if spec.base_url:
                kwargs["base_url"] = spec.base_url
        provider = "openai"
    elif spec.provider == "anthropic":
        kwargs.update(api_key=spec.api_key, max_retries=1, timeout=120, max_tokens=8192)
        provider = "anthropic"
    else:
        if spec.base_url:
            kwargs["base_url"] = spec.base_url
        provider = "ollama"
    model: BaseChatModel = init_chat_model(spec.model, model_provider=provider, **kwargs)
    return model
