"""`touchstream tags check|deploy|show` in a subprocess: output, exit status, hostile input."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import orjson
import pytest
import redis

from tagging.changes import TagChange
from tagging.profiles import RedisProfileStore
from tagging.seal import unseal
from tests.fixtures.redis import redis_client, redis_socket, redis_url  # noqa: F401 - fixtures
from tests.tagging.definitions import HOSTILE, copy_definitions, half_that_parses, shipped_text, ten_day_orderers

ROOT = Path(__file__).resolve().parents[2]


def touchstream(*args: str | Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "touchstream", *map(str, args)],
        env={**os.environ, **(env or {})},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.fixture
def target(tmp_path: Path) -> Path:
    return copy_definitions(tmp_path)


def candidate(tmp_path: Path, data: str | bytes, name: str = "tags.yaml") -> Path:
    path = tmp_path / "work" / name
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return path


def test_check_of_the_deployed_content_changes_nothing(tmp_path: Path, target: Path) -> None:
    out = touchstream("tags", "check", candidate(tmp_path, shipped_text()), "--target", target)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines()[1:] == [
        "seal of tags.yaml: missing (the deploy seals it)",
        "no tag added, removed or changed",
        "ok to deploy: 61 tags (0 added, 0 removed, 0 changed)",
    ]


def test_check_shows_tags_added_removed_and_changed(tmp_path: Path, target: Path) -> None:
    text = ten_day_orderers()
    text = text.replace("  - name: orderer:handset\n", "  - name: orderer:handset/gone\n")
    text = text.replace("params: {min_views: 5, window_days: 1}", "params: {min_views: 4, window_days: 1}", 1)
    out = touchstream("tags", "check", candidate(tmp_path, text), "--target", target)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert "added (1): orderer:handset/gone" in lines
    assert "removed (1): orderer:handset" in lines
    assert "changed (7):" in lines
    assert "  orderer:plan: window_days: 30 -> 10" in lines
    assert "  browser:broadband/hot: min_views: 5 -> 4" in lines
    assert lines[-1] == "ok to deploy: 61 tags (1 added, 1 removed, 7 changed)"
    assert unseal((target / "tags.yaml").read_bytes()).body.decode() == shipped_text()  # check writes nothing


def test_check_of_invalid_definitions_exits_1_with_the_reason(tmp_path: Path, target: Path) -> None:
    out = touchstream("tags", "check", candidate(tmp_path, "tags:\n  - name: orderer:nothing\n"), "--target", target)
    assert out.returncode == 1
    assert "error: tags.yaml tag 'orderer:nothing' (tags[0]): unknown business line 'nothing'" in out.stderr


def test_check_of_a_missing_file_exits_2(tmp_path: Path, target: Path) -> None:
    out = touchstream("tags", "check", tmp_path / "nope.yaml", "--target", target)
    assert out.returncode == 2 and "no such file or directory" in out.stderr


def test_check_refuses_a_half_file_with_exit_3_and_json_says_why(tmp_path: Path, target: Path) -> None:
    source = candidate(tmp_path, half_that_parses(shipped_text()))
    out = touchstream("tags", "check", source, "--target", target)
    assert out.returncode == 3
    assert out.stderr.startswith("refused: would remove ") and "List them under `retired:`" in out.stderr
    verdict = orjson.loads(touchstream("tags", "check", source, "--target", target, "--json").stdout)
    assert verdict["ok"] is False and verdict["error"] is None and verdict["tags"] < 30
    assert "orderer:plan" in verdict["diff"]["removed"] and verdict["diff"]["before"] == 61


@pytest.mark.parametrize("kind", ["billion laughs", "deep nesting", "not UTF-8", "second tags key"])
def test_check_reports_a_hostile_file_without_a_traceback(tmp_path: Path, target: Path, kind: str) -> None:
    data, reason = HOSTILE[kind]
    out = touchstream("tags", "check", candidate(tmp_path, data), "--target", target)
    assert out.returncode == 1 and reason in out.stderr and "Traceback" not in out.stderr


def test_check_refuses_huge_special_and_misnamed_sources(tmp_path: Path, target: Path) -> None:
    huge = touchstream("tags", "check", candidate(tmp_path, b"#" * (2 << 20)), "--target", target)
    assert huge.returncode == 1 and "larger than 1048576 bytes" in huge.stderr
    os.mkfifo(tmp_path / "pipe.yaml")  # reading it would block forever
    fifo = touchstream("tags", "check", tmp_path / "pipe.yaml", "--target", target)
    assert fifo.returncode == 1 and "not a regular file or directory" in fifo.stderr
    source = candidate(tmp_path, shipped_text())
    sneaky = touchstream("tags", "deploy", source, "--target", target, "--name", "../escape.yaml")
    assert sneaky.returncode == 1 and "not a definitions file name" in sneaky.stderr
    assert not (target.parent / "escape.yaml").exists()
    not_a_dir = touchstream("tags", "deploy", source, "--target", source)
    assert not_a_dir.returncode == 1 and "not a directory" in not_a_dir.stderr and "Traceback" not in not_a_dir.stderr
    share = touchstream("tags", "check", source, "--target", target, "--max-removed-share", "5")
    assert share.returncode == 2 and "--max-removed-share" in share.stderr


def test_deploy_publishes_a_sealed_file_and_refuses_a_half_one(tmp_path: Path, target: Path) -> None:
    text = ten_day_orderers()
    out = touchstream("tags", "deploy", candidate(tmp_path, text), "--target", target)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines()[-1] == "deployed: 61 tags (0 added, 0 removed, 7 changed)"
    published = (target / "tags.yaml").read_bytes()
    assert unseal(published).state == "sealed" and unseal(published).body.decode() == text
    refused = touchstream("tags", "deploy", candidate(tmp_path, half_that_parses(text)), "--target", target)
    assert refused.returncode == 3 and (target / "tags.yaml").read_bytes() == published


def test_the_default_target_is_the_jobs_definitions(tmp_path: Path, target: Path) -> None:
    env = {"TOUCHSTREAM_FLINK_TAG_DEFINITIONS": str(target)}
    out = touchstream("tags", "check", candidate(tmp_path, shipped_text()), env=env)
    assert out.returncode == 0 and out.stdout.splitlines()[0].endswith(f"-> {target} (deployed: 61 tags)")


def test_tags_user_id_still_shows_a_profile(redis_client: redis.Redis, redis_url: str) -> None:  # noqa: F811
    store = RedisProfileStore(redis_client)
    store.apply("u42", [TagChange("u42", "orderer:plan", "set", 1000, 2000, seq=1, set_at_ms=1000)])
    for args in (("tags", "u42", "--json"), ("tags", "show", "u42", "--json"), ("tags", "--json", "u42")):
        out = touchstream("--redis-url", redis_url, *args)
        assert out.returncode == 0, out.stderr
        assert [t["tag"] for t in orjson.loads(out.stdout)["tags"]] == ["orderer:plan"]
    bare = touchstream("tags")  # usage, as for `touchstream` alone: click exits 2 and prints help
    assert bare.returncode == 2 and all(f"  {name} " in bare.stderr for name in ("show", "check", "deploy"))
