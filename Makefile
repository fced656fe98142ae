# Two entry points, both starting from a bare Python 3.11 with pip:
#   make run    install into .venv, then run the program's main job
#   make test   install into .venv (with the test tools), then run the tests
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test bench bench-query installer clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

# With no store configured ($$BGP_EXPLORER_STORE unset, no store in the user data folder), show the
# embedded demo instead (built on first use, about a minute, then reused).
run: $(STAMP)
	$(BIN)/bgp-explorer --help
	@if [ -n "$$BGP_EXPLORER_STORE" ] || $(BIN)/python -c 'import sys; from explorer.store import resolve_store_path; sys.exit(not resolve_store_path().exists())'; \
	then $(BIN)/bgp-explorer info; else $(BIN)/bgp-explorer info --demo; fi

# pytest exits 5 when it collects no test; that is not a failure of the code under test.
test: $(STAMP)
	$(BIN)/lint-imports
	$(BIN)/python -m pytest -q; status=$$?; [ $$status -eq 5 ] && echo "pytest: no tests collected" && status=0; exit $$status

bench: $(STAMP)
	$(BIN)/python bench/ingest.py
	$(BIN)/python bench/demo.py

# builds 5M- and 50M-element stores in a temporary folder (about 1 GB, a few minutes)
bench-query: $(STAMP)
	$(BIN)/python bench/query.py

# The standalone bundle (PyInstaller): dist/bgp-explorer/, then run it headless as a check.
installer: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[installer]'
	$(BIN)/python build_installer.py --smoke

clean:
	rm -rf $(VENV) build dist *.egg-info
