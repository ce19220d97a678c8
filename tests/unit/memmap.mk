# E820 sanitizing and usable-range list (percore/memmap.c).
UNIT_TESTS += memmap
UNIT_SRCS_memmap := percore/memmap.c
UNIT_DEPS_memmap := percore/memmap.h percore/bootinfo.h
