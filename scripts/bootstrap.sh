#!/usr/bin/env bash
# Install everything Touchstream needs on a fresh Debian machine: Debian packages
# (Java 17 for Flink; with --test, ClickHouse 18.16 for the integration tests and Chromium
# with fonts for the UI's browser tests; with --bench, wrk for the load benchmarks), a
# virtual environment in .venv and the pinned Python dependencies. Idempotent and quick
# when nothing changed.
set -euo pipefail
cd "$(dirname "$0")/.."

want_test=0
want_bench=0
[[ "${1:-}" == "--test" ]] && want_test=1
[[ "${1:-}" == "--bench" ]] && want_bench=1

apt_packages=()
command -v javac >/dev/null 2>&1 || apt_packages+=(openjdk-17-jdk-headless)
python3 -c 'import venv, ensurepip' >/dev/null 2>&1 || apt_packages+=(python3-venv)
if (( want_test )); then
  command -v clickhouse-server >/dev/null 2>&1 || apt_packages+=(clickhouse-server)
  # the UI tests drive Debian's Chromium through Playwright (tests/funnel_ui/); fonts so pages render text
  [[ -x /usr/bin/chromium ]] || apt_packages+=(chromium)
  [[ -d /usr/share/fonts/truetype/liberation ]] || apt_packages+=(fonts-liberation)
fi
if (( want_bench )); then
  command -v wrk >/dev/null 2>&1 || apt_packages+=(wrk)  # benchmarks/touchpoints.py load generator
fi
if (( ${#apt_packages[@]} )); then
  echo "bootstrap: installing Debian packages: ${apt_packages[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${apt_packages[@]}"
fi

stamp=.venv/.installed
if [[ ! -f $stamp || pyproject.toml -nt $stamp ]]; then
  echo "bootstrap: creating .venv and installing pinned dependencies"
  python3 -m venv .venv
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e '.[dev]'
  touch "$stamp"
fi
