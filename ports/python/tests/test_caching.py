"""The key cache rules, on an in-memory store with an injected clock: TTL for the newest version, LRU and max age
for exact versions, single flight for concurrent cold callers, stale-if-error, and the Transit data-key pool."""

from __future__ import annotations

import asyncio

import pytest
from support import json_payload

from temporal_vault_codec import CachingKeyProvider, CodecError, EncryptionCodec, KeyProviderObserver, MemoryKeyStore
from temporal_vault_codec.errors import KEY_SOURCE_UNAVAILABLE, KEY_VERSION_DESTROYED
from temporal_vault_codec.keys.cache import LruCache, SingleFlight
from temporal_vault_codec.keys.data_key_pool import DataKeyPool
from temporal_vault_codec.keys.key_cache import KeyCache
from temporal_vault_codec.keys.provider import CacheKind
from temporal_vault_codec.keys.transit_client import TransitDataKey
from temporal_vault_codec.types import KeyReference, zero


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Events(KeyProviderObserver):
    def __init__(self) -> None:
        self.seen: list[str] = []

    def cache_hit(self, kind: CacheKind) -> None:
        self.seen.append(f"hit:{kind}")

    def cache_miss(self, kind: CacheKind) -> None:
        self.seen.append(f"miss:{kind}")

    def stale_served(self, kind: CacheKind) -> None:
        self.seen.append(f"stale:{kind}")


def setup(**options: float) -> tuple[MemoryKeyStore, CachingKeyProvider, Clock, Events]:
    store = MemoryKeyStore()
    store.rotate("ns")
    clock, events = Clock(), Events()
    provider = CachingKeyProvider(store, now=clock, observer=events, **options)  # type: ignore[arg-type]
    return store, provider, clock, events


def outage() -> CodecError:
    return CodecError("ERR_KEY_SOURCE_UNAVAILABLE", "down")


async def test_the_newest_version_is_cached_for_the_ttl_then_asked_again_so_rotations_propagate() -> None:
    store, provider, clock, _ = setup(latest_ttl=60)
    assert (await provider.encryption_key("ns", 1)).version == 1
    store.rotate("ns")
    assert (await provider.encryption_key("ns", 1)).version == 1
    clock.now += 60.001
    assert (await provider.encryption_key("ns", 1)).version == 2
    assert store.reads == 2


async def test_concurrent_cold_callers_share_one_store_read() -> None:
    store, provider, _, _ = setup()
    await asyncio.gather(*(provider.encryption_key("ns", 1) for _ in range(100)))
    await asyncio.gather(*(provider.decryption_key("ns", KeyReference("ns", 1)) for _ in range(100)))
    assert store.reads == 1


async def test_concurrent_cold_decodes_through_the_codec_make_one_store_read() -> None:
    store = MemoryKeyStore()
    store.rotate("ns")
    sealer = EncryptionCodec(namespace="ns", key_provider=CachingKeyProvider(store))
    sealed = await sealer.encode([json_payload(str(i)) for i in range(50)])
    store.reads = 0
    codec = EncryptionCodec(namespace="ns", key_provider=CachingKeyProvider(store))
    await asyncio.gather(*(codec.decode([p]) for p in sealed))
    assert store.reads == 1


async def test_exact_versions_expire_after_the_max_age_so_destruction_takes_effect() -> None:
    store, provider, clock, _ = setup(version_max_age=300)
    await provider.decryption_key("ns", KeyReference("ns", 1))
    store.set_state("ns", 1, "destroyed")
    clock.now += 299
    assert (await provider.decryption_key("ns", KeyReference("ns", 1))).version == 1
    clock.now += 2
    with pytest.raises(CodecError) as raised:
        await provider.decryption_key("ns", KeyReference("ns", 1))
    assert raised.value.code == "ERR_KEY_VERSION_DESTROYED"


async def test_exact_versions_are_bounded_least_recently_used_first() -> None:
    store, provider, _, _ = setup(max_cached_versions=2)
    for _ in range(2):
        store.rotate("ns")
    for version in (1, 2, 3):
        await provider.decryption_key("ns", KeyReference("ns", version))
    reads = store.reads
    await provider.decryption_key("ns", KeyReference("ns", 3))
    await provider.decryption_key("ns", KeyReference("ns", 2))
    assert store.reads == reads
    await provider.decryption_key("ns", KeyReference("ns", 1))
    assert store.reads == reads + 1


async def test_stale_keys_are_served_for_the_stale_window_when_the_store_fails_then_the_retryable_error() -> None:
    store, provider, clock, events = setup(latest_ttl=1, version_max_age=1, stale_if_error=10)
    await provider.encryption_key("ns", 1)
    store.fail_with = outage()
    clock.now += 5
    assert (await provider.encryption_key("ns", 1)).version == 1
    assert (await provider.decryption_key("ns", KeyReference("ns", 1))).version == 1
    assert "stale:latest" in events.seen and "stale:version" in events.seen
    clock.now += 10
    with pytest.raises(CodecError) as raised:
        await provider.encryption_key("ns", 1)
    assert raised.value.code == "ERR_KEY_SOURCE_UNAVAILABLE" and raised.value.retryable


async def test_encryption_keeps_the_last_newest_version_for_four_hours_by_default_during_an_outage() -> None:
    store, provider, clock, _ = setup(latest_ttl=1, version_max_age=1)
    await provider.encryption_key("ns", 1)
    store.fail_with = outage()
    clock.now += 3 * 3600
    assert (await provider.encryption_key("ns", 1)).version == 1
    # Decryption keys follow the shorter stale_if_error (15 min by default).
    with pytest.raises(CodecError) as raised:
        await provider.decryption_key("ns", KeyReference("ns", 1))
    assert raised.value.code == "ERR_KEY_SOURCE_UNAVAILABLE"
    clock.now += 3600 + 2
    with pytest.raises(CodecError):
        await provider.encryption_key("ns", 1)


async def test_non_retryable_errors_are_not_masked_and_a_destroyed_version_is_forgotten() -> None:
    store, provider, clock, _ = setup(version_max_age=1)
    await provider.decryption_key("ns", KeyReference("ns", 1))
    store.set_state("ns", 1, "destroyed")
    clock.now += 1.001
    with pytest.raises(CodecError) as destroyed:
        await provider.decryption_key("ns", KeyReference("ns", 1))
    assert destroyed.value.code == "ERR_KEY_VERSION_DESTROYED"
    store.fail_with = outage()
    with pytest.raises(CodecError) as down:
        await provider.decryption_key("ns", KeyReference("ns", 1))
    assert down.value.code == "ERR_KEY_SOURCE_UNAVAILABLE"


async def test_keys_leave_as_copies_and_a_key_id_of_another_namespace_is_refused() -> None:
    _, provider, _, _ = setup()
    first = await provider.encryption_key("ns", 1)
    saved = bytes(first.key)
    first.zero()
    assert bytes((await provider.encryption_key("ns", 1)).key) == saved
    with pytest.raises(CodecError) as raised:
        await provider.decryption_key("ns", KeyReference("other", 1))
    assert raised.value.code == "ERR_NAMESPACE_MISMATCH"


async def test_evicted_and_cleared_keys_are_zeroed() -> None:
    zeroed: list[bytearray] = []

    def on_evict(buffer: bytearray) -> None:
        zeroed.append(buffer)
        zero(buffer)

    cache: LruCache[str, bytearray] = LruCache(1, Clock(), on_evict)
    first = bytearray(b"aaaa")
    cache.set("a", first)
    cache.set("b", bytearray(b"bbbb"))
    assert zeroed == [first] and first == bytearray(4)
    cache.clear()
    assert len(zeroed) == 2 and zeroed[1] == bytearray(4)


def test_options_are_validated() -> None:
    for options in ({"latest_ttl": -1}, {"version_max_age": float("nan")}, {"max_cached_versions": 0}):
        with pytest.raises(CodecError) as raised:
            CachingKeyProvider(MemoryKeyStore(), **options)
        assert raised.value.code == "ERR_INVALID_CONFIG"


async def test_a_cancelled_caller_does_not_cancel_the_shared_fetch() -> None:
    flights: SingleFlight[str, int] = SingleFlight()
    release = asyncio.Event()
    calls = 0

    async def fetch() -> int:
        nonlocal calls
        calls += 1
        await release.wait()
        return 7

    first = asyncio.ensure_future(flights.run("k", fetch))
    second = asyncio.ensure_future(flights.run("k", fetch))
    await asyncio.sleep(0)
    first.cancel()
    release.set()
    assert await second == 7 and calls == 1 and len(flights) == 0


class PoolFixture:
    def __init__(self, max_uses: int = 3) -> None:
        self.clock = Clock()
        self.fetches = 0
        self.fail: CodecError | None = None
        self.pool = DataKeyPool(
            self.fetch,
            max_age=60,
            max_uses=max_uses,
            stale_if_error=900,
            now=self.clock,
            observer=KeyProviderObserver(),
        )

    async def fetch(self, slot: str) -> TransitDataKey:
        await asyncio.sleep(0)
        if self.fail is not None:
            raise self.fail
        self.fetches += 1
        return TransitDataKey(self.fetches, bytearray(32), f"vault:v{self.fetches}:AAAA")


async def test_transit_data_keys_are_limited_by_payload_count_and_age() -> None:
    fixture = PoolFixture(max_uses=3)
    assert (await fixture.pool.take("s", 2)).version == 1
    assert (await fixture.pool.take("s", 1)).version == 1
    assert (await fixture.pool.take("s", 1)).version == 2
    fixture.clock.now += 60
    assert (await fixture.pool.take("s", 1)).version == 3
    # A batch larger than the limit gets a fresh key of its own.
    assert (await fixture.pool.take("s", 10)).version == 4


async def test_concurrent_batches_share_one_fetch_and_never_exceed_the_limit() -> None:
    fixture = PoolFixture(max_uses=100)
    keys = await asyncio.gather(*(fixture.pool.take("s", 10) for _ in range(30)))
    assert fixture.fetches == 3
    assert all(sum(1 for k in keys if k.version == v) == 10 for v in (1, 2, 3))


async def test_transit_data_keys_are_served_stale_on_outage_within_their_limits() -> None:
    fixture = PoolFixture(max_uses=3)
    await fixture.pool.take("s", 1)
    fixture.clock.now += 120
    fixture.fail = outage()
    assert (await fixture.pool.take("s", 2)).version == 1
    with pytest.raises(CodecError):
        await fixture.pool.take("s", 1)


async def test_the_shared_key_cache_serves_fresh_then_stale_on_outage_and_forgets_a_refused_entry() -> None:
    clock = Clock()
    events = Events()
    zeroed: list[bytearray] = []
    cache: KeyCache[str, bytearray] = KeyCache(
        max_entries=10,
        max_age=60.0,
        stale_if_error=30.0,
        now=clock,
        on_evict=zeroed.append,
        kind="version",
        observer=events,
    )

    async def fetched() -> bytearray:
        value = bytearray(b"key")
        cache.entries.set("k", value)
        return value

    async def outage() -> bytearray:
        raise CodecError(KEY_SOURCE_UNAVAILABLE, "down")

    async def refused() -> bytearray:
        raise CodecError(KEY_VERSION_DESTROYED, "gone")

    assert await cache.get("k", fetched) == b"key"
    assert await cache.get("k", outage) == b"key"  # fresh: the source is not asked
    clock.now += 70  # past max age, inside the stale window
    assert await cache.get("k", outage) == b"key"
    clock.now += 30  # past the stale window
    with pytest.raises(CodecError) as outage_error:
        await cache.get("k", outage)
    assert outage_error.value.retryable
    assert cache.entries.peek("k") is not None  # an outage forgets nothing
    with pytest.raises(CodecError):
        await cache.get("k", refused)
    assert cache.entries.peek("k") is None and zeroed == [bytearray(b"key")]
    assert events.seen == [
        "miss:version",
        "hit:version",
        "miss:version",
        "stale:version",
        "miss:version",
        "miss:version",
    ]
