/* The contract between the bootloader (bootloader/stage2.asm) and the kernel.
 * Stage 2 fills one struct boot_info at BOOTINFO_PHYS and enters the kernel in
 * long mode with its physical address in RDI, interrupts off, the first 4 GiB
 * identity mapped and the kernel mapped at KERNEL_VIRT_BASE + phys.
 * The layout is fixed: bootloader/common.inc mirrors it field by field. */
#ifndef HYDROS_BOOTINFO_H
#define HYDROS_BOOTINFO_H
#include <stdint.h>

#define BOOTINFO_MAGIC 0x4f4f424f52445948ull /* "HYDROBOO" */
#define BOOTINFO_PHYS 0x30000
#define BOOT_E820_MAX 128
#define BOOT_CMDLINE_MAX 256

/* One raw entry as BIOS int 15h/E820 returns it (24 bytes, ACPI 3.0 form). */
struct e820_entry {
    uint64_t base;
    uint64_t len;
    uint32_t type;
    uint32_t ext; /* extended attributes; bit 0 clear means "ignore this entry" */
} __attribute__((packed));

#define E820_USABLE 1
#define E820_RESERVED 2
#define E820_ACPI 3
#define E820_NVS 4
#define E820_BAD 5

struct boot_info {
    uint64_t magic;
    uint64_t kernel_file_phys; /* the kernel ELF file as it was read from disk */
    uint64_t kernel_file_size;
    uint64_t archive_phys;     /* the boot archive (cpio newc), page aligned */
    uint64_t archive_size;
    uint32_t e820_count;
    uint32_t boot_drive;
    struct e820_entry e820[BOOT_E820_MAX];
    char cmdline[BOOT_CMDLINE_MAX]; /* NUL terminated */
} __attribute__((packed));

#endif
