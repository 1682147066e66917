"""How many statements each user runs at once: counted in this process (the embedded default),
or in Redis when `REDIS_URL` is set, as leases that every web and worker process on that Redis
shares and that expire when the process holding them dies. Only the engine scheduler's
dispatcher thread (executors/scheduling.py) calls these."""

from __future__ import annotations

import time
from typing import Any, Protocol

# A Redis lease lives this long unless its process renews it (every third of it): a process that
# dies frees its users' slots within this time.
LEASE_TTL_S = 10.0


class UserSlots(Protocol):
    """Counts the statements each user runs; `try_acquire` takes one slot unless `limit` are
    held. Only the dispatcher thread calls these."""

    def try_acquire(self, user: str, lease: str, limit: int) -> bool: ...

    def release(self, user: str, lease: str) -> None: ...

    def renew(self) -> None: ...


class LocalUserSlots:
    """Slots counted in this process (the embedded default, without Redis)."""

    def __init__(self) -> None:
        self._held: dict[str, set[str]] = {}

    def try_acquire(self, user: str, lease: str, limit: int) -> bool:
        held = self._held.setdefault(user, set())
        if lease not in held and len(held) >= limit:
            return False
        held.add(lease)
        return True

    def release(self, user: str, lease: str) -> None:
        held = self._held.get(user)
        if held is not None:
            held.discard(lease)
            if not held:
                del self._held[user]

    def renew(self) -> None:
        pass


# A sorted set per user: member = lease id, score = when it expires (Redis server time, ms), so
# every process agrees on the clock. Expired leases are dropped before counting.
_ACQUIRE = """
local now = redis.call('TIME')
local now_ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
local ttl = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now_ms)
if not redis.call('ZSCORE', KEYS[1], ARGV[1])
   and redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then
  return 0
end
redis.call('ZADD', KEYS[1], now_ms + ttl, ARGV[1])
redis.call('PEXPIRE', KEYS[1], ttl)
return 1
"""
# Renewal re-adds a lease that expired meanwhile: its statement is still running here.
_RENEW = """
local now = redis.call('TIME')
local now_ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
local ttl = tonumber(ARGV[1])
for i, key in ipairs(KEYS) do
  redis.call('ZADD', key, now_ms + ttl, ARGV[i + 1])
  redis.call('PEXPIRE', key, ttl)
end
return #KEYS
"""


class RedisUserSlots:
    """Slots counted in Redis, shared by every process on the same `REDIS_URL` and key prefix."""

    def __init__(self, url: str, prefix: str, *, ttl_s: float = LEASE_TTL_S) -> None:
        import redis

        self.prefix = prefix
        self.ttl_ms = int(ttl_s * 1000)
        self.renew_every_s = ttl_s / 3
        self._client = redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=3)
        self._acquire = self._client.register_script(_ACQUIRE)
        self._renew = self._client.register_script(_RENEW)
        self._held: dict[str, str] = {}  # lease -> user
        self._renewed = time.monotonic()

    def key(self, user: str) -> str:
        return f"{self.prefix}:query-slots:{user}"

    def try_acquire(self, user: str, lease: str, limit: int) -> bool:
        acquired = bool(self._acquire(keys=[self.key(user)], args=[lease, limit, self.ttl_ms]))
        if acquired:
            self._held[lease] = user
        return acquired

    def release(self, user: str, lease: str) -> None:
        self._held.pop(lease, None)
        self._client.zrem(self.key(user), lease)

    def renew(self) -> None:
        if not self._held or time.monotonic() - self._renewed < self.renew_every_s:
            return
        leases = list(self._held.items())
        self._renew(
            keys=[self.key(user) for _, user in leases],
            args=[self.ttl_ms, *(lease for lease, _ in leases)],
        )
        self._renewed = time.monotonic()

    def running(self, user: str) -> int:
        """Unexpired leases of `user` in every process (for checks and tests)."""
        return int(self._client.zcount(self.key(user), f"({_redis_now_ms(self._client)}", "+inf"))


def _redis_now_ms(client: Any) -> int:
    seconds, micros = client.time()
    return int(seconds) * 1000 + int(micros) // 1000
