# epoll interest lists (percore/epoll.c) over the shared kernel fakes; pipes
# serve as real targets beside the fake ones.
UNIT_TESTS += epoll
UNIT_SRCS_epoll := percore/epoll.c percore/pipe.c tests/unit/fake_kernel.c
UNIT_DEPS_epoll := percore/epoll.h percore/pipe.h percore/vfs.h percore/uapi.h tests/unit/fake_kernel.h
