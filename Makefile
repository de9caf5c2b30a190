# Two commands do all the set-up on a fresh machine:
#   make run   - create .venv, install everything, run graphs/quickstart.yaml headless
#   make test  - the same set-up, then the import-layer contracts and the whole test suite
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.thyra-installed
# Debian packages the Python wheels need at run time (installed only when missing).
# Qt (the editor): GL/EGL, fontconfig, xkbcommon, D-Bus and a font for the offscreen
# platform the tests and screenshots use; the xcb libraries for a desktop session.
SYSTEM_PACKAGES := libglib2.0-0 \
	libegl1 libgl1 libfontconfig1 libxkbcommon0 libdbus-1-3 fonts-dejavu-core \
	libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-image0 libxcb-render-util0 \
	libxcb-xkb1 libxkbcommon-x11-0 libx11-xcb1

.PHONY: run test setup sysdeps lint bench screenshots clean

run: $(STAMP)
	$(BIN)/thyra run graphs/quickstart.yaml

test: $(STAMP)
	$(BIN)/lint-imports
	$(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/python benchmarks/engine_overhead.py

# PNGs of the editor with the quickstart graph after a run, in out/screenshots/ (no display needed).
screenshots: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m thyra_graph.editor.screenshots graphs/quickstart.yaml --out out/screenshots

setup: $(STAMP)

$(STAMP): pyproject.toml
	@$(MAKE) --no-print-directory sysdeps
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip setuptools wheel
	SAM2_BUILD_CUDA=0 $(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

sysdeps:
	@missing=""; \
	if command -v dpkg >/dev/null 2>&1; then \
	  for p in $(SYSTEM_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	fi; \
	if [ -n "$$missing" ]; then \
	  echo "installing system packages:$$missing"; \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq $$missing; \
	fi

clean:
	rm -rf $(VENV) out build *.egg-info
