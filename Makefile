# scanq — top-level build.  Two commands matter (see README.md):
#   make run    install missing Debian packages, build, run `scanq serve` on SQLite
#   make test   install missing Debian packages, build, run every test suite
# Everything else here is a building block of those two.

# Builds use every core: `make test` compiles three builds on a fresh machine.
MAKEFLAGS += -j$(shell nproc)

CC      ?= gcc
BUILD   ?= build
PKGS    := sqlite3 jansson libmicrohttpd gnutls libsodium libcares libxml-2.0 libpq openssl libcurl ldns
CSTD    := -std=c11 -D_GNU_SOURCE
WARN    := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wno-unused-parameter
OPT     ?= -O2 -g
SAN     ?=
CFLAGS_ALL = $(CSTD) $(WARN) $(OPT) $(SAN) -Isrc -Isrc/scan $(shell pkg-config --cflags $(PKGS) 2>/dev/null) $(EXTRA_CFLAGS)
LDLIBS_ALL = $(shell pkg-config --libs $(PKGS) 2>/dev/null) -linih -lpthread -lm

# Debian packages the build, running (the default vuln profile is nmap; tls
# verifies against the system CA store), the tests and the benchmarks need.
DEB_BUILD := build-essential pkg-config libsqlite3-dev libjansson-dev libcmocka-dev \
             libmicrohttpd-dev libsodium-dev libinih-dev libc-ares-dev libxml2-dev libpq-dev libssl-dev sqlite3 \
             libcurl4-openssl-dev libldns-dev
DEB_RUN   := nmap ca-certificates
DEB_TEST  := clang libclang-rt-14-dev nmap openssl postgresql procps iproute2 chromium nodejs npm curl \
             python3 nsd
DEB_BENCH := wrk hyperfine time bc sslscan beanstalkd dnsrecon nginx-light
# `make deb`, and the checks of the package: lintian, its units
# (systemd-analyze), man pages, completion and alert rules (promtool).
DEB_PKG   := debhelper dpkg-dev fakeroot
DEB_PKG_TEST := lintian adduser prometheus systemd man-db bash-completion bsdextrautils

SRC      := $(sort $(filter-out src/bin/%,$(wildcard src/*.c src/*/*.c src/*/*/*.c)))
HDR      := $(wildcard src/*.h src/*/*.h src/*/*/*.h)
OBJ      := $(SRC:%.c=$(BUILD)/%.o)
LIBOBJ   := $(filter-out $(BUILD)/src/main.o,$(OBJ))
UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
BENCH_SRC:= $(sort $(wildcard bench/*.c))
BENCH_BIN:= $(BENCH_SRC:bench/%.c=$(BUILD)/bench/%)

# The lean scanner binary (src/bin/scanq-scan.c says why): the scanner
# sources only, with jansson, c-ares, inih and libldns (the dns type) linked
# statically and libssl (for the tls type and libldns) dynamically; libcurl
# is loaded by the http type when it runs (src/scan/libcurl.h says why).
LEAN_SRC := src/bin/scanq-scan.c $(addprefix src/core/,clock.c config.c log.c scan.c) \
            $(addprefix src/scan/,scanner.c scantype.c testscan.c portscan.c discovery.c resolve.c \
            scope.c targets.c ports.c ports_top.c sock.c tls.c tls_flight.c tls_hello.c detect.c \
            dns.c dns_answer.c dns_axfr.c dns_names.c dns_options.c \
            http.c libcurl.c webpage.c webtech.c budget.c ratecap.c)
LEAN_OBJ := $(LEAN_SRC:%.c=$(BUILD)/%.o)
LEAN_LIBS := -Wl,-Bstatic -ljansson -lcares -linih -lldns -Wl,-Bdynamic -lssl -lcrypto -lpthread -lm

.PHONY: all run test deps deps-test check unit asan fuzz bench clean

all: $(BUILD)/scanq $(BUILD)/scanq-scan $(UNIT_BIN) $(BENCH_BIN)

$(BUILD)/scanq-scan: $(LEAN_OBJ)
	$(CC) $(SAN) $(LDFLAGS) $^ -o $@ $(LEAN_LIBS)

$(BUILD)/%.o: %.c $(HDR)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -c $< -o $@

$(BUILD)/scanq: $(OBJ)
	$(CC) $(SAN) $(LDFLAGS) $^ -o $@ $(LDLIBS_ALL)

$(BUILD)/tests/%: tests/unit/%.c tests/unit/testutil.h tests/unit/teststore.h $(LIBOBJ)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -Itests/unit $< $(LIBOBJ) -o $@ $(LDLIBS_ALL) -lcmocka

$(BUILD)/bench/%: bench/%.c $(LIBOBJ)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) $< $(LIBOBJ) -o $@ $(LDLIBS_ALL)

# Install whatever Debian package is missing (needs root, as on a fresh machine).
deps:
	@sh tools/install-deps.sh $(DEB_BUILD) $(DEB_RUN)
deps-test:
	@sh tools/install-deps.sh $(DEB_BUILD) $(DEB_RUN) $(DEB_TEST) $(DEB_BENCH) $(DEB_PKG) $(DEB_PKG_TEST)

run: deps
	$(MAKE) $(BUILD)/scanq $(BUILD)/scanq-scan
	./$(BUILD)/scanq serve

# The whole gate: warnings-as-errors build, unit + integration suites, the same
# suites under ASan+UBSan, and every fuzz target for a bounded time.  The
# sanitizer build (`make asan`) and the fuzz targets are built by
# tests/run.sh beside the plain build's suites, at a lower CPU priority
# (SCANQ_ASAN_BUILD, SCANQ_FUZZ_BUILD): the suites mostly wait on timers and
# children, and each build took two to three minutes of the critical path
# when it came first.
test: deps-test
	$(MAKE) all
	$(MAKE) node-deps
	SCANQ_ASAN_BUILD=1 SCANQ_FUZZ_BUILD=1 sh tests/run.sh

# The sanitizer build the suites run a second time (build-asan/).
asan:
	$(MAKE) BUILD=build-asan OPT="-O1 -g -fno-omit-frame-pointer" \
	        SAN="-fsanitize=address,undefined -fno-sanitize-recover=undefined" \
	        build-asan/scanq build-asan/scanq-scan build-asan/bench/claimprobe \
	        $(UNIT_BIN:$(BUILD)/%=build-asan/%)

# Unit + integration suites against one build only (quick loop while developing).
check: all
	SCANQ_BUILDS=$(BUILD) sh tests/run.sh

FUZZ_SRC := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BIN := $(FUZZ_SRC:tests/fuzz/%.c=build-fuzz/%)
FUZZ_LIB := $(filter-out src/main.c,$(SRC))
# The library is compiled once for every target (fuzzer-no-link: coverage
# without libFuzzer's main), then each target links it.
FUZZ_OBJ := $(FUZZ_LIB:%.c=build-fuzz/obj/%.o)
FUZZ_CFLAGS = $(CSTD) -g -O1 -Isrc -Isrc/scan $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
fuzz: $(FUZZ_BIN)
build-fuzz/obj/%.o: %.c $(HDR)
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link,address,undefined -c $< -o $@
$(FUZZ_BIN): build-fuzz/%: tests/fuzz/%.c $(FUZZ_OBJ) $(HDR)
	clang $(FUZZ_CFLAGS) -fsanitize=fuzzer,address,undefined $< $(FUZZ_OBJ) -o $@ $(LDLIBS_ALL)

bench: $(BENCH_BIN) $(BUILD)/scanq $(BUILD)/scanq-scan

clean:
	rm -rf build build-asan build-fuzz

# The web technology table is built into webtech.o (.incbin).
$(BUILD)/src/scan/webtech.o build-fuzz/obj/src/scan/webtech.o: src/scan/webtech.tsv

# ---- the OpenAPI document (docs/openapi.json) ------------------------------
# Built into scanq by src/api/openapi.c (.incbin): rebuild it when it changes.
$(BUILD)/src/api/openapi.o build-fuzz/obj/src/api/openapi.o: docs/openapi.json
# The npm packages (locked) of the tests: the OpenAPI linter and response
# validator (tests/openapi), playwright-core for the browser tests, the
# SARIF schema validator and Microsoft's SARIF multitool (tests/export).
.PHONY: node-deps
node-deps:
	cd tests/openapi && npm ci --no-audit --no-fund --loglevel=error
	cd tests/export && npm ci --no-audit --no-fund --loglevel=error
	cd tests/browser && npm ci --no-audit --no-fund --loglevel=error

# ---- the Debian package (debian/, docs/DEPLOY.md) ---------------------------
# `make deb` builds build/scanq_VERSION_ARCH.deb with dpkg-buildpackage from
# a copy of the sources in build/deb/scanq/, so the tree stays clean and the
# package's objects (Debian's flags, in build/deb/scanq/build-deb/) are kept:
# a second run compiles only what changed.  Install: dpkg -i build/scanq_*.deb
DEB_STAGE := build/deb/scanq
DEB_COPY  := Makefile README.md src web debian docs contrib
.PHONY: deb
deb:
	@sh tools/install-deps.sh $(DEB_BUILD) $(DEB_PKG)
	rm -rf $(addprefix $(DEB_STAGE)/,$(DEB_COPY)) build/deb/scanq_* build/deb/scanq-dbgsym_*
	mkdir -p $(DEB_STAGE)
	cp -a $(DEB_COPY) $(DEB_STAGE)/
	cd $(DEB_STAGE) && DEB_BUILD_OPTIONS="parallel=$$(nproc) $$DEB_BUILD_OPTIONS" \
		dpkg-buildpackage -b -nc -us -uc --no-sign >../build.log 2>&1 \
		|| { tail -n 40 ../build.log; exit 1; }
	rm -f build/scanq_*.deb build/scanq_*.buildinfo build/scanq_*.changes build/scanq-dbgsym_*
	mv build/deb/scanq_* build/deb/scanq-dbgsym_* build/ 2>/dev/null; ls build/scanq_*.deb
