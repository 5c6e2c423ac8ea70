# The two commands: `make run` (whole stack, embedded engines, generated traffic) and
# `make test` (the suite, with real engines). Both install what they need first.
.PHONY: run test lint bench install

install:
	bash scripts/bootstrap.sh

run: install
	.venv/bin/touchstream run --demo

test:
	bash scripts/test.sh

lint: install
	.venv/bin/ruff check . && .venv/bin/ruff format --check .

bench:
	bash scripts/bootstrap.sh --bench
	.venv/bin/python benchmarks/collector.py
	.venv/bin/python -m benchmarks.pipeline --events 1000000
	.venv/bin/python -m benchmarks.readonly
	.venv/bin/python -m benchmarks.touchpoint_value --users 10000 --days 14
	.venv/bin/python -m benchmarks.tag_latency --rate 5000 --seconds 30
	.venv/bin/python -m benchmarks.funnel --events 10000000
	.venv/bin/python -m benchmarks.touchpoints --profiles 1000000 --seconds 10 --rate 1000
	.venv/bin/python -m benchmarks.ui --users 10000 --days 7 --repeat 3
