# ELF loader, pure half (percore/elf.c): parsing, validation, initial stack.
# The test reads programs built here from tests/unit/data/elf/prog.c: the
# static musl executable the loader is for, a static glibc one, and what it
# must refuse (static-pie, dynamically linked, relocatable object). It also
# parses build/erts/beam.smp when that exists.
UNIT_TESTS += elf
UNIT_SRCS_elf := percore/elf.c
ELF_TEST_PROGS := $(addprefix $(B)/unit/elf/,prog prog-glibc prog-static-pie prog-dynamic prog.o)
UNIT_DEPS_elf := percore/elf.h percore/uapi.h $(ELF_TEST_PROGS)

ELF_PROG_SRC := tests/unit/data/elf/prog.c
MUSL_LIB := /usr/lib/x86_64-linux-musl

$(B)/unit/elf/prog: $(ELF_PROG_SRC)
	@mkdir -p $(dir $@)
	musl-gcc -static -O2 -o $@ $<
$(B)/unit/elf/prog-glibc: $(ELF_PROG_SRC)
	@mkdir -p $(dir $@)
	gcc -static -O2 -o $@ $<
# musl-gcc's specs file drops -static-pie, so the link is spelled out.
$(B)/unit/elf/prog-static-pie: $(ELF_PROG_SRC)
	@mkdir -p $(dir $@)
	musl-gcc -O2 -fPIE -nostartfiles -Wl,-static,-pie,--no-dynamic-linker,-z,text -o $@ \
	  $(MUSL_LIB)/rcrt1.o $(MUSL_LIB)/crti.o $< $(MUSL_LIB)/crtn.o
$(B)/unit/elf/prog-dynamic: $(ELF_PROG_SRC)
	@mkdir -p $(dir $@)
	musl-gcc -no-pie -O2 -o $@ $<
$(B)/unit/elf/prog.o: $(ELF_PROG_SRC)
	@mkdir -p $(dir $@)
	musl-gcc -O2 -c -o $@ $<
