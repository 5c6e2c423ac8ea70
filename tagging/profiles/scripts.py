"""Running a registered Lua script on a decision's hot path.

redis-py's command path (the retry wrapper, the connection lock, response callbacks, the
``Script`` object's checks) costs more client CPU than the script itself costs Redis: about
a tenth of the touchpoint service's CPU per request went there (docs/BENCHMARKS.md). On a
single-connection client that only one thread uses, :func:`run_script` sends ``EVALSHA``
straight on the connection; anything else goes through redis-py as usual.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import redis
from redis.commands.core import Script
from redis.exceptions import NoScriptError


def run_script(script: Script, client: redis.Redis | None, keys: Sequence[Any], args: Sequence[Any] = ()) -> Any:
    """``script`` on ``keys`` and ``args``, through ``client``'s own connection when it has
    one (a single-connection client used by one thread). A Redis that lost its scripts (a
    restart) gets the script loaded again. A failed or timed-out read or write closes the
    connection (redis-py's ``Connection`` does), so the next call reconnects instead of
    reading a late reply as its own (tests/tagging/test_scripts.py). ``client`` None: the
    client the script was registered on."""
    connection = client.connection if client is not None else None
    if connection is None:
        return script(keys=list(keys), args=list(args), client=client)
    try:
        connection.send_command("EVALSHA", script.sha, len(keys), *keys, *args)
        return connection.read_response()
    except NoScriptError:
        return script(keys=list(keys), args=list(args), client=client)  # loads it, then runs it
