# The two commands of the README: `make demo` and `make test`. Everything else here serves them.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# Every distribution of the repository, installed editable into one environment.
DISTS  := core $(wildcard providers/*) $(wildcard integrations/*) examples/provider-template
PYPROJECTS := pyproject.toml $(addsuffix /pyproject.toml,$(DISTS))
EDITABLES  := -e 'core[testing,canary]' $(foreach d,$(filter-out core,$(DISTS)),-e $(d))
# The demo's own small environment: the core, the AWS provider and moto's server (moto in the
# test-servers group's range, plus the Flask app its server mode runs), nothing of the
# development, test-server or benchmark toolchain.
DEMO_VENV  := .venv-demo
DEMO_STAMP := $(DEMO_VENV)/.installed
DEMO_DEPS  := -e core -e providers/aws 'moto>=5.1,<6' flask flask-cors

.PHONY: demo test chaos lint typecheck bench clean

$(STAMP): $(PYPROJECTS)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q --group dev --group test-servers --group bench $(EDITABLES)
	touch $@

$(DEMO_STAMP): core/pyproject.toml providers/aws/pyproject.toml
	$(PYTHON) -m venv $(DEMO_VENV)
	$(DEMO_VENV)/bin/python -m pip install -q $(DEMO_DEPS)
	touch $@

demo: $(DEMO_STAMP)
	$(DEMO_VENV)/bin/python providers/aws/demo.py

# Lint and types first (seconds), then the suite; CI runs exactly this target. The suite runs in
# $(JOBS) pytest-xdist workers, a test file per worker at a time (module fixtures stay whole); each
# worker starts its own session servers. Most of the suite waits on servers and health polls, so
# two workers on two cores take ~0.6 of one worker's time (tests/README.md, "Budgets").
JOBS ?= 2
test: lint typecheck
	$(BIN)/python -m pytest -n $(JOBS) --dist loadfile $(PYTEST_ARGS)

# The whole crash matrix (tests/README.md, "Crash matrix"): every kill point on ECS, Lambda, GCP
# and Kubernetes (and Kubernetes' other strategies) too, where `make test` runs a representative
# subset.
chaos: $(STAMP)
	CLOUDRIG_CHAOS=1 $(BIN)/python -m pytest tests/aws/test_crash_matrix.py \
		tests/ecs/test_crash_matrix.py tests/lambda/test_crash_matrix.py \
		tests/gcp/test_crash_matrix.py tests/kubernetes/test_crash_matrix.py \
		tests/kubernetes/test_crash_matrix_strategies.py \
		$(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

clean:
	rm -rf $(VENV) $(DEMO_VENV)
