# Inter-core channels (msgchan/msgchan.c), single-threaded semantics and bad
# input under ASan/UBSan. Building it first compiles msgchan.c with the
# kernel's own flags and checks that it calls nothing but libc-mini's
# memcpy/memset/memcmp: the same file goes into the kernel and the ERTS driver.
UNIT_TESTS += msgchan
UNIT_SRCS_msgchan := msgchan/msgchan.c
UNIT_DEPS_msgchan := msgchan/msgchan.h $(B)/unit/msgchan_kernel.o
UNIT_CFLAGS_msgchan := -fno-sanitize-recover=all

$(B)/unit/msgchan_kernel.o: msgchan/msgchan.c msgchan/msgchan.h tests/unit/msgchan.mk
	@mkdir -p $(dir $@)
	gcc $(KCFLAGS) -c -o $@ $<
	@if nm --undefined-only $@ | grep -v -w -e memcpy -e memset -e memcmp; then \
	  echo "$@: msgchan.c calls the symbols above outside libc-mini"; rm -f $@; exit 1; fi

# Two threads over one ring, doorbells on futexes, resets from both sides and
# the Dekker pairs raced: ten million messages at -O2 without sanitizers
# (later flags win over HOST_CFLAGS), and the same code under ASan/UBSan with
# fewer.
UNIT_TESTS += msgchan_stress msgchan_stress_asan
UNIT_SRCS_msgchan_stress := msgchan/msgchan.c
UNIT_DEPS_msgchan_stress := msgchan/msgchan.h
UNIT_CFLAGS_msgchan_stress := -fno-sanitize=all -O2
UNIT_LIBS_msgchan_stress := -lpthread
UNIT_SRCS_msgchan_stress_asan := msgchan/msgchan.c
UNIT_DEPS_msgchan_stress_asan := msgchan/msgchan.h tests/unit/test_msgchan_stress.c
UNIT_CFLAGS_msgchan_stress_asan := -fno-sanitize-recover=all
UNIT_LIBS_msgchan_stress_asan := -lpthread
