# Virtual memory areas and the user-pointer check (percore/vma.c).
UNIT_TESTS += vma
UNIT_SRCS_vma := percore/vma.c
UNIT_DEPS_vma := percore/vma.h percore/uapi.h
