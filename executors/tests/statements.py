"""An engine statement run in a thread of its own, for tests that stop it from outside."""

from __future__ import annotations

import threading
from typing import Any

from executors.engines.base import Engine


class StatementThread(threading.Thread):
    """`engine.run(sql, **run)` in a thread; `raised` holds what it raised once it has ended."""

    def __init__(self, engine: Engine, sql: str, **run: Any) -> None:
        super().__init__(daemon=True)
        self.engine = engine
        self.sql = sql
        self.run_kwargs = run
        self.raised: list[BaseException] = []

    def run(self) -> None:
        try:
            self.engine.run(self.sql, **self.run_kwargs)
        except BaseException as exc:
            self.raised.append(exc)

    def cancel_once_known(self, tag: str, *, poll_s: float) -> bool:
        """Cancel `tag` as soon as the engine knows it, looking every `poll_s`; False when the
        statement ended before that."""
        while self.is_alive():
            if self.engine.cancel(tag):
                return True
            self.join(timeout=poll_s)
        return False
