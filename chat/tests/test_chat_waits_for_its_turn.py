"""A user's statement limit holds across processes (Redis), and a chat run's statement waits for
its turn instead of being refused: while another process holds both of the analyst's query slots,
a direct query is refused with 429 after its wait, and a chat run waits longer than that and
then answers. The slots are held here the way another Vizorch process holds them."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from chat.tests.contract import ANSWER_SEQUENCE, assert_contract, sequence_text
from chat.tests.sse import Event, client_for, iter_events, open_stream
from executors.scheduling import DEFAULT_MAX_WAIT_S
from executors.user_slots import RedisUserSlots
from vizorch_site.testing import LiveServer


@dataclass
class TakenSlots:
    slots: RedisUserSlots
    user: str
    leases: list[str]

    def give_back(self) -> None:
        for lease in self.leases:
            self.slots.release(self.user, lease)


@pytest.fixture
def analyst_slots_taken(redis_server: LiveServer) -> Iterator[TakenSlots]:
    """Both of the analyst's slots, taken in Redis by this process (a minute's leases)."""
    pk = redis_server.manage(
        "shell",
        "-c",
        "from django.contrib.auth.models import User; "
        "print(User.objects.get(username='analyst').pk)",
    ).split()[-1]  # after the shell's own notes
    slots = RedisUserSlots(
        redis_server.env["REDIS_URL"], redis_server.env["VIZORCH_CHANNEL_PREFIX"], ttl_s=60
    )
    taken = TakenSlots(slots, pk, [f"elsewhere-{uuid.uuid4().hex}" for _ in range(2)])
    for lease in taken.leases:
        assert slots.try_acquire(pk, lease, 2)
    try:
        yield taken
    finally:
        taken.give_back()


def test_a_chat_run_waits_for_its_turn_where_a_direct_query_is_refused(
    redis_server: LiveServer, analyst_slots_taken: TakenSlots
) -> None:
    with client_for(redis_server, "analyst") as analyst:
        refused = analyst.post("/api/query", json={"sql": "SELECT 1"})
        assert refused.status_code == 429, refused.text
        assert refused.json()["code"] == "too_many_queries"
        assert int(refused.headers["Retry-After"]) >= 1

        events: list[Event] = []
        finished = threading.Event()

        def chat() -> None:
            try:
                with open_stream(
                    analyst, "POST", "/api/chat", json={"prompt": "[wait] Show total sales"}
                ) as source:
                    events.extend(iter_events(source))
            finally:
                finished.set()

        worker = threading.Thread(target=chat, daemon=True)
        worker.start()
        # Well past what a direct statement may wait: the run's statement is still waiting.
        time.sleep(DEFAULT_MAX_WAIT_S + 5)
        assert not finished.is_set(), [e.event for e in events]
        assert "sql" in [e.event for e in events] and "data" not in [e.event for e in events]
        # Its stream says it is waiting for its turn, and its place in line.
        assert [e.data["position"] for e in events if e.event == "progress"][:1] == [1]
        analyst_slots_taken.give_back()
        assert finished.wait(timeout=120)
    assert_contract(events)
    assert ANSWER_SEQUENCE.fullmatch(sequence_text(events)), sequence_text(events)
