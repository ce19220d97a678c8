# The device table (percore/devtab.c): /etc/hydros/devices parsed, bad
# lines left out with a reason, ports found, I/O bitmaps built.
UNIT_TESTS += devtab
UNIT_SRCS_devtab := percore/devtab.c
UNIT_DEPS_devtab := percore/devtab.h percore/hydros_abi.h
