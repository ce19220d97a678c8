# Pipes (percore/pipe.c) over the shared kernel fakes.
UNIT_TESTS += pipe
UNIT_SRCS_pipe := percore/pipe.c tests/unit/fake_kernel.c
UNIT_DEPS_pipe := percore/pipe.h percore/vfs.h percore/uapi.h tests/unit/fake_kernel.h
