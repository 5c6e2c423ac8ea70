"""Stop a running job with a savepoint through the Java JobClient.

PyFlink 2.3's ``JobClient.stop_with_savepoint()`` is broken (it never passes a
``SavepointFormatType``), so this calls the Java client behind it through the py4j gateway.
"""

from __future__ import annotations

import logging
from pathlib import Path

from pyflink.common import JobClient
from pyflink.java_gateway import get_gateway

logger = logging.getLogger(__name__)


def stop_with_savepoint(client: JobClient, directory: Path, timeout_s: float = 120.0) -> Path:
    """Take a savepoint in ``directory``, stop the job, and return the savepoint's path."""
    gateway = get_gateway()
    fmt = gateway.jvm.org.apache.flink.core.execution.SavepointFormatType.CANONICAL
    future = client._j_job_client.stopWithSavepoint(False, directory.as_uri(), fmt)
    unit = gateway.jvm.java.util.concurrent.TimeUnit.MILLISECONDS
    location = str(future.get(int(timeout_s * 1000), unit))
    logger.info("job %s stopped with savepoint %s", client.get_job_id(), location)
    return Path(location.removeprefix("file:"))
