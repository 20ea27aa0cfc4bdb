# govhall: `make demo` runs the whole hall, `make test` installs what the tests need and runs them.
# On a fresh Debian machine run as root, the Debian packages below are installed first
# (one `apt-get update`, only when something is missing).

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

DEBIAN_PACKAGES := python3-venv procps fonts-wqy-microhei fonts-hanazono espeak-ng sox chromium systemd shellcheck nginx openssl \
	libgl1 libegl1 libgles2 libmtdev1 xclip libusb-1.0-0

.PHONY: demo test bench system-packages venv clean

demo: system-packages $(STAMP)
	$(BIN)/govhall demo

# The date-sensitive tests (marked `calendar`) run again at fixed moments of the hall's clock:
# a Saturday before opening, the last minutes of a month and a year, a public holiday (元旦).
CALENDAR_MOMENTS := 2026-12-05T07:30:00+08:00 2026-12-31T23:50:00+08:00 2027-01-01T10:00:00+08:00
# Test files run on two workers (pytest-xdist), a file's tests together on one.
TEST_WORKERS ?= 2

test: system-packages $(STAMP)
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile
	@for moment in $(CALENDAR_MOMENTS); do \
		echo "govhall: the calendar tests with the hall's clock at $$moment"; \
		GOVHALL_CLOCK="$$moment@$$(date +%s)" $(BIN)/python -m pytest -m calendar -q -n $(TEST_WORKERS) --dist loadfile \
			|| exit 1; \
	done

bench: system-packages $(STAMP)
	$(BIN)/python tests/bench/run_all.py

venv: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

system-packages:
	@missing=""; for p in $(DEBIAN_PACKAGES); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" != "0" ]; then \
		echo "govhall: missing Debian packages:$$missing (run as root, or: sudo apt-get install$$missing)" >&2; exit 0; \
	fi; \
	echo "govhall: installing Debian packages:$$missing"; \
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing

clean:
	rm -rf $(VENV) var
