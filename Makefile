# scanq — top-level build.  Two commands matter (see README.md):
#   make run    install missing Debian packages, build, run `scanq serve` on SQLite
#   make test   install missing Debian packages, build, run every test suite
# Everything else here is a building block of those two.

CC      ?= gcc
BUILD   ?= build
PKGS    := sqlite3 jansson libmicrohttpd libsodium libcares libxml-2.0 libpq openssl
CSTD    := -std=c11 -D_GNU_SOURCE
WARN    := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wno-unused-parameter
OPT     ?= -O2 -g
SAN     ?=
CFLAGS_ALL = $(CSTD) $(WARN) $(OPT) $(SAN) -Isrc -Isrc/scan $(shell pkg-config --cflags $(PKGS) 2>/dev/null) $(EXTRA_CFLAGS)
LDLIBS_ALL = $(shell pkg-config --libs $(PKGS) 2>/dev/null) -linih -lpthread -lm

# Debian packages the build, running (the default vuln profile is nmap; tls
# verifies against the system CA store), the tests and the benchmarks need.
DEB_BUILD := build-essential pkg-config libsqlite3-dev libjansson-dev libcmocka-dev \
             libmicrohttpd-dev libsodium-dev libinih-dev libc-ares-dev libxml2-dev libpq-dev libssl-dev sqlite3
DEB_RUN   := nmap ca-certificates
DEB_TEST  := clang libclang-rt-14-dev nmap openssl postgresql procps iproute2 chromium nodejs npm curl
DEB_BENCH := wrk hyperfine time bc sslscan

SRC      := $(sort $(filter-out src/bin/%,$(wildcard src/*.c src/*/*.c src/*/*/*.c)))
HDR      := $(wildcard src/*.h src/*/*.h src/*/*/*.h)
OBJ      := $(SRC:%.c=$(BUILD)/%.o)
LIBOBJ   := $(filter-out $(BUILD)/src/main.o,$(OBJ))
UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
BENCH_SRC:= $(sort $(wildcard bench/*.c))
BENCH_BIN:= $(BENCH_SRC:bench/%.c=$(BUILD)/bench/%)

# The lean scanner binary (src/bin/scanq-scan.c says why): the scanner
# sources only, with jansson, c-ares and inih linked statically and libssl
# (for the tls type) dynamically.
LEAN_SRC := src/bin/scanq-scan.c $(addprefix src/,clock.c config.c log.c scan.c) \
            $(addprefix src/scan/,scanner.c testscan.c portscan.c discovery.c resolve.c \
            scope.c targets.c ports.c ports_top.c sock.c tls.c tls_hello.c detect.c)
LEAN_OBJ := $(LEAN_SRC:%.c=$(BUILD)/%.o)
LEAN_LIBS := -Wl,-Bstatic -ljansson -lcares -linih -Wl,-Bdynamic -lssl -lcrypto -lpthread -lm

.PHONY: all run test deps deps-test check unit asan fuzz bench clean

all: $(BUILD)/scanq $(BUILD)/scanq-scan $(UNIT_BIN) $(BENCH_BIN)

$(BUILD)/scanq-scan: $(LEAN_OBJ)
	$(CC) $(SAN) $^ -o $@ $(LEAN_LIBS)

$(BUILD)/%.o: %.c $(HDR)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -c $< -o $@

$(BUILD)/scanq: $(OBJ)
	$(CC) $(SAN) $^ -o $@ $(LDLIBS_ALL)

$(BUILD)/tests/%: tests/unit/%.c tests/unit/testutil.h $(LIBOBJ)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -Itests/unit $< $(LIBOBJ) -o $@ $(LDLIBS_ALL) -lcmocka

$(BUILD)/bench/%: bench/%.c $(LIBOBJ)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) $< $(LIBOBJ) -o $@ $(LDLIBS_ALL)

# Install whatever Debian package is missing (needs root, as on a fresh machine).
deps:
	@sh tools/install-deps.sh $(DEB_BUILD) $(DEB_RUN)
deps-test:
	@sh tools/install-deps.sh $(DEB_BUILD) $(DEB_RUN) $(DEB_TEST) $(DEB_BENCH)

run: deps
	$(MAKE) $(BUILD)/scanq $(BUILD)/scanq-scan
	./$(BUILD)/scanq serve

# The whole gate: warnings-as-errors build, unit + integration suites, the same
# suites under ASan+UBSan, and every fuzz target for a bounded time.
test: deps-test
	$(MAKE) all
	$(MAKE) BUILD=build-asan OPT="-O1 -g -fno-omit-frame-pointer" \
	        SAN="-fsanitize=address,undefined -fno-sanitize-recover=undefined" \
	        build-asan/scanq build-asan/scanq-scan $(UNIT_BIN:$(BUILD)/%=build-asan/%)
	$(MAKE) fuzz
	sh tests/run.sh

# Unit + integration suites against one build only (quick loop while developing).
check: all
	SCANQ_BUILDS=$(BUILD) sh tests/run.sh

FUZZ_SRC := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BIN := $(FUZZ_SRC:tests/fuzz/%.c=build-fuzz/%)
FUZZ_LIB := $(filter-out src/main.c,$(SRC))
fuzz: $(FUZZ_BIN)
build-fuzz/%: tests/fuzz/%.c $(FUZZ_LIB) $(HDR)
	@mkdir -p build-fuzz
	clang $(CSTD) -g -O1 -Isrc -Isrc/scan $(shell pkg-config --cflags $(PKGS)) -fsanitize=fuzzer,address,undefined \
	      $< $(FUZZ_LIB) -o $@ $(LDLIBS_ALL)

bench: $(BENCH_BIN) $(BUILD)/scanq $(BUILD)/scanq-scan

clean:
	rm -rf build build-asan build-fuzz
