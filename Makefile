# Two entry points, both starting from a bare Python 3.11 with pip:
#   make run    install into .venv, then open the explorer window (on the demo store when no store is configured)
#   make test   install into .venv (with the test tools, Dask, and libbgpstream when its tarballs are at hand), then run the tests
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test bench bench-query bench-scale installer bgpstream clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,cluster]'
	touch $(STAMP)

# libbgpstream (and so pybgpstream) from the release tarballs in $(BGPSTREAM_SRC), built into
# .venv/bgpstream once (.ci/build-bgpstream, about a minute). Without the tarballs: one line, and the
# tests that need it skip saying why.
BGPSTREAM_SRC      ?= ../shared/vendor
BGPSTREAM_TARBALLS := $(wildcard $(BGPSTREAM_SRC)/wandio-4.2.6.tar.gz $(BGPSTREAM_SRC)/libbgpstream-2.3.0.tar.gz)
BGPSTREAM_STAMP    := $(VENV)/bgpstream/.installed

ifeq ($(words $(BGPSTREAM_TARBALLS)),2)
bgpstream: $(BGPSTREAM_STAMP)
else
bgpstream:
	@echo "bgpstream: no wandio-4.2.6.tar.gz and libbgpstream-2.3.0.tar.gz in $(BGPSTREAM_SRC) (set BGPSTREAM_SRC): not built, its tests will skip"
endif

# Order-only on the venv: reinstalling the project's packages does not rebuild the libraries.
$(BGPSTREAM_STAMP): $(BGPSTREAM_TARBALLS) .ci/build-bgpstream | $(STAMP)
	.ci/build-bgpstream $(BGPSTREAM_SRC) $(VENV)
	touch $@

# Qt needs a few system libraries and a font; .ci/qt-system-libs installs them when root, else names them.
run: $(STAMP)
	@.ci/qt-system-libs $(BIN)/python
	$(BIN)/bgp-explorer-window

# pytest exits 5 when it collects no test; that is not a failure of the code under test.
# bgpdump (Debian's reference parser) and rsvg-convert (librsvg2-bin: the SVG exports read a second way)
# are installed like Qt's libraries: with apt-get as root, else named; libbgpstream is built from its
# release tarballs (make bgpstream) when they are there.
test: $(STAMP) bgpstream
	@.ci/qt-system-libs $(BIN)/python
	@.ci/bgpdump
	@.ci/rsvg
	$(BIN)/lint-imports
	$(BIN)/python -m pytest -q; status=$$?; [ $$status -eq 5 ] && echo "pytest: no tests collected" && status=0; exit $$status

bench: $(STAMP)
	$(BIN)/python bench/ingest.py
	$(BIN)/python bench/ui.py
	$(BIN)/python bench/demo.py

# a large store's queries and window (issue 13): STORE=PATH, a store kept by bench-scale (STORE=PATH there too)
STORE ?= scale.duckdb
bench-query: $(STAMP)
	$(BIN)/python bench/query.py --store $(STORE)
	$(BIN)/python bench/ui.py --store $(STORE)

# builds a set of 100M elements from real files moved in time (about 1 GB in a temporary folder, a minute or
# two), then ingests it 10M at a time, printing each chunk's rate; ELEMENTS=10M for a short run
ELEMENTS ?= 100M
bench-scale: $(STAMP)
	$(BIN)/python bench/scale.py --elements $(ELEMENTS) $(if $(filter command line,$(origin STORE)),--store $(STORE))

# The standalone bundle (PyInstaller): dist/bgp-explorer/, then run it headless as a check.
installer: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[installer]'
	$(BIN)/python build_installer.py --smoke

clean:
	rm -rf $(VENV) build dist *.egg-info
