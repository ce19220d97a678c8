# ERTS, the Erlang runtime every core runs, and the boot archive root.
# Included by the root Makefile (after `B := build`). docs/erts-build.md says how.
#   make erts           build/erts/beam.smp: OTP 25.2.3 + beam-patches, static, musl
#   make rootfs         build/rootfs/: what a node boots from (the archive's contents)
#   make host-test      boot that beam.smp on Linux, as a core will, and check it
#   make erts-syscalls  regenerate docs/erts-syscalls.txt (strace of the host boot)

ERTS_PATCHES := $(sort $(wildcard beam-patches/*.patch))
# Static port drivers linked into beam.smp (absolute paths of .a archives,
# comma-separated); they must exist before ERTS's make. The archive's name is
# the driver's: msgchan.a holds msgchan_driver_init (DRIVER_INIT under
# -DSTATIC_ERLANG_DRIVER). Headers: Debian's erlang-dev, the same OTP release.
MSGCHAN_DRV := $(abspath $(B)/bifs/msgchan.a)
ERTS_STATIC_DRIVERS ?= $(MSGCHAN_DRV)
export ERTS_STATIC_DRIVERS
erts_comma := ,
ERTS_BEAM := $(B)/erts/beam.smp
ROOTFS_STAMP := $(B)/rootfs.stamp
# The boot script and the kernel/stdlib .beam files come from erlang-base.
ERL_BOOT := $(wildcard /usr/lib/erlang/releases/*/no_dot_erlang.boot)

.PHONY: erts erts-nocaps rootfs host-test erts-syscalls erts-clean

# Our C compiled inside the emulator (tools/build-erts.sh: OWN_SOURCES).
ERTS_OWN_SOURCES := bifs/hydros_cap.c bifs/hydros_io.c bifs/hydros_bif.h percore/hydros_abi.h
$(ERTS_BEAM): tools/build-erts.sh tools/build-openssl.sh $(ERTS_PATCHES) $(ERTS_OWN_SOURCES) \
		$(subst $(erts_comma), ,$(ERTS_STATIC_DRIVERS)) | deps
	tools/build-erts.sh
	@touch $@
erts: $(ERTS_BEAM)

# The same ERTS without the capabilities patch, for bench/caps only.
ERTS_NOCAPS_BEAM := $(B)/erts-nocaps/beam.smp
$(ERTS_NOCAPS_BEAM): tools/build-erts.sh tools/build-openssl.sh $(ERTS_PATCHES) $(subst $(erts_comma), ,$(ERTS_STATIC_DRIVERS)) | deps
	ERTS_VARIANT=nocaps tools/build-erts.sh
	@touch $@
erts-nocaps: $(ERTS_NOCAPS_BEAM)

# bifs/: the msgchan port driver (ar D: the same source gives the same
# archive, which build-erts.sh fingerprints).
$(B)/bifs/msgchan.o: bifs/msgchan_drv.c | deps
	@mkdir -p $(dir $@)
	musl-gcc -std=gnu11 -O2 -g -Wall -Wextra -Werror -DSTATIC_ERLANG_DRIVER \
	  -I/usr/lib/erlang/usr/include -c -o $@ $<
$(MSGCHAN_DRV): $(B)/bifs/msgchan.o
	rm -f $@ && ar rcsD $@ $<

# Kernel modules that beam-patches/0003 and 0004 change, compiled from the
# patched tree (build/otp, where build-erts.sh applied every patch).
PATCHED_KERNEL := code_server,file_server,file,erl_erts_errors,erl_kernel_errors
# The OTP applications every image carries besides kernel and stdlib, from
# the same installed release as ERTS (tools/deps.sh installs them), and
# the APPS="..." of `make image APPS="ssl ssh"`. The list is kept in a file
# so that a change of it rebuilds the root.
# eunit and common_test (with xmerl, which it writes its logs with) run
# tests on a node as they do on Linux.
OTP_APPS := compiler sasl runtime_tools tools mnesia crypto asn1 public_key eunit common_test xmerl $(APPS)
# ELIXIR=1: Debian's Elixir (1.14, made for OTP 25) on every node as well,
# and IEx as the console's shell (tools/mkrelease.py --iex; docs/elixir.md).
ELIXIR ?=
ELIXIR_APPS := $(if $(ELIXIR),elixir logger iex eex ex_unit)
OTP_APPS_FILE := $(B)/otp-apps
$(OTP_APPS_FILE): FORCE
	@mkdir -p $(dir $@)
	@echo "$(OTP_APPS) elixir: $(ELIXIR_APPS)" | cmp -s - $@ || echo "$(OTP_APPS) elixir: $(ELIXIR_APPS)" > $@
.PHONY: FORCE
FORCE:
$(ROOTFS_STAMP): tools/mkrootfs.py $(ERTS_BEAM) $(ERL_BOOT) $(OTP_APPS_FILE)
	python3 tools/mkrootfs.py --beam $(B)/erts/beam.smp.stripped \
	  --patched $(B)/otp:kernel:$(PATCHED_KERNEL) --apps "$(OTP_APPS)" --elixir "$(ELIXIR_APPS)" $(B)/rootfs
	@touch $@
rootfs: $(ROOTFS_STAMP)

host-test: $(ROOTFS_STAMP)
	tests/host/boot_erts.sh

erts-syscalls: $(ROOTFS_STAMP)
	tests/host/erts_syscalls.sh > docs/erts-syscalls.txt.new
	mv docs/erts-syscalls.txt.new docs/erts-syscalls.txt

# Keeps build/otp-src (the fetched source); the next build re-copies and rebuilds.
erts-clean:
	rm -rf $(B)/otp $(B)/erts $(B)/otp-nocaps $(B)/erts-nocaps $(B)/rootfs $(B)/rootfs.new $(ROOTFS_STAMP)
