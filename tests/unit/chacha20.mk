# ChaCha20 and the kernel's random generator on it (percore/chacha20.c):
# RFC 8439's block vectors, fast key erasure, seeding.
UNIT_TESTS += chacha20
UNIT_SRCS_chacha20 := percore/chacha20.c
UNIT_DEPS_chacha20 := percore/chacha20.h
