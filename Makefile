# ksvm: one non-recursive Makefile for the whole tree.
#
#   make                 build every tool into build/rel/bin
#   make check           install missing Debian packages, build, run every test
#                        (unit, CLI, golden, schemas, man pages), then the unit
#                        tests and fuzz corpora again under ASan + UBSan
#   make demo            install missing packages, build, run the tools on samples/
#   make SANITIZE=1 ...  the same with AddressSanitizer + UndefinedBehaviorSanitizer
#   make fuzz            build the libFuzzer targets with clang and run each one
#                        for FUZZ_SECONDS (not part of check)
#   make install         PREFIX=/usr/local DESTDIR= (binaries, man pages,
#                        completions, sample configuration); make uninstall
#
# Packagers: WERROR= turns warnings back into warnings; CFLAGS, CPPFLAGS and
# LDFLAGS are honoured.

VERSION := 0.1.0

PREFIX     ?= /usr/local
BINDIR     ?= $(PREFIX)/bin
MANDIR     ?= $(PREFIX)/share/man
DATADIR    ?= $(PREFIX)/share/ksvm
COMPLDIR   ?= $(PREFIX)/share/bash-completion/completions
SYSTEMDDIR ?= $(PREFIX)/lib/systemd/system
ifeq ($(PREFIX),/usr)
SYSCONFDIR ?= /etc
else
SYSCONFDIR ?= $(PREFIX)/etc
endif

PKG_CONFIG ?= pkg-config
PKGS       := yara libmagic libpcap json-c libarchive lmdb libcrypto libssl inih \
              libidn2 libpsl libpcre2-8 libhs zlib
PKG_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null)

CFLAGS  ?= -O2 -g
WERROR  ?= -Werror
WARN    := -Wall -Wextra -Wformat=2 -Wshadow -Wstrict-prototypes \
           -Wmissing-prototypes -Wpointer-arith -Wwrite-strings -Wundef \
           -Wvla -Wimplicit-fallthrough -Wno-missing-field-initializers \
           $(WERROR)

ifeq ($(SANITIZE),1)
B        ?= build/san
MODEFLAGS := -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all \
             -fno-omit-frame-pointer
MODELDFLAGS := -fsanitize=address,undefined
else ifeq ($(FUZZ),1)
B        ?= build/fuzz
MODEFLAGS := -O1 -g -fsanitize=fuzzer-no-link,address,undefined \
             -fno-sanitize-recover=all -fno-omit-frame-pointer
MODELDFLAGS := -fsanitize=address,undefined
else
B        ?= build/rel
MODEFLAGS := -D_FORTIFY_SOURCE=2 -fstack-protector-strong
MODELDFLAGS :=
endif

ALL_CPPFLAGS := -Ilib -DKSVM_VERSION='"$(VERSION)"' -D_GNU_SOURCE $(CPPFLAGS)
ALL_CFLAGS   := -std=gnu11 -pthread $(CFLAGS) $(MODEFLAGS) $(WARN) $(PKG_CFLAGS)
ALL_LDFLAGS  := -pthread -Wl,--as-needed $(LDFLAGS) $(MODELDFLAGS)
LDLIBS       := $(PKG_LIBS) -lm

LIB_SRC   := $(sort $(wildcard lib/*/*.c))
LIB_OBJ   := $(LIB_SRC:%.c=$(B)/obj/%.o)
LIBKSVM   := $(B)/libksvm.a

TOOLS     := $(notdir $(wildcard cmd/*))
SCRIPTS   := $(notdir $(wildcard scripts/bin/*))
TOOL_BINS := $(TOOLS:%=$(B)/bin/%)

UNIT_SRC  := $(sort $(wildcard tests/unit/*.c))
UNIT_OBJ  := $(UNIT_SRC:%.c=$(B)/obj/%.o)
UNIT_BIN  := $(B)/tests/unit

TESTTOOL_SRC := $(sort $(wildcard tests/tools/*.c))
TESTTOOL_BINS := $(TESTTOOL_SRC:tests/tools/%.c=$(B)/tests/%)

FUZZ_SRC  := $(sort $(wildcard tests/fuzz/fuzz-*.c))
FUZZ_NAMES := $(FUZZ_SRC:tests/fuzz/fuzz-%.c=%)
REPLAY_BINS := $(FUZZ_NAMES:%=$(B)/fuzz/replay-%)
FUZZ_BINS := $(FUZZ_NAMES:%=$(B)/fuzz/fuzz-%)
FUZZ_SECONDS ?= 60

MAN_PAGES := $(sort $(wildcard man/*.[1-8]))

.SECONDARY:

.PHONY: all tools lib unit-bin test-tools replay-bins check check-run demo \
        unit bats golden fuzz-replay lint-man schemas fuzz fuzz-bins conformance \
        install uninstall clean deps fuzz-merge

all: tools test-tools

tools: $(TOOL_BINS)
lib: $(LIBKSVM)
unit-bin: $(UNIT_BIN)
test-tools: $(TESTTOOL_BINS)
replay-bins: $(REPLAY_BINS)

ifeq ($(V),1)
Q :=
else
Q := @
endif

$(B)/obj/%.o: %.c
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

$(LIBKSVM): $(LIB_OBJ)
	@mkdir -p $(@D)
	@rm -f $@
	@$(if $(Q),echo "  AR      $@")
	$(Q)$(AR) rcs $@ $^

define tool_rule
$(1)_OBJ := $$(patsubst %.c,$$(B)/obj/%.o,$$(sort $$(wildcard cmd/$(1)/*.c)))
$$(B)/bin/$(1): $$($(1)_OBJ) $$(LIBKSVM)
	@mkdir -p $$(@D)
	@$$(if $$(Q),echo "  LD      $$@")
	$$(Q)$$(CC) $$(ALL_LDFLAGS) -o $$@ $$($(1)_OBJ) $$(LIBKSVM) $$(LDLIBS)
endef
$(foreach t,$(TOOLS),$(eval $(call tool_rule,$(t))))

$(UNIT_BIN): $(UNIT_OBJ) $(LIBKSVM)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $(UNIT_OBJ) $(LIBKSVM) $(LDLIBS)

$(B)/tests/%: $(B)/obj/tests/tools/%.o $(LIBKSVM)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $< $(LIBKSVM) $(LDLIBS)

# Replay drivers: the fuzz target plus a main() that feeds it every file of
# its corpus; built with the normal compiler (gcc) and mode flags.
$(B)/fuzz/replay-%: $(B)/obj/tests/fuzz/fuzz-%.o $(B)/obj/tests/fuzz/replay.o $(LIBKSVM)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LDLIBS)

# libFuzzer binaries (FUZZ=1 CC=clang, see the fuzz target).
$(B)/fuzz/fuzz-%: $(B)/obj/tests/fuzz/fuzz-%.o $(LIBKSVM)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -fsanitize=fuzzer -o $@ $^ $(LDLIBS)

# kurlcheck carries the sample feeds (.incbin, which -MMD does not see).
$(B)/obj/cmd/kurlcheck/sample.o: $(wildcard samples/feeds/*)

-include $(shell find $(B)/obj -name '*.d' 2>/dev/null)

# ---- tests --------------------------------------------------------------

deps:
	@scripts/deps check

check:
	@scripts/deps check
	@$(MAKE) --no-print-directory check-run

check-run:
	@B=$(B) scripts/check $(if $(filter 1,$(SANITIZE)),--sanitized)

unit: $(UNIT_BIN)
	$(UNIT_BIN)

bats: tools test-tools
	KSVM_BIN=$(CURDIR)/$(B)/bin KSVM_TESTBIN=$(CURDIR)/$(B)/tests \
	    KSVM_BUILD=$(B) KSVM_SANITIZE=$(SANITIZE) bats --tap tests/bats

golden: tools test-tools
	KSVM_BIN=$(CURDIR)/$(B)/bin KSVM_TESTBIN=$(CURDIR)/$(B)/tests \
	    tests/golden/run

# Conformance runs on reference data kept beside the project
# (../shared/data); each script skips, saying so, when its data is absent.
conformance: tools
	@fail=0; for c in tests/conformance/*; do \
	    [ -f "$$c" ] && [ -x "$$c" ] || continue; \
	    $$c $(B)/bin || fail=1; \
	done; exit $$fail

fuzz-replay: $(REPLAY_BINS)
	@fail=0; for n in $(FUZZ_NAMES); do \
	    $(B)/fuzz/replay-$$n tests/fuzz/corpus/$$n || fail=1; \
	done; exit $$fail

lint-man:
	@tests/lint-man $(MAN_PAGES)

demo:
	@scripts/deps demo
	@$(MAKE) --no-print-directory tools
	@scripts/demo $(B)/bin

fuzz:
	@scripts/deps fuzz
	@$(MAKE) --no-print-directory FUZZ=1 CC=clang fuzz-bins
	@for n in $(FUZZ_NAMES); do \
	    echo "fuzzing $$n for $(FUZZ_SECONDS)s"; \
	    mkdir -p build/fuzz/new/$$n; \
	    build/fuzz/fuzz/fuzz-$$n -max_total_time=$(FUZZ_SECONDS) \
	        -artifact_prefix=build/fuzz/crash-$$n- \
	        build/fuzz/new/$$n tests/fuzz/corpus/$$n || exit 1; \
	done

# Fold what the last `make fuzz` found into the committed corpora, keeping
# only inputs that add coverage.
fuzz-merge:
	@for n in $(FUZZ_NAMES); do \
	    [ -d build/fuzz/new/$$n ] || continue; \
	    build/fuzz/fuzz/fuzz-$$n -merge=1 tests/fuzz/corpus/$$n build/fuzz/new/$$n; \
	done

fuzz-bins: $(FUZZ_BINS)

# ---- install ------------------------------------------------------------

install: tools
	install -d $(DESTDIR)$(BINDIR)
	for t in $(TOOLS); do install -m 0755 $(B)/bin/$$t $(DESTDIR)$(BINDIR)/$$t; done
	for s in $(SCRIPTS); do install -m 0755 scripts/bin/$$s $(DESTDIR)$(BINDIR)/$$s; done
	for m in $(MAN_PAGES); do \
	    sec=$${m##*.}; install -d $(DESTDIR)$(MANDIR)/man$$sec; \
	    install -m 0644 $$m $(DESTDIR)$(MANDIR)/man$$sec/; \
	done
	install -d $(DESTDIR)$(COMPLDIR)
	for c in completions/*; do \
	    [ -f "$$c" ] || continue; \
	    install -m 0644 $$c $(DESTDIR)$(COMPLDIR)/$$(basename $$c); \
	done
	if [ -d samples/etc ]; then \
	    install -d $(DESTDIR)$(SYSCONFDIR)/ksvm; \
	    for f in samples/etc/*; do \
	        install -m 0644 $$f $(DESTDIR)$(SYSCONFDIR)/ksvm/$$(basename $$f).sample; \
	    done; \
	fi
	install -d $(DESTDIR)$(SYSTEMDDIR) $(DESTDIR)$(SYSCONFDIR)/init.d
	sed 's|@BINDIR@|$(BINDIR)|g' scripts/init/ksvm.service >$(DESTDIR)$(SYSTEMDDIR)/ksvm.service
	sed 's|@BINDIR@|$(BINDIR)|g' scripts/init/ksvm.init >$(DESTDIR)$(SYSCONFDIR)/init.d/ksvm
	chmod 0644 $(DESTDIR)$(SYSTEMDDIR)/ksvm.service
	chmod 0755 $(DESTDIR)$(SYSCONFDIR)/init.d/ksvm
	install -d $(DESTDIR)$(DATADIR)
	install -d $(DESTDIR)$(DATADIR)/schemas
	install -m 0644 tests/schemas/*.schema.json $(DESTDIR)$(DATADIR)/schemas/
	if [ -d samples/share ]; then \
	    install -d $(DESTDIR)$(DATADIR); \
	    cp -R samples/share/. $(DESTDIR)$(DATADIR)/; \
	fi

uninstall:
	for t in $(TOOLS) $(SCRIPTS); do rm -f $(DESTDIR)$(BINDIR)/$$t; done
	for m in $(MAN_PAGES); do \
	    sec=$${m##*.}; rm -f $(DESTDIR)$(MANDIR)/man$$sec/$$(basename $$m); \
	done
	for c in completions/*; do rm -f $(DESTDIR)$(COMPLDIR)/$$(basename $$c); done
	rm -f $(DESTDIR)$(SYSTEMDDIR)/ksvm.service $(DESTDIR)$(SYSCONFDIR)/init.d/ksvm
	if [ -d samples/etc ]; then \
	    for f in samples/etc/*; do \
	        rm -f $(DESTDIR)$(SYSCONFDIR)/ksvm/$$(basename $$f).sample; \
	    done; \
	    rmdir $(DESTDIR)$(SYSCONFDIR)/ksvm 2>/dev/null || true; \
	fi
	rm -rf $(DESTDIR)$(DATADIR)

clean:
	rm -rf build
