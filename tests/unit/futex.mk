# Futexes (percore/futex.c) over fakes of the scheduler, uaccess and clocks;
# current() is the kernel's own inline, reading a fake struct core via GS.
UNIT_TESTS += futex
UNIT_SRCS_futex := percore/futex.c tests/unit/fake_sched.c
UNIT_DEPS_futex := percore/sched.h percore/kernel.h percore/waitq.h percore/uapi.h tests/unit/fake_sched.h
