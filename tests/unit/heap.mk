# Kernel heap, kmalloc/kfree over a page source (percore/heap.c); the
# concurrency test uses C11 threads, in libpthread before glibc 2.34.
UNIT_TESTS += heap
UNIT_SRCS_heap := percore/heap.c tests/unit/spinlock_host.c
UNIT_DEPS_heap := percore/heap.h percore/spinlock.h
UNIT_LIBS_heap := -lpthread
