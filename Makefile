# Two entry points, both starting from a bare Python 3.11 with pip:
#   make run    install into .venv, then run the program's main job
#   make test   install into .venv (with the test tools), then run the tests
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test bench installer clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/bgp-explorer --help
	$(BIN)/bgp-explorer info

# pytest exits 5 when it collects no test; that is not a failure of the code under test.
test: $(STAMP)
	$(BIN)/lint-imports
	$(BIN)/python -m pytest -q; status=$$?; [ $$status -eq 5 ] && echo "pytest: no tests collected" && status=0; exit $$status

bench: $(STAMP)
	$(BIN)/python bench/ingest.py

# The standalone bundle (PyInstaller): dist/bgp-explorer/, then run it headless as a check.
installer: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[installer]'
	$(BIN)/python build_installer.py --smoke

clean:
	rm -rf $(VENV) build dist *.egg-info
