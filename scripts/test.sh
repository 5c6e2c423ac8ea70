#!/usr/bin/env bash
# The test command (`make test`, `.ci/run`). pytest exits 5 when it selected no test:
# that is never a pass here, so say so and fail on purpose.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh --test || exit $?
.venv/bin/python -m pytest "$@"
rc=$?
if (( rc == 5 )); then
  echo "test: pytest selected no tests; failing on purpose (exit 5 is not a pass)" >&2
fi
exit $rc
