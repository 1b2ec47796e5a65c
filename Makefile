# dlmscope — plain Makefile.
#
#   make            library (static + shared) and the dlmscope CLI, in build/release
#   make check      unit suites + end-to-end CLI tests, plain and under ASan+UBSan
#   make demo       decode the bundled sample traces
#   make fuzz       libFuzzer targets (FUZZ_SECONDS each, default 60)
#   make install    PREFIX=/usr/local DESTDIR=
#
# Missing build dependencies are installed with apt-get when running as root;
# otherwise the exact command is printed.

PREFIX  ?= /usr/local
DESTDIR ?=
CC      ?= cc
FUZZ_CC ?= clang
FUZZ_SECONDS ?= 60

VERSION := $(shell sed -n 's/^#define DLMSCOPE_VERSION "\(.*\)"/\1/p' include/dlmscope/dlmscope.h)

# Debian package -> a file whose presence proves it is installed
DEPS := libxml2-dev:/usr/include/libxml2/libxml/parser.h \
        libmbedtls-dev:/usr/include/mbedtls/gcm.h \
        libpcap-dev:/usr/include/pcap/pcap.h \
        check:/usr/include/check.h \
        pkg-config:/usr/bin/pkg-config \
        libxml2-utils:/usr/bin/xmllint \
        groff-base:/usr/bin/groff \
        python3-minimal:/usr/bin/python3
FUZZ_DEPS := clang:/usr/bin/clang libclang-rt-14-dev:/usr/lib/llvm-14/lib/clang/14.0.6/lib/linux/libclang_rt.fuzzer-x86_64.a

define missing_pkgs
$(strip $(foreach d,$(1),$(if $(wildcard $(lastword $(subst :, ,$(d)))),,$(firstword $(subst :, ,$(d))))))
endef

MISSING := $(call missing_pkgs,$(DEPS))

WARN    := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wformat=2 -Wvla
BASE_CFLAGS := -std=c11 -D_POSIX_C_SOURCE=200809L $(WARN) -Iinclude -Isrc \
               $(shell pkg-config --cflags libxml-2.0 2>/dev/null)
# dlopen() and pthread_once() (src/capture/pcap_load.c) live in libdl and libpthread before
# glibc 2.34, in libc since: linked only when a program calling them does not link without
DL_LIBS := $(shell printf '\043include <dlfcn.h>\n\043include <pthread.h>\nstatic pthread_once_t once = PTHREAD_ONCE_INIT;\nstatic void nothing(void) {}\nint main(void) { pthread_once(&once, nothing); return dlopen("", RTLD_NOW) == 0; }\n' | \
             $(CC) -x c - -o /dev/null 2>/dev/null || echo -ldl -lpthread)
LIBS    := $(shell pkg-config --libs libxml-2.0 2>/dev/null) \
           $(shell pkg-config --libs mbedcrypto 2>/dev/null || echo -lmbedcrypto) \
           -lm $(DL_LIBS)
# libpcap is not linked: src/capture/pcap_load.c loads it when a capture is read (its headers
# are still needed to build, hence libpcap-dev above)
CHECK_LIBS := $(shell pkg-config --libs check 2>/dev/null || echo -lcheck -lsubunit -lrt -lpthread -lm)

RELEASE_CFLAGS := $(BASE_CFLAGS) -O2 -g -fPIC -fno-semantic-interposition
# DS_CHECK_CONTRACTS: the library checks its internal promises (e.g. DS_TEXT_PLAIN) and aborts
ASAN_CFLAGS    := $(BASE_CFLAGS) -O1 -g -fPIC -fsanitize=address,undefined -fno-omit-frame-pointer \
                  -fno-sanitize-recover=undefined -DDS_CHECK_CONTRACTS
ASAN_LDFLAGS   := -fsanitize=address,undefined

LIB_SRC  := $(shell find src -name '*.c' -not -path 'src/cli/*' | sort)
CLI_SRC  := $(shell find src/cli -name '*.c' | sort)
UNIT_SRC := $(sort $(wildcard tests/unit/check_*.c))
FUZZ_SRC := $(sort $(wildcard tests/fuzz/fuzz_*.c))
HEADERS  := $(shell find include src -name '*.h')

.PHONY: all deps check check-release check-asan demo fuzz install clean bench serial-matrix

all: deps build/release/dlmscope build/release/libdlmscope.a build/release/libdlmscope.so

deps:
ifneq ($(MISSING),)
	@if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "Installing build dependencies: $(MISSING)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(MISSING) >/dev/null || exit 1; \
	else \
	  echo "Missing build dependencies. Run:"; \
	  echo "  sudo apt-get install -y $(MISSING)"; exit 1; \
	fi
endif

# ---- object files, one tree per variant -------------------------------------------------
define variant
$(1)_OBJ := $$(patsubst src/%.c,build/$(1)/obj/%.o,$$(LIB_SRC))
$(1)_CLI_OBJ := $$(patsubst src/%.c,build/$(1)/obj/%.o,$$(CLI_SRC))

build/$(1)/obj/%.o: src/%.c $$(HEADERS) | deps
	@mkdir -p $$(dir $$@)
	$$(CC) $$($(2)) -c $$< -o $$@

build/$(1)/libdlmscope.a: $$($(1)_OBJ)
	@rm -f $$@.tmp.$$$$$$$$
	ar rcs $$@.tmp.$$$$$$$$ $$^ && mv -f $$@.tmp.$$$$$$$$ $$@

build/$(1)/dlmscope: $$($(1)_CLI_OBJ) build/$(1)/libdlmscope.a
	$$(CC) $$($(3)) -o $$@ $$($(1)_CLI_OBJ) build/$(1)/libdlmscope.a $$(LIBS)

build/$(1)/tests/%: tests/unit/%.c build/$(1)/libdlmscope.a $$(HEADERS) $$(wildcard tests/unit/*.h) | deps
	@mkdir -p $$(dir $$@)
	$$(CC) $$($(2)) -Itests/unit $$< -o $$@ build/$(1)/libdlmscope.a $$(LIBS) $$(CHECK_LIBS) $$($(3))
endef

$(eval $(call variant,release,RELEASE_CFLAGS,RELEASE_LDFLAGS))
$(eval $(call variant,asan,ASAN_CFLAGS,ASAN_LDFLAGS))

# Only the functions of the public headers are exported (tests/lib/exports.sh writes the list).
build/release/libdlmscope.map: $(wildcard include/dlmscope/*.h) tests/lib/exports.sh
	@mkdir -p $(dir $@)
	tests/lib/exports.sh > $@.tmp && mv $@.tmp $@

build/release/libdlmscope.so: $(release_OBJ) build/release/libdlmscope.map
	$(CC) -shared -Wl,-soname,libdlmscope.so.0 -Wl,--version-script=build/release/libdlmscope.map \
	  -o $@ $(release_OBJ) $(LIBS)

RELEASE_UNIT := $(patsubst tests/unit/%.c,build/release/tests/%,$(UNIT_SRC))
ASAN_UNIT    := $(patsubst tests/unit/%.c,build/asan/tests/%,$(UNIT_SRC))

# ---- tests ---------------------------------------------------------------------------------
check: deps
	@$(MAKE) --no-print-directory check-release
	@$(MAKE) --no-print-directory check-asan
	@echo "make check: all suites passed (release and ASan+UBSan)"

# the serial port played on a pseudo-terminal for tests/e2e/listen.sh
build/release/ptywriter: tests/e2e/ptywriter.c | deps
	@mkdir -p $(dir $@)
	$(CC) $(RELEASE_CFLAGS) $< -o $@ -lutil

# the fault-injecting loopback relay of tests/e2e/faults.sh
build/release/faultrelay: tests/e2e/faultrelay.c | deps
	@mkdir -p $(dir $@)
	$(CC) $(RELEASE_CFLAGS) $< -o $@

check-release: build/release/dlmscope build/release/libdlmscope.so build/release/ptywriter build/release/faultrelay $(RELEASE_UNIT)
	@tests/run-units.sh release $(RELEASE_UNIT)
	@tests/lib/shared.sh build/release $(CC)
	@tests/lib/installed.sh $(CC)
	@tests/lib/manpages.sh man/*.1 man/*.5
	@tests/lib/layers.sh
	@tests/e2e/run.sh build/release/dlmscope
	@tests/e2e/cli.sh build/release/dlmscope
	@tests/e2e/encode.sh build/release/dlmscope
	@tests/e2e/roundtrip.sh build/release/dlmscope
	@tests/e2e/roundtrip_json.sh build/release/dlmscope
	@tests/e2e/security.sh build/release/dlmscope
	@tests/e2e/values.sh build/release/dlmscope build/release/tests/check_value
	@tests/e2e/pcap.sh build/release/dlmscope
	@tests/e2e/listen.sh build/release/dlmscope build/release/ptywriter
	@tests/e2e/runscript.sh build/release/dlmscope
	@tests/e2e/emulate.sh build/release/dlmscope
	@tests/e2e/run_emulate.sh build/release/dlmscope
	@tests/e2e/replay.sh build/release/dlmscope
	@tests/e2e/emulate_faults.sh build/release/dlmscope
	@tests/e2e/run_image.sh build/release/dlmscope
	@tests/e2e/diagnose.sh build/release/dlmscope build/release/ptywriter
	@tests/e2e/faults.sh build/release/dlmscope build/release/faultrelay
	@tests/e2e/load.sh build/release/dlmscope 50 100

check-asan: build/asan/dlmscope build/release/ptywriter build/release/faultrelay $(ASAN_UNIT)
	@ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  tests/run-units.sh asan $(ASAN_UNIT)
	@ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  tests/e2e/run.sh build/asan/dlmscope
	@ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  tests/e2e/cli.sh build/asan/dlmscope
	@ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  tests/e2e/encode.sh build/asan/dlmscope
	@ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  tests/e2e/roundtrip.sh build/asan/dlmscope
	@ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  tests/e2e/roundtrip_json.sh build/asan/dlmscope
	@ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  tests/e2e/security.sh build/asan/dlmscope
	@ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  tests/e2e/values.sh build/asan/dlmscope build/asan/tests/check_value
	@ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  tests/e2e/pcap.sh build/asan/dlmscope
	@ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  tests/e2e/listen.sh build/asan/dlmscope build/release/ptywriter
	@ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  tests/e2e/runscript.sh build/asan/dlmscope
	@ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  tests/e2e/emulate.sh build/asan/dlmscope
	@ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  tests/e2e/run_emulate.sh build/asan/dlmscope
	@ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  tests/e2e/replay.sh build/asan/dlmscope
	@ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  tests/e2e/emulate_faults.sh build/asan/dlmscope
	@ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  tests/e2e/run_image.sh build/asan/dlmscope
	@ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  tests/e2e/diagnose.sh build/asan/dlmscope build/release/ptywriter
	@ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  tests/e2e/faults.sh build/asan/dlmscope build/release/faultrelay
	@ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  tests/e2e/load.sh build/asan/dlmscope 50 50

# ---- demo ----------------------------------------------------------------------------------
demo: all
	@echo "== dlmscope decode testdata/demo/session.log (a logged client/server session)"
	@build/release/dlmscope decode testdata/demo/session.log; rc=$$?; \
	  echo "== exit status $$rc"; \
	  echo "== dlmscope decode testdata/demo/han-push.hex (a Norwegian Kaifa HAN push)"; \
	  build/release/dlmscope decode testdata/demo/han-push.hex; \
	  echo "== exit status $$?"

# ---- fuzzing (clang libFuzzer) -----------------------------------------------------------------
FUZZ_CFLAGS := -std=c11 -D_POSIX_C_SOURCE=200809L -DDS_CHECK_CONTRACTS -Iinclude -Isrc -g -O1 \
               -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
               $(shell pkg-config --cflags libxml-2.0 2>/dev/null)
FUZZ_BIN := $(patsubst tests/fuzz/%.c,build/fuzz/%,$(FUZZ_SRC))

build/fuzz/%: tests/fuzz/%.c $(LIB_SRC) $(HEADERS)
	@mkdir -p build/fuzz
	$(FUZZ_CC) $(FUZZ_CFLAGS) $< $(LIB_SRC) -o $@ $(LIBS)

fuzz: deps
	@missing="$(call missing_pkgs,$(FUZZ_DEPS))"; if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get install -y -qq $$missing >/dev/null || exit 1; \
	  else echo "Run: sudo apt-get install -y $$missing"; exit 1; fi; fi
	@$(MAKE) --no-print-directory $(FUZZ_BIN)
	@for f in $(FUZZ_BIN); do \
	  name=$$(basename $$f); mkdir -p build/fuzz/corpus-$$name; \
	  seeds=tests/fuzz/seeds/$$name; [ -d $$seeds ] || seeds=testdata/corpus; \
	  echo "== $$name for $(FUZZ_SECONDS)s"; \
	  $$f -max_total_time=$(FUZZ_SECONDS) -max_len=4096 -print_final_stats=1 \
	      build/fuzz/corpus-$$name $$seeds 2>&1 | grep -E 'stat::number_of_executed_units|ERROR|SUMMARY|Done' || exit 1; \
	done

# ---- benchmark (tests/bench/README.md; BENCH_SCALE=0.05 for a quick run, BENCH_KEEP=1) ----------
build/release/dlmscope-bench: tests/bench/bench.c build/release/libdlmscope.a
	@mkdir -p $(dir $@)
	$(CC) $(RELEASE_CFLAGS) $< -o $@ build/release/libdlmscope.a $(LIBS)

# the wrong-serial-settings matrix (issue 14): a report of which mis-settings are named, not a test
build/release/dlmscope-serial-matrix: tests/bench/serial_matrix.c build/release/libdlmscope.a
	@mkdir -p $(dir $@)
	$(CC) $(RELEASE_CFLAGS) $< -o $@ build/release/libdlmscope.a $(LIBS)

# the same guard on other protocols (P1, IEC 62056-21, Modbus, NMEA, text, deflate, cipher) sent
# through the matrix's mis-settings: false setting verdicts per class
build/release/dlmscope-serial-negatives: tests/bench/serial_negatives.c build/release/libdlmscope.a
	@mkdir -p $(dir $@)
	$(CC) $(RELEASE_CFLAGS) $< -o $@ build/release/libdlmscope.a $(LIBS) -lz

# the matrix's false-verdict guard: bytes that are not DLMS (program files cut in chunks) must get
# no setting verdict; a report of those they get (directly or as `dlmscope diagnose` does)
build/release/dlmscope-serial-chunks: tests/bench/serial_chunks.c build/release/libdlmscope.a
	@mkdir -p $(dir $@)
	$(CC) $(RELEASE_CFLAGS) $< -o $@ build/release/libdlmscope.a $(LIBS)

serial-matrix: build/release/dlmscope-serial-matrix
	@build/release/dlmscope-serial-matrix

bench: build/release/dlmscope build/release/dlmscope-bench
	@build/release/dlmscope-bench build/release/dlmscope
	@tests/e2e/load.sh build/release/dlmscope 50 1000
	@tests/bench/image.sh build/release/dlmscope

# ---- install -------------------------------------------------------------------------------------
install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/pkgconfig \
	           $(DESTDIR)$(PREFIX)/include/dlmscope $(DESTDIR)$(PREFIX)/share/man/man1 \
	           $(DESTDIR)$(PREFIX)/share/man/man5
	install -m 755 build/release/dlmscope $(DESTDIR)$(PREFIX)/bin/
	install -m 644 build/release/libdlmscope.a $(DESTDIR)$(PREFIX)/lib/
	install -m 755 build/release/libdlmscope.so $(DESTDIR)$(PREFIX)/lib/libdlmscope.so.$(VERSION)
	ln -sf libdlmscope.so.$(VERSION) $(DESTDIR)$(PREFIX)/lib/libdlmscope.so.0
	ln -sf libdlmscope.so.0 $(DESTDIR)$(PREFIX)/lib/libdlmscope.so
	install -m 644 include/dlmscope/*.h $(DESTDIR)$(PREFIX)/include/dlmscope/
	install -m 644 man/*.1 $(DESTDIR)$(PREFIX)/share/man/man1/
	$(if $(wildcard man/*.5),install -m 644 man/*.5 $(DESTDIR)$(PREFIX)/share/man/man5/)
	printf 'prefix=%s\nlibdir=$${prefix}/lib\nincludedir=$${prefix}/include\n\nName: libdlmscope\nDescription: DLMS/COSEM frame translator and protocol analyzer\nVersion: %s\nRequires.private: libxml-2.0\nLibs: -L$${libdir} -ldlmscope\nLibs.private: -lmbedcrypto -lm%s\nCflags: -I$${includedir}\n' \
	  '$(PREFIX)' '$(VERSION)' '$(if $(DL_LIBS), $(DL_LIBS))' > $(DESTDIR)$(PREFIX)/lib/pkgconfig/libdlmscope.pc

clean:
	rm -rf build
