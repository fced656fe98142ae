# Two entry points, both starting from a bare Python 3.11 with pip:
#   make run    install into .venv, then open the explorer window (on the demo store when no store is configured)
#   make test   install into .venv (with the test tools), then run the tests
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test bench bench-query bench-scale installer clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

# Qt needs a few system libraries and a font; .ci/qt-system-libs installs them when root, else names them.
run: $(STAMP)
	@.ci/qt-system-libs $(BIN)/python
	$(BIN)/bgp-explorer-window

# pytest exits 5 when it collects no test; that is not a failure of the code under test.
test: $(STAMP)
	@.ci/qt-system-libs $(BIN)/python
	$(BIN)/lint-imports
	$(BIN)/python -m pytest -q; status=$$?; [ $$status -eq 5 ] && echo "pytest: no tests collected" && status=0; exit $$status

bench: $(STAMP)
	$(BIN)/python bench/ingest.py
	$(BIN)/python bench/ui.py
	$(BIN)/python bench/demo.py

# builds 5M- and 50M-element stores in a temporary folder (about 1 GB, a few minutes)
bench-query: $(STAMP)
	$(BIN)/python bench/query.py

# builds a set of 100M elements from real files moved in time (about 1 GB in a temporary folder, a minute or
# two), then ingests it 10M at a time, printing each chunk's rate; ELEMENTS=10M for a short run
ELEMENTS ?= 100M
bench-scale: $(STAMP)
	$(BIN)/python bench/scale.py --elements $(ELEMENTS)

# The standalone bundle (PyInstaller): dist/bgp-explorer/, then run it headless as a check.
installer: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[installer]'
	$(BIN)/python build_installer.py --smoke

clean:
	rm -rf $(VENV) build dist *.egg-info
