# vtid — build, test, demo.  See README.md.
#
# Sources are discovered by directory, so adding a file needs no edit here:
#   lib/ conf/ ike/ gre/ frr-integration/ vtid/   -> build/lib*.a (one per dir)
#   vtid/main.c                                   -> build/vtid
#   vtish/*.c                                     -> build/vtish
#   tests/unit/test_*.c                           -> build/tests/test_*
#   fuzz/fuzz_*.c                                 -> build/fuzz/fuzz_*   (make fuzz, clang)
#   bench/bench_*.c                               -> build/bench/bench_*

CC      ?= cc
BUILD   ?= build
WERROR  ?=
SAN     ?=

PKGS    := libssl libcrypto libnl-3.0 libnl-route-3.0 libnl-xfrm-3.0 json-c libcap libnftables libnl-nf-3.0 libsystemd
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

WARN    := -Wall -Wextra -Wshadow -Wformat=2 -Wvla -Wmissing-prototypes
ifneq ($(WERROR),)
WARN    += -Werror
endif
HARDEN  := -fstack-protector-strong -fPIE -D_FORTIFY_SOURCE=2
OPT     ?= -O2 -g
ifneq ($(SAN),)
OPT     := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined
HARDEN  := -fPIE
endif
CFLAGS  ?=
CFLAGS  += -std=c11 -D_GNU_SOURCE $(OPT) $(WARN) $(HARDEN) -I. $(PKG_CFLAGS) -MMD -MP
LDFLAGS += -pie -Wl,-z,relro,-z,now
ifneq ($(SAN),)
LDFLAGS += -fsanitize=address,undefined
endif
LIBS    := $(PKG_LIBS) -lpthread

# One archive per directory, so a test links only the layers it exercises:
#   test_conf_*  -> conf lib        test_ike_* -> ike lib
#   test_gre_*   -> gre lib         test_frr_* -> frr-integration conf lib
#   test_*       -> everything
LIBDIRS := lib conf ike gre frr-integration vtid
dirsrc   = $(filter-out vtid/main.c,$(wildcard $(1)/*.c))
dirobj   = $(patsubst %.c,$(BUILD)/obj/%.o,$(call dirsrc,$(1)))
LIB_lib  := $(BUILD)/liblib.a
LIB_conf := $(BUILD)/libconf.a
LIB_ike  := $(BUILD)/libike.a
LIB_gre  := $(BUILD)/libgre.a
LIB_frr  := $(BUILD)/libfrr.a
LIB_vtid := $(BUILD)/libvtidcore.a
ALLLIBS  := $(LIB_vtid) $(LIB_frr) $(LIB_ike) $(LIB_gre) $(LIB_conf) $(LIB_lib)
LIBSRC   := $(foreach d,$(LIBDIRS),$(call dirsrc,$(d)))
VTISHSRC := $(wildcard vtish/*.c)
VTISHOBJ := $(VTISHSRC:%.c=$(BUILD)/obj/%.o)
TESTSRC  := $(wildcard tests/unit/test_*.c)
TESTBIN  := $(TESTSRC:tests/unit/%.c=$(BUILD)/tests/%)
TCHECK   := $(BUILD)/obj/tests/unit/tcheck.o
BENCHSRC := $(wildcard bench/bench_*.c)
BENCHBIN := $(BENCHSRC:bench/%.c=$(BUILD)/bench/%)
TOOLSRC  := $(wildcard tests/tools/*.c)
TOOLBIN  := $(TOOLSRC:tests/tools/%.c=$(BUILD)/tools/%)

.SECONDARY:
.PHONY: all bins install deb check asan test fuzz bench demo demo-down deps clean interop format compdb
all: $(BUILD)/vtid $(BUILD)/vtish $(TESTBIN) $(TOOLBIN) $(BENCHBIN)
bins: $(BUILD)/vtid $(BUILD)/vtish

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c -o $@ $<

define archive
$(1): $(call dirobj,$(2))
	@mkdir -p $$(dir $$@)
	rm -f $$@ && ar rcs $$@ $$^
endef
$(eval $(call archive,$(LIB_lib),lib))
$(eval $(call archive,$(LIB_conf),conf))
$(eval $(call archive,$(LIB_ike),ike))
$(eval $(call archive,$(LIB_gre),gre))
$(eval $(call archive,$(LIB_frr),frr-integration))
$(eval $(call archive,$(LIB_vtid),vtid))

$(BUILD)/vtid: $(BUILD)/obj/vtid/main.o $(ALLLIBS)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

$(BUILD)/vtish: $(VTISHOBJ) $(LIB_lib)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS) -lreadline

$(BUILD)/tests/test_conf_%: $(BUILD)/obj/tests/unit/test_conf_%.o $(TCHECK) $(LIB_conf) $(LIB_lib)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)
$(BUILD)/tests/test_ike_%: $(BUILD)/obj/tests/unit/test_ike_%.o $(TCHECK) $(LIB_ike) $(LIB_lib)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)
$(BUILD)/tests/test_gre_%: $(BUILD)/obj/tests/unit/test_gre_%.o $(TCHECK) $(LIB_gre) $(LIB_lib)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)
$(BUILD)/tests/test_frr_%: $(BUILD)/obj/tests/unit/test_frr_%.o $(TCHECK) $(LIB_frr) $(LIB_conf) $(LIB_lib)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)
$(BUILD)/tests/test_%: $(BUILD)/obj/tests/unit/test_%.o $(TCHECK) $(ALLLIBS)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

$(BUILD)/tools/%: $(BUILD)/obj/tests/tools/%.o $(ALLLIBS)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

$(BUILD)/bench/%: $(BUILD)/obj/bench/%.o $(ALLLIBS)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

# Installs whatever Debian packages are missing (idempotent), then builds.
deps:
	@scripts/deps

# The README's two commands.  `make check` builds with -Werror and runs the
# whole suite, then builds again with ASan+UBSan and runs the suite again.
check: deps
	$(MAKE) WERROR=1 all
	BUILD=$(BUILD) tests/run --label plain
	$(MAKE) asan-build
	BUILD=build-asan VTID_GUEST_BUILD=$(BUILD) tests/run --label asan
	@tests/run --total plain asan

test: all
	BUILD=$(BUILD) tests/run

asan-build:
	$(MAKE) BUILD=build-asan SAN=1 WERROR=1 all

asan: deps asan-build
	BUILD=build-asan tests/run --label asan

demo: deps
	$(MAKE) all
	tests/lab/demo

demo-down:
	tests/lab/lab down demo

interop: deps all
	BUILD=$(BUILD) tests/run --interop

fuzz:
	$(MAKE) -f fuzz/Makefile BUILD=build-fuzz

bench: deps all
	bench/run

# make install [PREFIX=/usr/local] [DESTDIR=/tmp/stage]: what the Debian
# package holds (make deb installs PREFIX=/usr).  The configuration stays in
# /etc/vtid whatever the prefix (vtid's default -f); an existing vtid.conf
# is never replaced.  docs/INSTALL.md.
PREFIX  ?= /usr/local
SBINDIR ?= $(PREFIX)/sbin
BINDIR  ?= $(PREFIX)/bin
MANDIR  ?= $(PREFIX)/share/man
ifeq ($(PREFIX),/usr)
UNITDIR ?= /lib/systemd/system
else
UNITDIR ?= $(PREFIX)/lib/systemd/system
endif
CONFDIR ?= /etc/vtid
install: bins
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man5 \
		$(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(UNITDIR) $(DESTDIR)$(CONFDIR)
	install -m 0755 $(BUILD)/vtid $(DESTDIR)$(SBINDIR)/vtid
	install -m 0755 $(BUILD)/vtish $(DESTDIR)$(BINDIR)/vtish
	install -m 0644 man/vtid.8 man/vtish.8 $(DESTDIR)$(MANDIR)/man8/
	install -m 0644 man/vtid.conf.5 $(DESTDIR)$(MANDIR)/man5/
	sed 's|@SBINDIR@|$(SBINDIR)|g' systemd/vtid.service.in >$(BUILD)/vtid.service
	install -m 0644 $(BUILD)/vtid.service $(DESTDIR)$(UNITDIR)/vtid.service
	[ -e $(DESTDIR)$(CONFDIR)/vtid.conf ] || install -m 0600 etc/vtid.conf $(DESTDIR)$(CONFDIR)/vtid.conf

# make deb: the Debian package (debhelper, dpkg-buildpackage), built from a
# copy of the sources in $(BUILD)/deb, which receives vtid_*.deb.
# tests/integration/t-deb.sh checks it with dpkg-deb and lintian.
DEBSRC := Makefile LICENSE README.md lib conf ike gre frr-integration vtid vtish man systemd etc debian
deb:
	rm -rf $(BUILD)/deb && mkdir -p $(BUILD)/deb/vtid
	cp -a $(DEBSRC) $(BUILD)/deb/vtid/
	cd $(BUILD)/deb/vtid && dpkg-buildpackage -us -uc -b
	@ls $(BUILD)/deb/*.deb

compdb: compile_commands.json
compile_commands.json: $(LIBSRC) $(VTISHSRC) $(TESTSRC) vtid/main.c
	scripts/compdb $(CC) "$(CFLAGS)" $^ > $@

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf build build-asan build-fuzz

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
