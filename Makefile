# HydrOS multikernel: the whole build, top to bottom.
#   make          build images/hydros.img
#   make image APPS="ssl ssh"  the same, with more OTP applications of the
#                 installed release (docs/otp.md)
#   make run      boot it in QEMU (SMP=4 MEM=2G by default), serial on stdio
#   make test     host unit tests, then boot tests in QEMU and Bochs
#   make faults   the fault matrix: every fault kind on every core
#   make deps     install the Debian packages all of this needs

SMP ?= 4
MEM ?= 2G
CMDLINE ?=
B := build

.PHONY: all image deps run run-bochs test unit-test boot-test faults bench clean
all: images/hydros.img
image: images/hydros.img

## 1. Host packages (idempotent; run/test call it, it only installs what is missing)
deps:
	@tools/deps.sh

## 2. Bootloader: MBR stage 1 and stage 2, flat binaries
$(B)/boot/%.bin: bootloader/%.asm bootloader/common.inc | $(B)/boot
	nasm -f bin -I bootloader/ -o $@ $<

## 3. libc-mini and the per-core kernel, freestanding, linked at -2 GiB
GCCINC := $(shell gcc -print-file-name=include)
KCFLAGS := -std=gnu11 -O2 -g -Wall -Wextra -Werror -ffreestanding -nostdinc \
	-isystem $(GCCINC) -Ilibc-mini/include -Ipercore -Imsgchan \
	-mcmodel=kernel -mno-red-zone -mgeneral-regs-only -fno-pic -fno-pie \
	-fno-stack-protector -fno-omit-frame-pointer -fno-asynchronous-unwind-tables
LIBC_SRCS := $(wildcard libc-mini/*.c)
KERNEL_SRCS := $(wildcard percore/*.c percore/arch/*.c msgchan/*.c)
KERNEL_ASM := $(wildcard percore/arch/*.S)
KERNEL_OBJS := $(patsubst %.c,$(B)/k/%.o,$(LIBC_SRCS) $(KERNEL_SRCS)) \
	$(patsubst %.S,$(B)/k/%.o,$(KERNEL_ASM)) $(B)/k/trampoline.o $(B)/k/vdso_image.o

$(B)/k/%.o: %.c
	@mkdir -p $(dir $@)
	gcc $(KCFLAGS) -MMD -MP -c -o $@ $<
$(B)/k/%.o: %.S
	@mkdir -p $(dir $@)
	gcc $(KCFLAGS) -MMD -MP -c -o $@ $<
# The AP trampoline starts in real mode: nasm builds it flat, the kernel embeds it.
$(B)/boot/trampoline.bin: percore/arch/trampoline.asm | $(B)/boot
	nasm -f bin -o $@ $<
$(B)/k/trampoline.o: $(B)/boot/trampoline.bin
	@mkdir -p $(dir $@)
	cd $(B)/boot && objcopy -I binary -O elf64-x86-64 -B i386:x86-64 \
	  --rename-section .data=.rodata,alloc,load,readonly,data,contents \
	  trampoline.bin $(abspath $@)
# The vDSO every node maps (percore/vdso.h): a shared object with no
# relocations (it runs wherever it is mapped), embedded in the kernel.
$(B)/vdso/vdso.so: percore/vdso/vdso.c percore/vdso/vdso.lds percore/vdso_data.h
	@mkdir -p $(dir $@)
	gcc -std=gnu11 -O2 -Wall -Wextra -Werror -fPIC -shared -nostdlib -fno-stack-protector \
	  -fno-asynchronous-unwind-tables -Ipercore -Wl,-T,percore/vdso/vdso.lds -Wl,--hash-style=both \
	  -Wl,-soname=linux-vdso.so.1 -Wl,-z,max-page-size=4096 -Wl,--no-undefined -Wl,--build-id=none \
	  -o $@ percore/vdso/vdso.c
	@readelf -rW $@ | grep -q 'no relocations' || { echo "$@ has relocations"; rm -f $@; exit 1; }
$(B)/k/vdso_image.o: $(B)/vdso/vdso.so
	@mkdir -p $(dir $@)
	cd $(B)/vdso && objcopy -I binary -O elf64-x86-64 -B i386:x86-64 \
	  --rename-section .data=.rodata,alloc,load,readonly,data,contents \
	  --redefine-sym _binary_vdso_so_start=vdso_image_start --redefine-sym _binary_vdso_so_end=vdso_image_end \
	  vdso.so $(abspath $@)
$(B)/kernel.elf: $(KERNEL_OBJS) percore/arch/kernel.ld
	ld -nostdlib -z max-page-size=4096 -z noexecstack -T percore/arch/kernel.ld -o $@ $(KERNEL_OBJS)
-include $(KERNEL_OBJS:.o=.d)

## 4. ERTS (OTP 25.2.3 from Debian's source, patched, static with musl) and
##    the archive root it boots from: mk/erts.mk
include mk/erts.mk

## 5. Our own Erlang code (erlang_os/, and the drivers of drivers_erl/),
##    compiled with the host's erlc (the same OTP release), into the
##    archive's /lib/<app>-<vsn>/ebin (the version from src/<app>.app.src),
##    and the boot script that starts them (tools/mkrelease.py)
ERL_APP_DIRS := erlang_os drivers_erl
ERL_SRCS := $(foreach d,$(ERL_APP_DIRS),$(wildcard $(d)/*/src/*.erl))
ERL_APP_SRCS := $(foreach d,$(ERL_APP_DIRS),$(wildcard $(d)/*/src/*.app.src))
# erl_ebin(a file of app A): build/erlang_os/lib/A-VSN/ebin
erl_app = $(word 2,$(subst /, ,$(1)))
$(foreach f,$(ERL_APP_SRCS),$(eval ERL_VSN_$(call erl_app,$(f)) := \
  $(shell sed -n 's/^ *{vsn, *"\([^"]*\)"}.*/\1/p' $(f))))
erl_ebin = $(B)/erlang_os/lib/$(call erl_app,$(1))-$(ERL_VSN_$(call erl_app,$(1)))/ebin
ERL_BEAMS := $(foreach f,$(ERL_SRCS),$(call erl_ebin,$(f))/$(basename $(notdir $(f))).beam)
$(B)/erlang_os/lib/%.beam: | deps
	@mkdir -p $(dir $@)
	erlc -Werror -o $(dir $@) $(filter %.erl,$^)
$(foreach f,$(ERL_SRCS),$(eval $(call erl_ebin,$(f))/$(basename $(notdir $(f))).beam: $(f)))
# An application's resource file: src/<app>.app.src as ebin/<app>.app
ERL_APPS := $(foreach f,$(ERL_APP_SRCS),$(call erl_ebin,$(f))/$(basename $(notdir $(f))))
$(foreach f,$(ERL_APP_SRCS),$(eval $(call erl_ebin,$(f))/$(basename $(notdir $(f))): $(f)))
$(ERL_APPS):
	@mkdir -p $(dir $@)
	cp $< $@
# The boot script (bin/start.boot): systools's, for a release of every
# application in the archive; kernel, stdlib and hydros started. REL=DIR
# adds a user's release (docs/release.md): a REL build is made again
# every time, since what is in DIR may have changed. ELIXIR=1: IEx is the
# console's shell (docs/elixir.md).
REL ?=
RELEASE_STAMP := $(B)/release.stamp
RELEASE_FILE := $(B)/release-dir
$(RELEASE_FILE): FORCE
	@mkdir -p $(dir $@)
	@echo "$(REL) $(ELIXIR)" | cmp -s - $@ || echo "$(REL) $(ELIXIR)" > $@
$(RELEASE_STAMP): tools/mkrelease.py $(ROOTFS_STAMP) $(ERL_BEAMS) $(ERL_APPS) $(RELEASE_FILE) $(if $(REL),FORCE)
	python3 tools/mkrelease.py --lib $(B)/rootfs/lib --lib $(B)/erlang_os/lib --args rootfs/etc/hydros \
	  $(if $(REL),--rel "$(REL)") $(if $(ELIXIR),--iex) $(B)/release
	@touch $@

## 6. Boot archive (cpio newc): the ERTS root, our Erlang code, rootfs/
##    (what each node runs: etc/hydros/*.args), then the release (its boot
##    script, and a user's release with its args), and the disk image
ROOTFS_SRC := $(shell find rootfs -type f)
$(B)/archive.cpio: tools/mkcpio.py $(ROOTFS_STAMP) $(ROOTFS_SRC) $(ERL_BEAMS) $(ERL_APPS) $(RELEASE_STAMP)
	python3 tools/mkcpio.py $(B)/rootfs $(B)/erlang_os rootfs $(B)/release $@
images/hydros.img: $(B)/boot/stage1.bin $(B)/boot/stage2.bin $(B)/kernel.elf $(B)/archive.cpio tools/mkimage.py
	python3 tools/mkimage.py --stage1 $(B)/boot/stage1.bin --stage2 $(B)/boot/stage2.bin \
	  --kernel $(B)/kernel.elf --archive $(B)/archive.cpio --cmdline "$(CMDLINE)" -o $@

$(B)/boot:
	mkdir -p $@

## 7. Running
# The serial console on the terminal, and no VGA window: with -nographic,
# SeaBIOS would copy the loader's screen output to the serial line as well.
QEMU_FLAGS := -machine pc -cpu max -smp $(SMP) -m $(MEM) -display none -serial mon:stdio -no-reboot \
	-drive file=images/hydros.img,format=raw,if=virtio
run: deps images/hydros.img
	qemu-system-x86_64 $(QEMU_FLAGS)
run-bochs: deps images/hydros.img
	python3 tests/boot/bochs.py --image images/hydros.img --cpus $(SMP)

## 8. Tests: cmocka on the host, then boots driven through the serial console
HOST_CFLAGS := -std=gnu11 -g -O1 -Wall -Wextra -Werror -fsanitize=address,undefined \
	-fno-omit-frame-pointer -iquote percore -iquote msgchan -iquote tests/unit
UNIT_TESTS :=
include $(wildcard tests/unit/*.mk)
UNIT_BINS := $(addprefix $(B)/unit/test_,$(UNIT_TESTS))
.SECONDEXPANSION:
$(B)/unit/test_%: tests/unit/test_%.c $$(UNIT_SRCS_$$*) $$(UNIT_DEPS_$$*)
	@mkdir -p $(dir $@)
	gcc $(HOST_CFLAGS) $(UNIT_CFLAGS_$*) -MMD -MP -MF $@.d -o $@ $< $(UNIT_SRCS_$*) $(UNIT_LIBS_$*) -lcmocka
-include $(UNIT_BINS:=.d)

# ERTS first: test_elf also checks the real beam.smp (it skips that part without one).
# Then EUnit, on the host's erl: erlang_os/*/test/*_tests.erl, with the apps' modules;
# and the EUnit tests that need our own ERTS's BIFs (erlang_os/*/test_erts/) on it.
ERL_TEST_SRCS := $(foreach d,$(ERL_APP_DIRS),$(wildcard $(d)/*/test/*_tests.erl))
ERL_TEST_MODS := $(basename $(notdir $(ERL_TEST_SRCS)))
erl_empty :=
erl_space := $(erl_empty) $(erl_empty)
unit-test: deps $(UNIT_BINS) $(ERTS_BEAM) $(ROOTFS_STAMP) $(ERL_BEAMS) $(ERL_APPS)
	@set -e; for t in $(UNIT_BINS); do echo "== $$t"; $$t; done
	@mkdir -p $(B)/erlang_os/test
	erlc -Werror -o $(B)/erlang_os/test $(ERL_TEST_SRCS)
	erl -noshell $(addprefix -pa ,$(wildcard $(B)/erlang_os/lib/*/ebin)) -pa $(B)/erlang_os/test \
	  -eval 'case eunit:test([$(subst $(erl_space),$(erts_comma),$(ERL_TEST_MODS))], [verbose]) of ok -> halt(0); _ -> halt(1) end'
	tests/host/eunit_erts.sh

# Small static programs that boot tests run as a node instead of ERTS.
$(B)/progs/%: tests/boot/progs/%.c | deps
	@mkdir -p $(dir $@)
	musl-gcc -static -O2 -Wall -o $@ $<

BOOT_PROGS := $(patsubst tests/boot/progs/%.c,$(B)/progs/%,$(wildcard tests/boot/progs/*.c))
boot-test: deps images/hydros.img $(BOOT_PROGS)
	python3 tests/boot/run_all.py

test: unit-test boot-test

# Every fault kind on every core of four, one boot each, as one table
# (36 boots; make test runs a reduced set).
faults: deps images/hydros.img
	python3 tests/boot/faults_matrix.py

clean:
	rm -rf $(B)/k $(B)/boot $(B)/unit $(B)/kernel.elf $(B)/archive.cpio images/*.img \
	  $(B)/erlang_os $(B)/release $(RELEASE_STAMP) $(RELEASE_FILE)

## 9. Benchmarks against Debian's Linux on the same ERTS (docs/benchmarks.md):
##    boot time, distribution between two nodes, restarts, the spawn cost of capabilities
ROUNDS ?= 5
bench: deps images/hydros.img
	bench/boot --rounds $(ROUNDS)
	bench/msgchan --rounds $(ROUNDS) --no-deps
	bench/restart --rounds $(ROUNDS) --no-deps
	bench/caps --rounds $(ROUNDS)
