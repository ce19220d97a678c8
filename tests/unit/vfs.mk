# The file-system layer: name space and open checks (percore/vfs.c), tmpfs,
# the archive's files (cpio.c) and open files (file.c), against
# tests/unit/data/cpio/good.cpio and friends.
UNIT_TESTS += vfs
UNIT_SRCS_vfs := percore/vfs.c percore/tmpfs.c percore/cpio.c percore/file.c percore/epoll.c tests/unit/heap_shim.c
UNIT_DEPS_vfs := percore/vfs.h percore/tmpfs.h percore/cpio.h percore/uapi.h percore/waitq.h \
	$(wildcard tests/unit/data/cpio/*.cpio)
UNIT_CFLAGS_vfs := -fno-sanitize-recover=all
