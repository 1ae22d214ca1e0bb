# forloeb — two commands: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_DB ?= demo.sqlite
DEMO_CONFIG := $(DEMO_DB:.sqlite=.toml)

.PHONY: venv demo test lint typecheck bench clean

venv: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,postgres,parquet]'
	touch $(STAMP)

demo: venv
	rm -f $(DEMO_DB) $(DEMO_CONFIG)
	FORLOEB_DB=$(DEMO_DB) FORLOEB_USER=demo sh cli/demo_tour.sh $(BIN)/forloeb

test: venv
	.ci/with-postgres .ci/with-oidc $(BIN)/python -m pytest -q -n 2

lint: venv
	$(BIN)/ruff check domain storage workflows projections programmes cli demo server tests bench
	$(BIN)/mypy domain storage workflows projections programmes cli demo server bench
	$(BIN)/lint-imports

bench: venv
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	$(BIN)/python -m bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) $(DEMO_DB) $(DEMO_CONFIG) $(DEMO_DB:.sqlite=.key) forloeb.toml .pytest_cache .mypy_cache .ruff_cache
