"""Rate limits shared by every Rasa process (Sanic workers, replicas) through Redis.

The same contract as `meso.guard.rate_limit.RateLimiter` (`hit(sender=..., ip=...)` ->
`Decision`), with the sliding windows kept in Redis sorted sets and checked and
counted in one Lua script, so every process shares one count. Times come from the
Redis server's clock (one clock for all replicas). Keys are hashed: no phone number
or address is stored in Redis.

While Redis does not answer, limits fall back to this process's own windows (a
patient is never refused because Redis is down) and Redis is skipped for a few
seconds, so an outage costs one short timeout, not one per message.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from typing import Mapping, Optional

import redis

from meso.guard.breaker import Breaker
from meso.guard.rate_limit import Decision, Limit, RateLimiter

logger = logging.getLogger(__name__)

TIMEOUT_SECONDS = 0.25
RETRY_AFTER_SECONDS = 10.0

# KEYS: one sorted set per checked scope. ARGV: a unique member, then per key its
# count and window in ms. Returns {0, 0} when counted, {i, wait_ms} when KEYS[i] refused.
_HIT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
for i, key in ipairs(KEYS) do
  local count, window = tonumber(ARGV[2 * i]), tonumber(ARGV[2 * i + 1])
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
  if redis.call('ZCARD', key) >= count then
    local edge = redis.call('ZRANGE', key, -count, -count, 'WITHSCORES')
    return {i, math.max(tonumber(edge[2]) + window - now, 1)}
  end
end
for i, key in ipairs(KEYS) do
  redis.call('ZADD', key, now, ARGV[1] .. ':' .. i)
  redis.call('PEXPIRE', key, tonumber(ARGV[2 * i + 1]))
end
return {0, 0}
"""


class SharedRateLimiter:
    """Named limits ("sender", "ip", ...) counted in Redis under `namespace`.

    Args:
        limits: A limit per scope; disabled ones are not tracked.
        client: A redis-py client (short timeouts: it is called on the message path).
        namespace: Keeps channels apart (each has its own limits).
    """

    def __init__(self, limits: Mapping[str, Limit], client: redis.Redis, namespace: str) -> None:
        self.limits = {scope: limit for scope, limit in limits.items() if limit.enabled}
        self.local = RateLimiter(limits)
        self.breaker = Breaker(RETRY_AFTER_SECONDS)
        self._namespace = namespace
        self._script = client.register_script(_HIT)

    @classmethod
    def from_url(cls, limits: Mapping[str, Limit], url: str, namespace: str) -> SharedRateLimiter:
        client = redis.Redis.from_url(url, socket_timeout=TIMEOUT_SECONDS, socket_connect_timeout=TIMEOUT_SECONDS)
        return cls(limits, client, namespace)

    def _key(self, scope: str, key: str) -> str:
        digest = hashlib.sha256(f"{self._namespace}\0{scope}\0{key}".encode()).hexdigest()[:32]
        return f"meso:ratelimit:{self._namespace}:{scope}:{digest}"

    def hit(self, **keys: Optional[str]) -> Decision:
        """Counts one message with these keys, unless a scope refuses it (refusals are not counted)."""
        checked = [(scope, key) for scope, key in keys.items() if key and scope in self.limits]
        if not checked:
            return Decision(True)
        if not self.breaker.allow():
            return self.local.hit(**keys)
        arguments = [uuid.uuid4().hex]
        for scope, _ in checked:
            limit = self.limits[scope]
            arguments += [str(limit.count), str(max(1, round(limit.seconds * 1000)))]
        try:
            refused, wait_ms = self._script(keys=[self._key(scope, key) for scope, key in checked], args=arguments)  # type: ignore[arg-type]
        except redis.RedisError as error:
            logger.warning("Shared rate limits unavailable (%s); this process counts alone.", type(error).__name__)
            self.breaker.failed()
            return self.local.hit(**keys)
        self.breaker.succeeded()
        if refused:
            return Decision(False, checked[int(refused) - 1][0], int(wait_ms) / 1000)
        return Decision(True)
