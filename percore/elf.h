/* Program loader, the pure half: validates a static x86-64 ELF executable (a
 * musl-linked beam.smp) held in memory, and lays out the initial user stack
 * that the Linux ABI and musl's __libc_start_main expect. No allocation, no
 * printing, no hardware: the kernel maps what elf_parse describes.
 *
 * Loading contract (what the kernel does with a parsed image):
 *   - For every page in [lo, hi) that some segment touches: a zeroed page,
 *     into which each segment's file bytes [offset, offset+filesz) that fall
 *     in it are copied to [vaddr, vaddr+filesz); the rest stays zero. The
 *     bss after filesz must be zero; a page that is not writable may instead
 *     be mapped straight from the file (page-aligned in memory), showing the
 *     file's neighbouring bytes as Linux does.
 *   - Its protection is elf_page_prot(): the union of the protections of the
 *     segments on it. Segments never share a byte, but two or more may share
 *     a page (one ends and the next starts inside it): that page then gets
 *     all their bytes and protections. GNU ld and lld start each
 *     segment on a fresh page, so this only matters for odd linker scripts.
 *   - The program break starts at hi. The stack comes from elf_build_stack;
 *     the thread starts at entry with rsp as returned, rdx = 0 (no exit
 *     handler for libc to register) and every other register 0, FS base 0
 *     (musl sets up its own TLS from PT_TLS through AT_PHDR). */
#ifndef HYDROS_ELF_H
#define HYDROS_ELF_H
#include <stdbool.h>
#include <stdint.h>

/* ---- ELF64 file format (System V gABI, x86-64 psABI), only what we read. */

struct elf64_ehdr {
    uint8_t ident[16];
    uint16_t type, machine;
    uint32_t version;
    uint64_t entry, phoff, shoff;
    uint32_t flags;
    uint16_t ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
};

struct elf64_phdr {
    uint32_t type, flags;
    uint64_t offset, vaddr, paddr, filesz, memsz, align;
};

#define ELF_CLASS64 2      /* ident[4] */
#define ELF_DATA2LSB 1     /* ident[5] */
#define ELF_EV_CURRENT 1   /* ident[6] and version */
#define ELF_ET_REL 1
#define ELF_ET_EXEC 2
#define ELF_ET_DYN 3
#define ELF_EM_X86_64 62
#define ELF_PN_XNUM 0xffff /* phnum escape to a section header: not accepted */

#define ELF_PT_NULL 0
#define ELF_PT_LOAD 1
#define ELF_PT_DYNAMIC 2
#define ELF_PT_INTERP 3
#define ELF_PT_NOTE 4
#define ELF_PT_PHDR 6
#define ELF_PT_TLS 7
#define ELF_PT_GNU_STACK 0x6474e551u
#define ELF_PF_X 1
#define ELF_PF_W 2
#define ELF_PF_R 4

/* Auxiliary vector keys (Linux include/uapi/linux/auxvec.h). */
#define ELF_AT_NULL 0
#define ELF_AT_PHDR 3
#define ELF_AT_PHENT 4
#define ELF_AT_PHNUM 5
#define ELF_AT_PAGESZ 6
#define ELF_AT_BASE 7
#define ELF_AT_FLAGS 8
#define ELF_AT_ENTRY 9
#define ELF_AT_UID 11
#define ELF_AT_EUID 12
#define ELF_AT_GID 13
#define ELF_AT_EGID 14
#define ELF_AT_PLATFORM 15
#define ELF_AT_HWCAP 16
#define ELF_AT_CLKTCK 17
#define ELF_AT_SECURE 23
#define ELF_AT_RANDOM 25
#define ELF_AT_SYSINFO_EHDR 33
#define ELF_AT_EXECFN 31

/* ---- What the loader accepts. */

#define ELF_PAGE_SIZE 4096ull
#define ELF_MAX_SEGMENTS 16
/* Lowest address a segment may use (Linux's default mmap_min_addr), and the
 * end of what it may use: the user half less its last page, which Linux
 * keeps unmapped too, so that a syscall at the very end of the user half
 * never returns (sysret) to a non-canonical rip. */
#define ELF_USER_MIN 0x10000ull
#define ELF_USER_END 0x00007ffffffff000ull

struct elf_segment {
    uint64_t vaddr, memsz, offset, filesz;
    uint32_t prot; /* PROT_READ|PROT_WRITE|PROT_EXEC (uapi.h) from p_flags */
};

struct elf_image {
    uint64_t entry;
    uint64_t phdr_vaddr;       /* where the program headers are once loaded: AT_PHDR */
    uint16_t phnum, phentsize; /* AT_PHNUM, AT_PHENT */
    int nsegs;
    struct elf_segment segs[ELF_MAX_SEGMENTS]; /* PT_LOADs with memsz > 0, in
                                                  file order = ascending vaddr */
    uint64_t lo, hi;           /* page-aligned span of all segments */
    /* PT_TLS, all 0 if none. Information only: musl sets up TLS itself. */
    uint64_t tls_vaddr, tls_filesz, tls_memsz, tls_align;
    bool stack_exec;           /* PT_GNU_STACK has PF_X; false without one */
};

/* Validates the ELF file in [data, data+len) and describes it in *out.
 * Returns 0, -EINVAL if data or out is NULL, or -ENOEXEC if the file is not
 * a static x86-64 executable this kernel can load:
 *   - ELF64, little endian, version 1, EM_X86_64, ET_EXEC (a static-pie or
 *     dynamic ET_DYN, an ET_REL object, are refused), e_ehsize 64;
 *   - program headers: e_phentsize 56, 1 <= e_phnum < PN_XNUM, e_phoff
 *     8-byte aligned, past the ELF header, the whole table inside the file;
 *   - no PT_INTERP and no PT_DYNAMIC (a dynamically linked program);
 *   - every PT_LOAD: filesz <= memsz; [offset, offset+filesz) inside the
 *     file; [vaddr, vaddr+memsz) inside [ELF_USER_MIN, ELF_USER_END);
 *     vaddr == offset modulo the page size, and modulo p_align when p_align
 *     > 1 (which must then be a power of two); vaddr at or past the end of
 *     the PT_LOAD before it (ascending, no shared byte; a shared page is
 *     allowed, see above); at most ELF_MAX_SEGMENTS of them with memsz > 0
 *     (empty ones are checked, then skipped), and at least one;
 *   - the program header table lies inside the file bytes of one PT_LOAD
 *     (musl reads it through AT_PHDR), and a PT_PHDR, if any, agrees;
 *   - entry lies in the file bytes of a segment with PF_X;
 *   - at most one PT_TLS, filesz <= memsz, p_align 0 or a power of two, its
 *     initialization image inside the file bytes of one PT_LOAD.
 * Reads nothing outside [data, data+len); data needs no alignment. *out is
 * zeroed first, and is meaningful only when 0 is returned. */
int elf_parse(const void *data, uint64_t len, struct elf_image *out);

/* The protection of the page at page_addr (rounded down) once loaded: the
 * union of the prot of every segment with a byte on it; PROT_NONE (0) if none. */
uint32_t elf_page_prot(const struct elf_image *img, uint64_t page_addr);

/* Lays out the initial process stack in buf, size bytes that the kernel maps
 * at user [top - size, top). Downwards from top: 8 zero bytes, the AT_EXECFN
 * string (a copy of argv[0], "" without arguments), the argv then envp
 * strings (contiguous, in order, as Linux has them), the AT_PLATFORM string
 * "x86_64", the 16 AT_RANDOM bytes, zeroed padding, then at the returned rsp:
 * argc, argv[0..argc-1], NULL, envp[...], NULL, and the auxv pairs (AT_PHDR,
 * AT_PHENT, AT_PHNUM, AT_PAGESZ 4096, AT_BASE 0, AT_FLAGS 0, AT_ENTRY,
 * AT_UID, AT_EUID, AT_GID, AT_EGID, AT_SECURE all 0, AT_RANDOM, AT_HWCAP =
 * hwcap, AT_CLKTCK 100, AT_EXECFN, AT_PLATFORM, AT_SYSINFO_EHDR = vdso, the
 * vDSO's address or 0 for none), ending with AT_NULL.
 * Every pointer written is a user address. argv and envp are NULL-terminated
 * arrays of kernel strings; NULL means none. Returns the user rsp, 16-byte
 * aligned and pointing at argc; or 0, with buf untouched, if it does not fit
 * in size bytes or an argument is bad (buf, img or random NULL, size > top). */
uint64_t elf_build_stack(void *buf, uint64_t size, uint64_t top, const struct elf_image *img,
                         const char *const argv[], const char *const envp[],
                         const uint8_t random[16], uint64_t hwcap, uint64_t vdso);

#endif
