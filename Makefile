# govshare — the two commands a new user needs: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: install demo test lint format bench clean browser-deps screenshots

# The browser tests (tests/web) drive Debian's chromium, never a browser downloaded by Playwright, and the
# screenshots need CJK fonts. Installed with apt when missing (CI and developers run as root or with sudo).
APT := $(if $(filter 0,$(shell id -u)),,sudo) env DEBIAN_FRONTEND=noninteractive apt-get

# (Re)install when pyproject.toml changes; a fresh clone gets a fresh venv.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install -q --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: install
	$(BIN)/govshare demo

lint: install
	$(BIN)/ruff check src tests bench

format: install
	$(BIN)/ruff format src tests bench
	$(BIN)/ruff check --fix src tests bench

browser-deps:
	@if ! test -x /usr/bin/chromium || ! fc-list :lang=zh 2>/dev/null | grep -q .; then \
		echo "installing chromium and CJK fonts for the browser tests (apt)"; \
		$(APT) update -qq && $(APT) install -y -qq chromium fonts-noto-cjk; \
	fi

test: lint browser-deps
	$(BIN)/pytest

screenshots: install browser-deps
	$(BIN)/python -m tests.web.screenshots

bench: install
	$(BIN)/python bench/audit_append.py

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
