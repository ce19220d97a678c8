# The console terminal (percore/tty.c) over the shared kernel fakes.
UNIT_TESTS += tty
UNIT_SRCS_tty := percore/tty.c tests/unit/fake_kernel.c
UNIT_DEPS_tty := percore/tty.h percore/vfs.h percore/uapi.h tests/unit/fake_kernel.h
