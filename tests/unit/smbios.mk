# The SMBIOS entry point finder (percore/smbios.c): 2.x and 3.x entry
# points found in a made-up F segment, bad ones refused.
UNIT_TESTS += smbios
UNIT_SRCS_smbios := percore/smbios.c
UNIT_DEPS_smbios := percore/smbios.h
