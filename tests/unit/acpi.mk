# ACPI table parser (percore/acpi.c) against real QEMU/Bochs table dumps in
# tests/unit/data/acpi/ (regenerate with tools/acpi-dump.py all).
UNIT_TESTS += acpi
UNIT_SRCS_acpi := percore/acpi.c
UNIT_DEPS_acpi := percore/acpi.h $(wildcard tests/unit/data/acpi/*.dump)
