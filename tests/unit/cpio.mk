# The boot archive (percore/cpio.c): newc checker, index and archive files,
# against the archives in tests/unit/data/cpio/ (regenerate them with
# python3 tests/unit/data/cpio/make.py).
UNIT_TESTS += cpio
UNIT_SRCS_cpio := percore/cpio.c percore/file.c percore/epoll.c tests/unit/heap_shim.c
UNIT_DEPS_cpio := percore/cpio.h percore/tmpfs.h percore/vfs.h percore/uapi.h \
	$(wildcard tests/unit/data/cpio/*.cpio)
UNIT_CFLAGS_cpio := -fno-sanitize-recover=all
