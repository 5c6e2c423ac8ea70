"""run_script: EVALSHA straight on a single-connection client, against a real Redis."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from tagging.profiles.scripts import run_script

ECHO = "redis.call('INCR', KEYS[1]) return {KEYS[1], ARGV[1]}"
SLOW = (
    "local t = redis.call('TIME') local stop = t[1] * 1000000 + t[2] + 300000 "
    "while true do local n = redis.call('TIME') if n[1] * 1000000 + n[2] > stop then break end end return 1"
)


@pytest.fixture
def single(redis_socket: Path, redis_client: redis.Redis) -> Iterator[redis.Redis]:  # redis_client: emptied db
    client = redis.Redis(unix_socket_path=str(redis_socket), single_connection_client=True, socket_timeout=0.1)
    yield client
    client.close()


def test_runs_on_the_connection_and_on_the_registered_client(single: redis.Redis, redis_client: redis.Redis) -> None:
    script = redis_client.register_script(ECHO)
    redis_client.script_load(ECHO)
    assert run_script(script, single, ["k"], ["a"]) == [b"k", b"a"]
    assert run_script(script, None, ["k"], ["b"]) == [b"k", b"b"]  # no client: the registered one
    assert run_script(script, redis_client, ["k"], ["c"]) == [b"k", b"c"]  # a pooled client: redis-py's path
    assert int(redis_client.get("k")) == 3


def test_a_redis_that_lost_its_scripts_gets_them_again(single: redis.Redis, redis_client: redis.Redis) -> None:
    script = redis_client.register_script(ECHO)
    assert run_script(script, single, ["k"], ["a"]) == [b"k", b"a"]
    redis_client.script_flush()  # what a restart does
    assert run_script(script, single, ["k"], ["b"]) == [b"k", b"b"]
    assert run_script(script, single, ["k"], ["c"]) == [b"k", b"c"]


def test_a_script_error_keeps_the_connection(single: redis.Redis, redis_client: redis.Redis) -> None:
    failing = redis_client.register_script("return redis.error_reply('nope')")
    with pytest.raises(redis.ResponseError, match="nope"):
        run_script(failing, single, ["k"])
    assert run_script(redis_client.register_script(ECHO), single, ["k"], ["a"]) == [b"k", b"a"]


def test_a_timed_out_reply_is_never_read_as_the_next_one(single: redis.Redis, redis_client: redis.Redis) -> None:
    """The slow script's late reply must not be taken for the next call's (the connection is closed)."""
    slow = redis_client.register_script(SLOW)
    redis_client.script_load(SLOW)
    with pytest.raises(redis.TimeoutError):
        run_script(slow, single, ["k"])
    time.sleep(0.4)  # its reply has arrived by now: on a kept connection it would be read next
    echo = redis_client.register_script(ECHO)
    assert run_script(echo, single, ["k"], ["after"]) == [b"k", b"after"]
