"""``touchstream pipeline`` in a child process, so tests can stop it, or SIGKILL its JVM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from core.processes import stop_process_group, wait_until
from tests.flink_jobs.outputs import event_ids

PROJECT = Path(__file__).resolve().parents[2]


class Pipeline:
    def __init__(self, home: Path, checkpoint_ms: int = 1000, lateness_ms: int | None = 10_000) -> None:
        """``lateness_ms=None``: the job's default allowed lateness."""
        self.home = home
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("TOUCHSTREAM_")},
            "TOUCHSTREAM_HOME": str(home),
            "TOUCHSTREAM_FLINK_CHECKPOINT_INTERVAL_MS": str(checkpoint_ms),
            "TOUCHSTREAM_FLINK_MONITOR_INTERVAL_MS": "300",
        }
        if lateness_ms is not None:
            self.env["TOUCHSTREAM_FLINK_LATENESS_MS"] = str(lateness_ms)
        self.env.pop("TOUCHSTREAM_REDIS_URL", None)  # the home's embedded Redis
        self.env.pop("FLINK_LOG_DIR", None)  # in-process backfill tests set it for themselves
        self.process: subprocess.Popen[bytes] | None = None
        self.runs = 0

    @property
    def out(self) -> Path:
        return self.home / "flink" / "out"

    def start(self) -> None:
        self.runs += 1
        log = (self.home / f"pipeline-{self.runs}.log").open("wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "touchstream", "pipeline"],
            cwd=PROJECT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def committed_ids(self) -> set[str]:
        return set(event_ids(self.out))

    def wait_for(self, ids: set[str], timeout: float = 120) -> None:
        def done() -> bool:
            assert self.process is not None and self.process.poll() is None, self.log_tail()
            return ids <= self.committed_ids()

        wait_until(done, timeout, f"{len(ids)} events committed", interval=0.3)

    def stop(self, timeout: float = 90) -> None:
        """SIGTERM: the pipeline stops the job with a savepoint and exits."""
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        try:
            code = self.process.wait(timeout)
        finally:
            stop_process_group(self.process.pid)
        assert code == 0, self.log_tail()

    def kill_jvm(self) -> None:
        """SIGKILL the job's JVM (the MiniCluster runs inside it), then the driver it leaves behind."""
        assert self.process is not None
        children = subprocess.run(
            ["pgrep", "-P", str(self.process.pid)], capture_output=True, text=True, check=False
        ).stdout.split()
        jvms = [int(p) for p in children if "java" in Path(f"/proc/{p}/cmdline").read_bytes().decode(errors="replace")]
        assert jvms, "no JVM child found"
        for pid in jvms:
            os.kill(pid, signal.SIGKILL)
        self.process.wait(60)
        stop_process_group(self.process.pid)

    def log_tail(self) -> str:
        logs = sorted(self.home.glob("pipeline-*.log"))
        return logs[-1].read_text(errors="replace")[-3000:] if logs else ""
