# timerfd (percore/timerfd.c) on the fake clock and ktimer list of fake_kernel.c.
UNIT_TESTS += timerfd
UNIT_SRCS_timerfd := percore/timerfd.c tests/unit/fake_kernel.c
UNIT_DEPS_timerfd := percore/timerfd.h percore/ktimer.h percore/vfs.h percore/uapi.h tests/unit/fake_kernel.h
