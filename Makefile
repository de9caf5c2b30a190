# Two commands do all the set-up on a fresh machine:
#   make run   - create .venv, install everything, run graphs/quickstart.yaml headless
#   make test  - the same set-up, then the import-layer contracts and the whole test suite
#   make lock  - refresh constraints.txt: install the newest releases into a scratch venv, run
#                the whole suite there, and only if it passes write their versions to constraints.txt
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.thyra-installed
# The exact versions the suite last passed with: every install is constrained to them, so a new
# release on PyPI cannot turn a fresh clone red. `make lock` moves them forward on purpose.
LOCK   := constraints.txt
# Debian packages the Python wheels need at run time (installed only when missing).
# Qt (the editor): GL/EGL, fontconfig, xkbcommon, D-Bus and a font for the offscreen
# platform the tests and screenshots use; the xcb libraries for a desktop session.
# Open3D's CPU wheel (the 3D nodes) links libusb.
SYSTEM_PACKAGES := libglib2.0-0 \
	libegl1 libgl1 libfontconfig1 libxkbcommon0 libdbus-1-3 fonts-dejavu-core \
	libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-image0 libxcb-render-util0 \
	libxcb-xkb1 libxkbcommon-x11-0 libx11-xcb1 \
	libusb-1.0-0 xvfb

.PHONY: run test setup sysdeps lint bench screenshots clean lock

run: $(STAMP)
	$(BIN)/thyra run graphs/quickstart.yaml

test: $(STAMP)
	$(BIN)/lint-imports
	$(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/python benchmarks/engine_overhead.py

# The README's pictures, rewritten in docs/ (no display needed): the editor at first open and
# after a run with its results panel, a subgraph (thyra_graph/editor/screenshots.py), the 3D preview.
screenshots: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m thyra_graph.editor.screenshots graphs/quickstart.yaml --out docs
	$(BIN)/python docs/make_3d_picture.py --out docs/3d.png

setup: $(STAMP)

# PIP_CONSTRAINT (not -c) so the build environments of source packages (sam2) are held too.
$(STAMP): pyproject.toml $(LOCK)
	@$(MAKE) --no-print-directory sysdeps
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade -c $(LOCK) pip setuptools wheel
	SAM2_BUILD_CUDA=0 PIP_CONSTRAINT=$(CURDIR)/$(LOCK) $(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

# Newest releases in a scratch venv; the suite must pass there before constraints.txt changes.
lock:
	@$(MAKE) --no-print-directory sysdeps
	rm -rf .venv-lock && $(PYTHON) -m venv .venv-lock
	.venv-lock/bin/python -m pip install --quiet --upgrade pip setuptools wheel
	SAM2_BUILD_CUDA=0 .venv-lock/bin/python -m pip install --quiet -e '.[dev]'
	.venv-lock/bin/lint-imports
	THYRA_CACHE_DIR=$$(mktemp -d) .venv-lock/bin/python -m pytest -q -p no:cacheprovider
	( echo "# Versions the whole suite passed with (written by 'make lock' on $$(date -u +%F), $$(uname -sm), $$(.venv-lock/bin/python -V))."; \
	  echo "# Every 'make run' / 'make test' installs under these constraints. Refresh: make lock"; \
	  .venv-lock/bin/python -m pip freeze --exclude-editable | grep -v '^-e ' | LC_ALL=C sort -f ) > $(LOCK)
	rm -rf .venv-lock
	@echo "constraints.txt refreshed; review 'git diff constraints.txt' and commit it"

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
