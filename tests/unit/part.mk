# Memory partition planning (percore/part.c): real QEMU maps, fixed sizes,
# refusals, and random maps against a brute-force first-fit reference.
UNIT_TESTS += part
UNIT_SRCS_part := percore/part.c
UNIT_DEPS_part := percore/part.h percore/memmap.h percore/uapi.h
