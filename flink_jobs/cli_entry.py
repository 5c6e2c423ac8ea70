"""What ``touchstream pipeline`` runs (the backfill is flink_jobs/backfill.py)."""

from __future__ import annotations

import logging
import time

from core.config import Settings
from core.processes import wait_until
from flink_jobs.options import JobOptions, JobPaths

logger = logging.getLogger(__name__)


def run_pipeline(settings: Settings, options: JobOptions | None = None) -> None:
    """Run the continuous job over ``settings.event_log`` until SIGTERM/SIGINT, then stop it
    with a savepoint. Starts from the newest retained checkpoint or savepoint under
    ``settings.home`` (so a crash or a stop loses nothing), after replaying committed
    profile outputs into Redis (see :mod:`flink_jobs.repair`)."""
    from tagging.profiles import redis_for

    assert settings.event_log is not None
    settings.event_log.mkdir(parents=True, exist_ok=True)
    with redis_for(settings) as url:
        options = (options or JobOptions.load()).with_(contacts_timezone=settings.touchpoints_timezone)
        _run_pipeline(settings, options, url)


def _run_pipeline(settings: Settings, options: JobOptions, url: str) -> None:
    import redis

    from flink_jobs.control import stop_with_savepoint
    from flink_jobs.env import use_log_dir
    from flink_jobs.job import build_job
    from flink_jobs.recovery import latest_snapshot
    from flink_jobs.repair import replay_outputs
    from tagging.profiles import RedisProfileStore

    paths = JobPaths.of(settings)

    def repair_redis() -> None:
        store = RedisProfileStore(redis.Redis.from_url(url), options.redis_prefix)
        try:
            replay_outputs(paths, store)
        finally:
            store.close()

    repair_redis()  # writes a hard kill lost before the last checkpoint
    restore = latest_snapshot(paths)
    use_log_dir(paths)
    _launch_gateway_immune_to_sigterm()
    logger.info("starting pipeline on %s (restoring from %s)", settings.event_log, restore or "nothing")
    assert settings.event_log is not None
    job = build_job([settings.event_log], paths, options, url, continuous=True, restore_from=restore)
    client = job.env.execute_async("touchstream-pipeline")
    stop = _StopSignal()
    status_file = settings.pipeline_running_file
    try:
        status_file.write_text(str(client.get_job_id()))  # the stack's readiness check
        while not stop.requested:
            status = str(client.get_job_status().result())
            if status in ("FAILED", "CANCELED", "FINISHED"):
                raise RuntimeError(f"pipeline job ended: {status} (see the Flink log above)")
            time.sleep(0.5)
        logger.info("stop requested: waiting for a checkpoint to commit the outputs, then a savepoint")
        _wait_for_next_checkpoint(
            paths, str(client.get_job_id()), timeout_s=3 * options.checkpoint_interval_ms / 1000 + 30
        )
        stop_with_savepoint(client, paths.savepoints)
        repair_redis()  # the profiles now match every committed output, even writes queued at stop
    finally:
        status_file.unlink(missing_ok=True)
        stop.restore()


def _wait_for_next_checkpoint(paths: JobPaths, job_id: str, timeout_s: float) -> None:
    """Block until a checkpoint that started after this call has completed.

    FileSink outputs are committed when a checkpoint completes, not by the stop savepoint, so
    without this the last outputs (the tag step's, which trail the Java path) would wait
    for the next start to be published.
    """
    directory = paths.checkpoints / job_id

    def completed() -> list[int]:
        return [int(m.parent.name.split("-")[1]) for m in directory.glob("chk-*/_metadata")]

    baseline = max(completed(), default=0)
    try:  # baseline + 1 may have been in flight already
        wait_until(lambda: max(completed(), default=0) >= baseline + 2, timeout_s, "a new checkpoint", interval=0.2)
    except TimeoutError:
        logger.warning("no checkpoint completed within %.0f s; stopping anyway", timeout_s)


def _launch_gateway_immune_to_sigterm() -> None:
    """Start PyFlink's JVM with SIGTERM ignored (an ignored disposition survives exec, and the
    JVM keeps it): a supervisor's SIGTERM to our process group must reach this process,
    which stops the job with a savepoint, instead of killing the JVM under it. The JVM
    exits by itself when this process exits (it watches its stdin)."""
    import signal

    from pyflink.java_gateway import get_gateway

    previous = signal.signal(signal.SIGTERM, signal.SIG_IGN)
    try:
        get_gateway()
    finally:
        signal.signal(signal.SIGTERM, previous)


class _StopSignal:
    """SIGTERM/SIGINT set a flag the run loop polls (py4j calls must stay on the main thread)."""

    def __init__(self) -> None:
        import signal

        self.requested = False
        self._previous = {sig: signal.signal(sig, self._handle) for sig in (signal.SIGTERM, signal.SIGINT)}

    def _handle(self, signum: int, _frame: object) -> None:
        self.requested = True

    def restore(self) -> None:
        import signal

        for sig, handler in self._previous.items():
            signal.signal(sig, handler)
