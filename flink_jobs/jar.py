"""Build (once) and locate the small Java helper jar the job needs.

It holds the ordered split assigner and the SQL functions of the job. Compiled with the JDK's
``javac`` against the jars shipped in the PyFlink wheel, so nothing is downloaded; rebuilt
only when the Java source is newer than the jar.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
import tempfile
from pathlib import Path

import pyflink

logger = logging.getLogger(__name__)

JAVA_DIR = Path(__file__).resolve().parent / "java"
JAR = JAVA_DIR / "build" / "touchstream-flink.jar"


def pyflink_lib() -> Path:
    return Path(pyflink.__file__).resolve().parent / "lib"


def helper_jar() -> Path:
    """The helper jar, compiled now if missing or stale."""
    sources = sorted(JAVA_DIR.rglob("*.java"))
    if JAR.exists() and all(JAR.stat().st_mtime >= s.stat().st_mtime for s in sources):
        return JAR
    javac, jar_tool = shutil.which("javac"), shutil.which("jar")
    if not javac or not jar_tool:
        raise RuntimeError("javac/jar not found: install a JDK 17 (scripts/bootstrap.sh does)")
    classpath = ":".join(str(p) for p in sorted(pyflink_lib().glob("*.jar")))
    JAR.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as classes:
        subprocess.run(
            [javac, "--release", "17", "-d", classes, "-cp", classpath, *map(str, sources)],
            check=True,
            capture_output=True,
        )
        tmp = JAR.with_suffix(".tmp")
        subprocess.run([jar_tool, "cf", str(tmp), "-C", classes, "."], check=True, capture_output=True)
        tmp.replace(JAR)
    logger.info("built %s", JAR)
    return JAR
