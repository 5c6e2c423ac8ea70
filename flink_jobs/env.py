"""Execution environments configured with the facts measured on this machine (docs/architecture.md).

* ``python.executable`` / ``python.client.executable`` = this interpreter, else the workers
  start whatever ``python`` is on PATH;
* thread mode (pemja) with this venv's site-packages on ``PYTHONPATH``: pemja's embedded
  interpreter ignores the venv;
* a 20 ms bundle time, else each Python operator holds records for up to a second;
* ``pipeline.object-reuse: true``: no deep copy of every record between chained operators;
* ``pipeline.auto-watermark-interval: 0``: the SQL watermark assigner then emits a new
  watermark after every record that raises it, so which events are late depends only on the
  order records are read in, never on timing (what makes catch-up equal to live);
* retained checkpoints under ``settings.home/flink/checkpoints``.
"""

from __future__ import annotations

import logging
import os
import site
import sys
from pathlib import Path

from pyflink.common import Configuration
from pyflink.datastream import RuntimeExecutionMode, StreamExecutionEnvironment
from pyflink.table import EnvironmentSettings, StreamTableEnvironment

from flink_jobs.jar import helper_jar
from flink_jobs.options import JobOptions, JobPaths

logger = logging.getLogger(__name__)

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def python_path() -> str:
    """The venv's site-packages and the project root, for pemja's embedded interpreter."""
    entries = [*site.getsitepackages(), str(PROJECT_ROOT)]
    existing = os.environ.get("PYTHONPATH")
    if existing:
        entries.append(existing)
    return os.pathsep.join(dict.fromkeys(entries))


def base_configuration(options: JobOptions) -> Configuration:
    conf = Configuration()
    conf.set_string("python.executable", sys.executable)
    conf.set_string("python.client.executable", sys.executable)
    conf.set_string("python.execution-mode", "thread")
    conf.set_string("python.fn-execution.bundle.time", str(options.bundle_time_ms))
    conf.set_string("pipeline.auto-watermark-interval", "0")
    # chained operators hand records on without a deep copy each (every SQL and Python operator
    # here is written for reuse); without it copying was the largest cost of the Java stages
    conf.set_string("pipeline.object-reuse", "true")
    conf.set_string("parallelism.default", str(options.parallelism))
    # stable operator ids across runs of the same code, so checkpoints and savepoints restore
    conf.set_string("table.exec.uid.generation", "ALWAYS")
    conf.set_string("table.exec.state.ttl", f"{options.dedup_ttl_ms} ms")
    conf.set_string("table.local-time-zone", "UTC")  # windows on the epoch grid the tag step assumes
    conf.set_string("rest.bind-address", "127.0.0.1")
    conf.set_string("rest.address", "127.0.0.1")
    return conf


def streaming_configuration(options: JobOptions, paths: JobPaths, restore_from: Path | None) -> Configuration:
    conf = base_configuration(options)
    conf.set_string("execution.runtime-mode", "STREAMING")
    conf.set_string("execution.checkpointing.interval", f"{options.checkpoint_interval_ms} ms")
    conf.set_string("execution.checkpointing.dir", paths.checkpoints.as_uri())
    conf.set_string("execution.checkpointing.savepoint-dir", paths.savepoints.as_uri())
    conf.set_string("execution.checkpointing.externalized-checkpoint-retention", "RETAIN_ON_CANCELLATION")
    conf.set_string("execution.checkpointing.num-retained", "2")
    conf.set_string("restart-strategy.type", "fixed-delay")
    conf.set_string("restart-strategy.fixed-delay.attempts", "3")
    conf.set_string("restart-strategy.fixed-delay.delay", "2 s")
    if restore_from is not None:
        conf.set_string("execution.state-recovery.path", restore_from.as_uri())
    return conf


def batch_configuration(options: JobOptions) -> Configuration:
    conf = base_configuration(options)
    conf.set_string("execution.runtime-mode", "BATCH")
    # BATCH sorts every keyed input; with the local default (128 MB) a 1M-event backfill spills
    conf.set_string("taskmanager.memory.managed.size", "768m")
    return conf


def use_log_dir(paths: JobPaths) -> None:
    """Send the JVM's log (Python operators log there too) to ``home/flink/log`` instead of the
    shared ``pyflink/log``. Takes effect only if PyFlink's JVM has not been started yet."""
    directory = paths.root / "log"
    directory.mkdir(parents=True, exist_ok=True)
    os.environ["FLINK_LOG_DIR"] = str(directory)  # not setdefault: a parent (tests) may have set its own


def create_environments(conf: Configuration, batch: bool) -> tuple[StreamExecutionEnvironment, StreamTableEnvironment]:
    """A StreamExecutionEnvironment and its table environment, with the helper jar added."""
    os.environ["PYTHONPATH"] = python_path()  # inherited by the gateway JVM and its workers
    conf.set_string("python.pythonpath", python_path())
    env = StreamExecutionEnvironment.get_execution_environment(conf)
    env.set_parallelism(int(conf.get_string("parallelism.default", "1")))
    if batch:
        env.set_runtime_mode(RuntimeExecutionMode.BATCH)
    env.add_jars(helper_jar().as_uri())
    settings = (
        EnvironmentSettings.new_instance().in_batch_mode()
        if batch
        else EnvironmentSettings.new_instance().in_streaming_mode()
    )
    t_env = StreamTableEnvironment.create(env, settings.with_configuration(conf).build())
    return env, t_env
