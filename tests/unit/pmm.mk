# Bitmap physical page allocator (percore/pmm.c); the concurrency test needs pthreads.
UNIT_TESTS += pmm
UNIT_SRCS_pmm := percore/pmm.c tests/unit/spinlock_host.c
UNIT_DEPS_pmm := percore/pmm.h percore/spinlock.h
UNIT_LIBS_pmm := -lpthread
