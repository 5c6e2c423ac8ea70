"""Touchpoint decisions: throughput and latency against 1M profiles and 50 live campaigns,
next to the same server answering a constant and doing a single Redis read.

    .venv/bin/python -m benchmarks.touchpoints [--profiles 1000000] [--seconds 10] [--rate 1000]

A private redis-server is filled with ``--profiles`` profiles in the stream job's key layout
(tags hash, business state hash; a third of the users in some scenario), and 50 campaigns
(the 9 shipped ones and 41 generated precision campaigns over tags and fields) are stored
through the campaign store. Three servers run in turn on the same gunicorn settings
(touchpoints/serve.py ``gunicorn_options``): the real service, a constant answer, and one
``HGETALL`` of the user's tags. Throughput comes from ``wrk`` (Debian's, one thread, a Lua
script picking a random user per request) in a closed loop; latency at a fixed rate from a
paced open-loop client (latency counted from each request's scheduled time, so queueing
shows). Prints one JSON line.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import redis

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from core.config import load_settings  # noqa: E402
from core.processes import free_port, port_open, stop_process_group, wait_until  # noqa: E402
from tagging.profiles.embedded import start_server  # noqa: E402

PAGE = ["login_popup", "home_floor", "banner", "floating_icon", "reminder"]
TOKEN = "bench-admin-token-0123456789"
SERVERS = ("touchpoints", "read", "constant")

# Fill profiles server-side: KEYS none; ARGV first index, count, now (ms), today's day number.
FILL = """
local first, n, now, today = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local tags = {'browser:broadband', 'browser:plan', 'orderer:data_pack', 'orderer:broadband', 'sharer:plan',
  'abandoned_mid_flow:plan_upgrade', 'key_touchpoint_clicker:app.home_floor', 'silent_churn_risk', 'browser:data_pack',
  'orderer:plan'}
for i = first, first + n - 1 do
  math.randomseed(i)
  local user = string.format('u%07d', i)
  local t = {}
  for k = 1, math.random(0, 4) do
    t[#t + 1] = tags[math.random(1, #tags)]
    t[#t + 1] = tostring(now - 3600000) .. ':' .. tostring(now + 86400000 * math.random(1, 30))
  end
  if #t > 0 then redis.call('HSET', 'ts:{' .. user .. '}:tags', unpack(t)) end
  local s = {'_v', tostring(now), 'last_active_day', '"2026-01-01"'}
  local r = math.random()
  local last = {}
  if r < 0.12 then
    s[#s + 1] = 'used_pct'; s[#s + 1] = tostring(math.random(60, 120))
    last[#last + 1] = '"data_usage":' .. tostring(now - math.random(1, 600000000))
  elseif r < 0.16 then
    s[#s + 1] = 'arrears'; s[#s + 1] = 'true'
  elseif r < 0.22 then
    s[#s + 1] = 'balance'; s[#s + 1] = tostring(math.random(0, 20))
    last[#last + 1] = '"balance_low":' .. tostring(now - math.random(1, 300000000))
  elseif r < 0.27 then
    s[#s + 1] = 'broadband_expires_on'; s[#s + 1] = '"' .. os_date(today + math.random(-10, 60)) .. '"'
  elseif r < 0.30 then
    s[#s + 1] = 'unsubscribed'; s[#s + 1] = '["video-vip"]'
    last[#last + 1] = '"unsubscribe":' .. tostring(now - math.random(1, 900000000))
  elseif r < 0.33 then
    last[#last + 1] = '"topup":' .. tostring(now - math.random(1, 14400000))
  end
  s[#s + 1] = 'last_at'; s[#s + 1] = '{' .. table.concat(last, ',') .. '}'
  redis.call('HSET', 'ts:{' .. user .. '}:state', unpack(s))
end
return n
"""
# Lua has no date library in Redis: civil date from a day number (Howard Hinnant's algorithm).
DATE_FN = """
local function os_date(days)
  local z = days + 719468
  local era = math.floor(z / 146097)
  local doe = z - era * 146097
  local yoe = math.floor((doe - math.floor(doe / 1460) + math.floor(doe / 36524) - math.floor(doe / 146096)) / 365)
  local y = yoe + era * 400
  local doy = doe - (365 * yoe + math.floor(yoe / 4) - math.floor(yoe / 100))
  local mp = math.floor((5 * doy + 2) / 153)
  local d = doy - math.floor((153 * mp + 2) / 5) + 1
  local m = mp < 10 and mp + 3 or mp - 9
  if m <= 2 then y = y + 1 end
  return string.format('%04d-%02d-%02d', y, m, d)
end
"""

WRK_SCRIPT = """
math.randomseed(42)
local slots = "{slots}"
request = function()
  local user = string.format("u%07d", math.random(0, {profiles} - 1))
  return wrk.format("GET", "/v1/touchpoints?user_id=" .. user .. "&channel=app" .. slots)
end
"""


def fill_profiles(client: redis.Redis, count: int) -> float:
    started = time.perf_counter()
    script = client.register_script(DATE_FN + FILL)
    now = int(time.time() * 1000)
    today = now // 86_400_000
    step = 50_000
    for first in range(0, count, step):
        script(args=[first, min(step, count - first), now, today])
    return time.perf_counter() - started


def generated_campaigns(n: int, seed: int = 3) -> list[dict[str, Any]]:
    """Precision campaigns over tags and fields, each on a few app/web/wechat slots."""
    rng = random.Random(seed)
    audiences = [
        "browser:{b} and not orderer:{b}",
        "used_pct >= {p} and not orderer:data_pack",
        "sharer:plan or browser:plan",
        "abandoned_mid_flow:plan_upgrade and days_since_active >= 1",
        "balance <= {k} and not arrears",
        "silent_churn_risk",
        "broadband_days_left <= {d} and broadband_days_left >= 0",
        '"video-vip" in unsubscribed',
        "key_touchpoint_clicker:app.home_floor and not orderer:plan",
    ]
    kinds = {
        "app.login_popup": "login_popup",
        "app.home_floor": "precision_floor",
        "app.banner": "banner",
        "app.reminder": "reminder",
        "web.home_floor": "precision_floor",
        "wechat.home_floor": "precision_floor",
    }
    campaigns = []
    for i in range(n):
        audience = rng.choice(audiences).format(
            b=rng.choice(["broadband", "plan", "data_pack"]),
            p=rng.randint(60, 100),
            k=rng.randint(3, 15),
            d=rng.randint(10, 40),
        )
        slots = rng.sample(sorted(kinds), rng.randint(1, 3))
        content = {kinds[s]: {"id": f"gen{i}-{kinds[s]}", "title": f"Offer {i}"} for s in slots}
        campaigns.append(
            {
                "id": f"gen_{i:02d}",
                "name": f"generated {i}",
                "tier": "precision",
                "priority": rng.randint(1, 60),
                "audience": audience,
                "slots": slots,
                "content": content,
                "caps": {"per_day": rng.choice([2, 3, 5]), "cooldown_minutes": rng.choice([0, 0, 30])},
            }
        )
    return campaigns


def store_campaigns(client: redis.Redis, count: int) -> int:
    from touchpoints.definitions import DefinitionContext, load_file_campaigns, load_knowledge_base
    from touchpoints.store import CampaignStore

    context = DefinitionContext.build(load_knowledge_base())
    store = CampaignStore(client)
    store.sync_files(load_file_campaigns(context))
    shipped = len(store.list("campaign"))
    for raw in generated_campaigns(count - shipped):
        store.save_campaign(context.parse_campaign(raw), actor="bench", action="create", expected_revision=0)
    return len(store.list("campaign"))


def serve_baseline(kind: str, port: int, workers: int, threads: int, redis_url: str) -> None:
    """The same gunicorn settings and Flask, answering a constant or after one HGETALL."""
    from flask import Flask, Response, request

    from core.serving import GunicornApplication
    from touchpoints.serve import gunicorn_options

    constant = orjson.dumps({"slots": [{"slot": "app.banner", "reason": "empty", "items": []}]})

    def make_app() -> Flask:
        app = Flask("baseline")
        client = redis.Redis.from_url(redis_url)

        @app.get("/v1/touchpoints")
        def decide() -> Response:
            if kind == "read":
                tags = client.hgetall(f"ts:{{{request.args['user_id']}}}:tags")
                body = orjson.dumps({"tags": len(tags), "slots": []})
            else:
                body = constant
            return Response(body, mimetype="application/json")

        @app.get("/healthz")
        def healthz() -> Response:
            return Response(b"{}", mimetype="application/json")

        return app

    options = gunicorn_options("127.0.0.1", port, workers, threads)
    options.pop("child_exit")  # no metrics in the baselines
    GunicornApplication(options, make_app).run()


def wrk(
    port: int, seconds: float, connections: int, profiles: int, slots: list[str], workdir: Path
) -> dict[str, float]:
    script = workdir / "touchpoints.lua"
    script.write_text(WRK_SCRIPT.format(slots="".join(f"&slot={s}" for s in slots), profiles=profiles))
    out = subprocess.run(
        [
            "wrk",
            "-t1",
            f"-c{connections}",
            f"-d{seconds:g}s",
            "--latency",
            "-s",
            str(script),
            f"http://127.0.0.1:{port}",
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=seconds + 60,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: (.*)", out)  # counted as one failed run
    return {
        "requests_per_s": rps,
        "non_2xx": int(errors.group(1)) if errors else 0,
        "socket_errors": bool(socket_errors),
    }


def paced(port: int, rate: float, seconds: float, profiles: int, slots: list[str]) -> dict[str, float]:
    """Open loop at ``rate`` req/s: latency from the scheduled send time, p50/p99 in ms."""
    import http.client

    total = int(rate * seconds)
    start = time.perf_counter() + 0.2
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    counter = iter(range(total))
    suffix = "".join(f"&slot={s}" for s in slots)

    def run(seed: int) -> None:
        rng = random.Random(seed)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        own: list[float] = []
        for i in counter:
            due = start + i / rate
            delay = due - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            conn.request("GET", f"/v1/touchpoints?user_id=u{rng.randrange(profiles):07d}&channel=app{suffix}")
            response = conn.getresponse()
            response.read()
            if response.status != 200:
                with lock:
                    errors[0] += 1
            own.append((time.perf_counter() - due) * 1000)
        conn.close()
        with lock:
            latencies.extend(own)

    threads = [threading.Thread(target=run, args=(s,)) for s in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(seconds + 120)
    elapsed = time.perf_counter() - start
    lat = np.array(latencies)
    return {
        "rate": round(len(latencies) / elapsed, 1),
        "p50_ms": round(float(np.percentile(lat, 50)), 2),
        "p99_ms": round(float(np.percentile(lat, 99)), 2),
        "errors": errors[0],
    }


def degraded_answers(port: int) -> float:
    """The service's count of degraded answers (Redis too slow for the budget), from /metrics."""
    import requests

    text = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text
    match = re.search(r"^touchstream_touchpoints_degraded_total (\S+)$", text, re.MULTILINE)
    return float(match.group(1)) if match else 0.0


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU of these processes and their children (gunicorn master and workers)."""
    import psutil

    total = 0.0
    for pid in pids:
        try:
            root = psutil.Process(pid)
            for process in [root, *root.children(recursive=True)]:
                times = process.cpu_times()
                total += times.user + times.system
        except psutil.NoSuchProcess:
            continue
    return total


def start(cmd: list[str], port: int, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        process = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    wait_until(lambda: port_open(port) or process.poll() is not None, 120, f"server on {port}")
    if process.poll() is not None:
        raise RuntimeError(f"server exited: {log.read_text()[-2000:]}")
    return process


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profiles", type=int, default=1_000_000)
    parser.add_argument("--campaigns", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--rate", type=float, default=1000.0)
    parser.add_argument("--connections", type=int, help="wrk connections (default: workers x threads)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=3, help="Interleaved measurement rounds (median).")
    parser.add_argument("--serve", choices=["constant", "read"], help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--redis-url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve_baseline(args.serve, args.port, args.workers, args.threads, args.redis_url)
        return
    args.connections = args.connections or args.workers * args.threads
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed: bash scripts/bootstrap.sh --bench (Debian package wrk)")

    workdir = Path(tempfile.mkdtemp(prefix="touchpoints-bench-"))
    redis_process = start_server(workdir / "redis", workdir / "redis" / "redis.sock")
    redis_url = f"unix://{workdir / 'redis' / 'redis.sock'}"
    servers: list[subprocess.Popen[bytes]] = []
    try:
        client = redis.Redis.from_url(redis_url)
        client.config_set("appendonly", "no")
        client.config_set("save", "")
        fill_s = fill_profiles(client, args.profiles)
        campaigns = store_campaigns(client, args.campaigns)
        memory_mb = int(client.info("memory")["used_memory"]) / 2**20
        settings = load_settings(
            env={},
            home=workdir / "home",
            redis_url=redis_url,
            touchpoints_admin_token=TOKEN,
            touchpoints_workers=args.workers,
            touchpoints_threads=args.threads,
        )
        env = {**os.environ, **settings.to_env()}
        shapes = {"slot": ["home_floor"], "page": PAGE}
        result: dict[str, Any] = {
            "load_average_before": round(os.getloadavg()[0], 2),
            "profiles": args.profiles,
            "campaigns": campaigns,
            "fill_s": round(fill_s, 1),
            "redis_mb": round(memory_mb),
            "workers": args.workers,
            "threads": args.threads,
            "connections": args.connections,
            "seconds": args.seconds,
        }
        base_cmd = [
            sys.executable,
            "-m",
            "benchmarks.touchpoints",
            "--workers",
            str(args.workers),
            "--threads",
            str(args.threads),
        ]
        ports = {}
        for name in SERVERS:  # all three up at once; an idle one costs nothing
            port = ports[name] = free_port()
            if name == "touchpoints":
                cmd = [sys.executable, "-m", "touchstream", "touchpoints", "--port", str(port)]
            else:
                cmd = [*base_cmd, "--serve", name, "--port", str(port), "--redis-url", redis_url]
            servers.append(start(cmd, port, env, workdir / f"{name}.log"))
        for port in ports.values():
            for slots in shapes.values():
                wrk(port, 2, args.connections, args.profiles, slots, workdir)  # warm up
        runs: dict[str, list[dict[str, Any]]] = {}
        pids = dict(zip(ports, (s.pid for s in servers), strict=True))
        for _ in range(args.rounds):  # interleaved: a noisy moment hits every server alike
            for name, port in ports.items():
                for shape, slots in shapes.items():
                    server_before, redis_before = cpu_seconds([pids[name]]), cpu_seconds([redis_process.pid])
                    degraded_before = degraded_answers(port) if name == "touchpoints" else 0.0
                    measured = wrk(port, args.seconds, args.connections, args.profiles, slots, workdir)
                    done = measured["requests_per_s"] * args.seconds
                    if name == "touchpoints":  # answered without Redis: cheaper, so reported
                        measured["degraded_share"] = (degraded_answers(port) - degraded_before) / done
                    measured["server_cpu_us"] = (cpu_seconds([pids[name]]) - server_before) / done * 1e6
                    measured["redis_cpu_us"] = (cpu_seconds([redis_process.pid]) - redis_before) / done * 1e6
                    measured["cpu_us_per_request"] = measured["server_cpu_us"] + measured["redis_cpu_us"]
                    runs.setdefault(f"{name}_{shape}", []).append(measured)
        for key, measured in runs.items():
            rates = sorted(m["requests_per_s"] for m in measured)
            result[key] = {
                "requests_per_s": rates[len(rates) // 2],
                "runs": rates,
                "non_2xx": sum(m["non_2xx"] for m in measured),
            }
            if "degraded_share" in measured[0]:
                result[key]["degraded_share"] = round(max(m["degraded_share"] for m in measured), 4)
            for cpu in ("cpu_us_per_request", "server_cpu_us", "redis_cpu_us"):  # medians
                values = sorted(m[cpu] for m in measured)
                result[key][cpu] = round(values[len(values) // 2])
        for name, port in ports.items():  # open loop: at the target rate, and at half of it
            for shape, slots in shapes.items():
                for rate in (args.rate, args.rate / 2):
                    result[f"{name}_{shape}_latency_at_{rate:g}"] = paced(
                        port, rate, args.seconds, args.profiles, slots
                    )
        for shape, slots in shapes.items():
            ours = result[f"touchpoints_{shape}"]["requests_per_s"]
            result[f"{shape}_slot_decisions_per_s"] = round(ours * len(slots), 1)
            result[f"{shape}_ratio_vs_read"] = round(ours / result[f"read_{shape}"]["requests_per_s"], 3)
            result[f"{shape}_ratio_vs_constant"] = round(ours / result[f"constant_{shape}"]["requests_per_s"], 3)
            # what the ratio is on cores of one's own: CPU per request of the other server over ours
            mine = result[f"touchpoints_{shape}"]["cpu_us_per_request"]
            result[f"{shape}_cpu_ratio_vs_read"] = round(result[f"read_{shape}"]["cpu_us_per_request"] / mine, 3)
            result[f"{shape}_cpu_ratio_vs_constant"] = round(
                result[f"constant_{shape}"]["cpu_us_per_request"] / mine, 3
            )
        for server in servers:
            stop_process_group(server.pid)
        result["load_average_after"] = round(os.getloadavg()[0], 2)
        decisions = sum(1 for p in (workdir / "home" / "events").glob("seg-*.jsonl") for _ in p.open("rb"))
        result["decision_records_logged"] = decisions
        print(orjson.dumps(result).decode())
    finally:
        for server in servers:
            stop_process_group(server.pid)
        stop_process_group(redis_process.pid)
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
