# Shortcuts for the commands in README.md and CONTRIBUTING.md.
PY ?= .venv/bin/python

.PHONY: setup test lint format bench golden readme fuzz ci

setup:
	python3 -m venv .venv && .venv/bin/pip install -e '.[test]'

test:
	$(PY) -m pytest

lint:
	.venv/bin/ruff check newsletter tests benchmarks scripts
	.venv/bin/ruff format --check newsletter

format:
	.venv/bin/ruff check --fix newsletter tests benchmarks scripts
	.venv/bin/ruff format newsletter

bench:
	$(PY) benchmarks/run_all.py

golden:
	$(PY) scripts/golden.py

readme:
	$(PY) scripts/readme.py

fuzz:
	$(PY) benchmarks/fuzz_readers.py --cases 10000

ci:
	bash .ci/run
