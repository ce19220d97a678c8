# libc-mini host tests. The library is compiled with the kernel's own flags
# (minus the kernel code model), then every symbol it defines is renamed
# mini_<name>, so it links beside glibc and the tests can compare the two.
UNIT_TESTS += libc

LIBC_UNIT_CFLAGS := $(filter-out -mcmodel=kernel -fno-pic -fno-pie,$(KCFLAGS)) \
	-fsanitize=address,undefined -fno-sanitize-recover=all
LIBC_UNIT_OBJS := $(patsubst libc-mini/%.c,$(B)/unit/libc-mini/%.o,$(wildcard libc-mini/*.c))

$(B)/unit/libc-mini/%.o: libc-mini/%.c $(wildcard libc-mini/include/*.h) tests/unit/libc.mk
	@mkdir -p $(dir $@)
	gcc $(LIBC_UNIT_CFLAGS) -c -o $@ $<

# Renaming the library's definitions renames its own calls to them too,
# including calls gcc emits (a struct copy becomes memcpy). Whatever is still
# undefined afterwards goes to glibc, so only the sanitizer runtime may be.
$(B)/unit/libc_mini.o: $(LIBC_UNIT_OBJS)
	ld -r -o $@.all $^
	nm --defined-only --extern-only $@.all | awk '{ print $$3, "mini_" $$3 }' > $@.syms
	objcopy --redefine-syms=$@.syms $@.all $@
	@if nm --undefined-only $@ | grep -v -e ' __asan_' -e ' __ubsan_'; then \
	  echo "$@: libc-mini calls the symbols above outside itself"; rm -f $@; exit 1; fi

UNIT_SRCS_libc := $(wildcard tests/unit/libc_test_*.c)
UNIT_DEPS_libc := $(B)/unit/libc_mini.o tests/unit/libc_mini.h
UNIT_LIBS_libc := $(B)/unit/libc_mini.o
UNIT_CFLAGS_libc := -fno-sanitize-recover=all
