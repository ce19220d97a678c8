/* Host tests for percore/elf.c. The programs come from tests/unit/elf.mk,
 * built from tests/unit/data/elf/prog.c, under $ELF_TEST_DIR (default
 * build/unit/elf); beam.smp ($ELF_TEST_BEAM, default build/erts/beam.smp) is
 * checked when it exists. Every parse gets a malloc'd copy of exactly the
 * bytes it is told about, so a read past the end is an ASan error. Facts are
 * checked against readelf, and the static programs are finally loaded into
 * a forked child the way the kernel will load them and started on a stack
 * from elf_build_stack: their output shows what libc made of it. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "elf.h"

#define PAGE 4096ull

/* ------------------------------------------------------------ files */

struct file {
    uint8_t *data;
    uint64_t len;
};

static struct file g_prog;           /* static musl program */
static struct elf_image g_prog_img;  /* and elf_parse's answer for it */

static void path_of(char *out, size_t n, const char *name)
{
    const char *dir = getenv("ELF_TEST_DIR");
    snprintf(out, n, "%s/%s", dir ? dir : "build/unit/elf", name);
}

static bool file_read(const char *path, struct file *f)
{
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return false;
    assert_int_equal(fseek(fp, 0, SEEK_END), 0);
    long n = ftell(fp);
    assert_true(n >= 0);
    rewind(fp);
    f->len = (uint64_t)n;
    f->data = malloc(n ? (size_t)n : 1);
    assert_non_null(f->data);
    assert_int_equal(fread(f->data, 1, (size_t)n, fp), (size_t)n);
    fclose(fp);
    return true;
}

static struct file prog_file(const char *name)
{
    char path[512];
    path_of(path, sizeof(path), name);
    struct file f = { 0 };
    if (!file_read(path, &f))
        fail_msg("%s is missing: make builds it (tests/unit/elf.mk)", path);
    return f;
}

/* A malloc'd copy of exactly n bytes. */
static uint8_t *copy_exact(const uint8_t *d, uint64_t n)
{
    uint8_t *c = malloc(n);
    if (!c && n == 0)
        c = malloc(1);
    assert_non_null(c);
    memcpy(c, d, n);
    return c;
}

static int parse_copy(const uint8_t *d, uint64_t len, struct elf_image *img)
{
    uint8_t *c = copy_exact(d, len);
    int rc = elf_parse(c, len, img);
    free(c);
    return rc;
}

/* ------------------------------------------------------------ header access */

static struct elf64_ehdr ehdr_of(const uint8_t *d)
{
    struct elf64_ehdr e;
    memcpy(&e, d, sizeof(e));
    return e;
}

static void ehdr_set(uint8_t *d, const struct elf64_ehdr *e) { memcpy(d, e, sizeof(*e)); }

static struct elf64_phdr phdr_of(const uint8_t *d, int i)
{
    struct elf64_phdr p;
    memcpy(&p, d + ehdr_of(d).phoff + (uint64_t)i * sizeof(p), sizeof(p));
    return p;
}

static void phdr_set(uint8_t *d, int i, const struct elf64_phdr *p)
{
    memcpy(d + ehdr_of(d).phoff + (uint64_t)i * sizeof(*p), p, sizeof(*p));
}

/* Index of the nth (from 0) program header of type, or -1. */
static int phdr_find(const uint8_t *d, uint32_t type, int nth)
{
    for (int i = 0; i < ehdr_of(d).phnum; i++)
        if (phdr_of(d, i).type == type && nth-- == 0)
            return i;
    return -1;
}

/* The PT_LOAD holding the entry point, the first, the last. */
static int phdr_text(const uint8_t *d)
{
    uint64_t entry = ehdr_of(d).entry;
    for (int i = 0; i < ehdr_of(d).phnum; i++) {
        struct elf64_phdr p = phdr_of(d, i);
        if (p.type == ELF_PT_LOAD && entry >= p.vaddr && entry - p.vaddr < p.filesz)
            return i;
    }
    return -1;
}

static int phdr_last_load(const uint8_t *d)
{
    int last = -1;
    for (int i = 0; i < ehdr_of(d).phnum; i++)
        if (phdr_of(d, i).type == ELF_PT_LOAD)
            last = i;
    return last;
}

static uint32_t prot_of_flags(uint32_t f)
{
    return (f & ELF_PF_R ? PROT_READ : 0) | (f & ELF_PF_W ? PROT_WRITE : 0) |
           (f & ELF_PF_X ? PROT_EXEC : 0);
}

/* ------------------------------------------------------------ independent checks */

/* What any accepted image must satisfy, re-derived from the raw file. */
static void check_image(const uint8_t *d, uint64_t len, const struct elf_image *img)
{
    assert_true(len >= sizeof(struct elf64_ehdr));
    struct elf64_ehdr e = ehdr_of(d);
    assert_memory_equal(e.ident, "\x7f" "ELF\x02\x01\x01", 7);
    assert_int_equal(e.type, ELF_ET_EXEC);
    assert_int_equal(e.machine, ELF_EM_X86_64);
    assert_int_equal(e.phentsize, 56);
    assert_true(e.phoff <= len && (uint64_t)e.phnum * 56 <= len - e.phoff);
    assert_int_equal(img->entry, e.entry);
    assert_int_equal(img->phnum, e.phnum);
    assert_int_equal(img->phentsize, 56);

    int k = 0;
    uint64_t prev_end = 0;
    for (int i = 0; i < e.phnum; i++) {
        struct elf64_phdr p = phdr_of(d, i);
        assert_true(p.type != ELF_PT_INTERP && p.type != ELF_PT_DYNAMIC);
        if (p.type != ELF_PT_LOAD)
            continue;
        assert_true(p.vaddr >= prev_end);
        prev_end = p.vaddr + p.memsz;
        if (p.memsz == 0)
            continue;
        assert_true(k < img->nsegs);
        const struct elf_segment *s = &img->segs[k++];
        assert_int_equal(s->vaddr, p.vaddr);
        assert_int_equal(s->memsz, p.memsz);
        assert_int_equal(s->offset, p.offset);
        assert_int_equal(s->filesz, p.filesz);
        assert_int_equal(s->prot, prot_of_flags(p.flags));
        assert_true(p.filesz <= p.memsz);
        assert_true(p.offset <= len && p.filesz <= len - p.offset);
        assert_true(p.vaddr >= ELF_USER_MIN && p.vaddr < ELF_USER_END);
        assert_true(p.memsz <= ELF_USER_END - p.vaddr);
        assert_int_equal((p.vaddr - p.offset) % PAGE, 0);
    }
    assert_int_equal(k, img->nsegs);
    assert_true(k >= 1 && k <= ELF_MAX_SEGMENTS);

    bool entry_ok = false, phdr_ok = false;
    for (int i = 0; i < k; i++) {
        const struct elf_segment *s = &img->segs[i];
        if ((s->prot & PROT_EXEC) && e.entry >= s->vaddr && e.entry - s->vaddr < s->filesz)
            entry_ok = true;
        if (e.phoff >= s->offset && e.phoff - s->offset + e.phnum * 56ull <= s->filesz &&
            img->phdr_vaddr == s->vaddr + (e.phoff - s->offset))
            phdr_ok = true;
    }
    assert_true(entry_ok);
    assert_true(phdr_ok);
    assert_int_equal(img->lo % PAGE, 0);
    assert_int_equal(img->hi % PAGE, 0);
    assert_int_equal(img->lo, img->segs[0].vaddr & ~(PAGE - 1));
    uint64_t end = img->segs[k - 1].vaddr + img->segs[k - 1].memsz;
    assert_true(img->hi >= end && img->hi - end < PAGE);
    if (img->tls_memsz || img->tls_filesz)
        assert_true(img->tls_filesz <= img->tls_memsz);
}

struct readelf_facts {
    uint64_t entry, phoff;
    int phnum, nloads;
    struct elf_segment loads[64];
    bool has_tls, stack_exec;
    uint64_t tls_vaddr, tls_filesz, tls_memsz, tls_align;
};

/* Reads what binutils says about the file: `readelf -hlW`. */
static void readelf_facts(const char *path, struct readelf_facts *f)
{
    memset(f, 0, sizeof(*f));
    char cmd[700], line[512];
    snprintf(cmd, sizeof(cmd), "readelf -hlW '%s'", path);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    while (fgets(line, sizeof(line), p)) {
        char *s, type[32];
        uint64_t off, va, pa, fs, ms;
        int n = 0;
        if ((s = strstr(line, "Entry point address:"))) {
            f->entry = strtoull(s + 20, NULL, 16);
        } else if ((s = strstr(line, "Start of program headers:"))) {
            f->phoff = strtoull(s + 25, NULL, 10);
        } else if ((s = strstr(line, "Number of program headers:"))) {
            f->phnum = atoi(s + 26);
        } else if (sscanf(line, " %31s 0x%" SCNx64 " 0x%" SCNx64 " 0x%" SCNx64 " 0x%" SCNx64
                          " 0x%" SCNx64 "%n", type, &off, &va, &pa, &fs, &ms, &n) == 6 && n > 0) {
            char *al = strstr(line + n, "0x");
            assert_non_null(al);
            uint32_t prot = 0;
            for (char *c = line + n; c < al; c++)
                prot |= *c == 'R' ? PROT_READ : *c == 'W' ? PROT_WRITE : *c == 'E' ? PROT_EXEC : 0;
            if (strcmp(type, "LOAD") == 0) {
                assert_true(f->nloads < 64);
                f->loads[f->nloads++] = (struct elf_segment){ va, ms, off, fs, prot };
            } else if (strcmp(type, "TLS") == 0) {
                f->has_tls = true;
                f->tls_vaddr = va, f->tls_filesz = fs, f->tls_memsz = ms;
                f->tls_align = strtoull(al, NULL, 16);
            } else if (strcmp(type, "GNU_STACK") == 0) {
                f->stack_exec = (prot & PROT_EXEC) != 0;
            }
        }
    }
    assert_int_equal(pclose(p), 0);
    assert_true(f->phnum > 0 && f->nloads > 0);
}

static void check_against_readelf(const char *path, const struct elf_image *img)
{
    struct readelf_facts f;
    readelf_facts(path, &f);
    assert_int_equal(img->entry, f.entry);
    assert_int_equal(img->phnum, f.phnum);
    int k = 0;
    for (int i = 0; i < f.nloads; i++) {
        if (f.loads[i].memsz == 0)
            continue;
        assert_true(k < img->nsegs);
        assert_int_equal(img->segs[k].vaddr, f.loads[i].vaddr);
        assert_int_equal(img->segs[k].memsz, f.loads[i].memsz);
        assert_int_equal(img->segs[k].offset, f.loads[i].offset);
        assert_int_equal(img->segs[k].filesz, f.loads[i].filesz);
        assert_int_equal(img->segs[k].prot, f.loads[i].prot);
        if (k == 0)
            assert_int_equal(img->lo, f.loads[i].vaddr & ~(PAGE - 1));
        if (k == img->nsegs - 1)
            assert_int_equal(img->hi, (f.loads[i].vaddr + f.loads[i].memsz + PAGE - 1) & ~(PAGE - 1));
        if (f.phoff >= f.loads[i].offset && f.phoff - f.loads[i].offset < f.loads[i].filesz)
            assert_int_equal(img->phdr_vaddr, f.loads[i].vaddr + f.phoff - f.loads[i].offset);
        k++;
    }
    assert_int_equal(img->nsegs, k);
    assert_int_equal(img->tls_vaddr, f.has_tls ? f.tls_vaddr : 0);
    assert_int_equal(img->tls_filesz, f.has_tls ? f.tls_filesz : 0);
    assert_int_equal(img->tls_memsz, f.has_tls ? f.tls_memsz : 0);
    assert_int_equal(img->tls_align, f.has_tls ? f.tls_align : 0);
    assert_int_equal(img->stack_exec, f.stack_exec);
}

/* ------------------------------------------------------------ real programs */

static void test_musl_static(void **state)
{
    (void)state;
    char path[512];
    path_of(path, sizeof(path), "prog");
    check_image(g_prog.data, g_prog.len, &g_prog_img);
    check_against_readelf(path, &g_prog_img);
    /* What GNU ld makes of it: headers in a read-only first page, text,
     * read-only data, data+bss; the __thread variables give a PT_TLS with a
     * .tbss part; the stack is not executable. */
    const struct elf_image *img = &g_prog_img;
    assert_true(img->nsegs >= 2);
    assert_int_equal(img->lo, 0x400000);
    assert_int_equal(img->phdr_vaddr, 0x400000 + ehdr_of(g_prog.data).phoff);
    assert_true(img->tls_memsz > img->tls_filesz && img->tls_filesz >= 4);
    assert_false(img->stack_exec);
    int ro = 0, rx = 0, rw = 0;
    for (int i = 0; i < img->nsegs; i++) {
        ro += img->segs[i].prot == PROT_READ;
        rx += img->segs[i].prot == (PROT_READ | PROT_EXEC);
        rw += img->segs[i].prot == (PROT_READ | PROT_WRITE);
    }
    assert_int_equal(rx, 1);
    assert_int_equal(rw, 1);
    assert_int_equal(ro + rx + rw, img->nsegs);
    assert_true(img->segs[img->nsegs - 1].memsz > img->segs[img->nsegs - 1].filesz); /* bss */
}

static void test_glibc_static(void **state)
{
    (void)state;
    char path[512];
    path_of(path, sizeof(path), "prog-glibc");
    struct file f = prog_file("prog-glibc");
    struct elf_image img;
    assert_int_equal(parse_copy(f.data, f.len, &img), 0);
    check_image(f.data, f.len, &img);
    check_against_readelf(path, &img);
    free(f.data);
}

static void test_beam(void **state)
{
    (void)state;
    const char *path = getenv("ELF_TEST_BEAM");
    path = path ? path : "build/erts/beam.smp";
    struct file f;
    if (!file_read(path, &f)) {
        print_message("%s not built yet: beam.smp check skipped\n", path);
        skip();
    }
    struct elf_image img;
    assert_int_equal(parse_copy(f.data, f.len, &img), 0);
    check_image(f.data, f.len, &img);
    check_against_readelf(path, &img);
    /* The shape GNU ld gives it: headers page, text, rodata, data+bss. */
    assert_false(img.stack_exec);
    assert_int_equal(img.lo, 0x400000);
    assert_int_equal(img.phdr_vaddr, 0x400040);
    assert_int_equal(img.nsegs, 4);
    assert_int_equal(img.segs[0].prot, PROT_READ);
    assert_int_equal(img.segs[1].prot, PROT_READ | PROT_EXEC);
    assert_true(img.entry >= img.segs[1].vaddr && img.entry < img.segs[1].vaddr + img.segs[1].filesz);
    assert_int_equal(img.segs[2].prot, PROT_READ);
    assert_int_equal(img.segs[3].prot, PROT_READ | PROT_WRITE);
    assert_true(img.segs[3].memsz > img.segs[3].filesz);
    /* Its stack, as a node starts it. */
    static const char *const argv[] = { "/bin/beam.smp", "-S", "1:1", "-A", "1", "--", "-root",
                                        "/", "-bindir", "/bin", "-noinput", NULL };
    static const char *const envp[] = { "HOME=/", "ERL_CRASH_DUMP_BYTES=0", NULL };
    uint64_t size = 64 * 1024, top = 0x7ffffffff000ull - 0x10000;
    uint8_t *buf = malloc(size), rnd[16] = { 1, 2, 3 };
    assert_non_null(buf);
    assert_int_not_equal(elf_build_stack(buf, size, top, &img, argv, envp, rnd, 0x178bfbff, 0), 0);
    free(buf);
    free(f.data);
}

static void test_refused_programs(void **state)
{
    (void)state;
    /* static-pie (ET_DYN), dynamically linked (ET_EXEC with PT_INTERP and
     * PT_DYNAMIC), relocatable object (ET_REL). */
    static const char *const names[] = { "prog-static-pie", "prog-dynamic", "prog.o" };
    static const uint16_t types[] = { ELF_ET_DYN, ELF_ET_EXEC, ELF_ET_REL };
    for (int i = 0; i < 3; i++) {
        struct file f = prog_file(names[i]);
        assert_int_equal(ehdr_of(f.data).type, types[i]);
        struct elf_image img;
        if (parse_copy(f.data, f.len, &img) != -ENOEXEC)
            fail_msg("%s was not refused", names[i]);
        free(f.data);
    }
    struct file f = prog_file("prog-dynamic");
    assert_true(phdr_find(f.data, ELF_PT_INTERP, 0) >= 0);
    free(f.data);
}

static void test_bad_args(void **state)
{
    (void)state;
    struct elf_image img;
    assert_int_equal(elf_parse(NULL, g_prog.len, &img), -EINVAL);
    assert_int_equal(elf_parse(g_prog.data, g_prog.len, NULL), -EINVAL);
    assert_int_equal(elf_parse(g_prog.data, 0, &img), -ENOEXEC);
}

/* ------------------------------------------------------------ corrupted copies */

/* Each mutation edits a fresh copy of prog in place; a PH_MUT edits program
 * header `which` as p (and may edit the ELF header as e). */
#define EH_MUT(name, ...)                                       \
    static void name(uint8_t *d, uint64_t len)                  \
    {                                                           \
        struct elf64_ehdr e = ehdr_of(d);                       \
        (void)len;                                              \
        __VA_ARGS__;                                            \
        ehdr_set(d, &e);                                        \
    }
#define PH_MUT(name, which, ...)                                \
    static void name(uint8_t *d, uint64_t len)                  \
    {                                                           \
        int i = (which);                                        \
        assert_true(i >= 0);                                    \
        struct elf64_ehdr e = ehdr_of(d);                       \
        struct elf64_phdr p = phdr_of(d, i);                    \
        (void)len;                                              \
        __VA_ARGS__;                                            \
        phdr_set(d, i, &p);                                     \
        ehdr_set(d, &e);                                        \
    }
#define TEXT phdr_text(d)
#define FIRST phdr_find(d, ELF_PT_LOAD, 0)
#define LAST phdr_last_load(d)
#define STACK phdr_find(d, ELF_PT_GNU_STACK, 0)
#define TLS phdr_find(d, ELF_PT_TLS, 0)
#define EUSER ELF_USER_END

EH_MUT(m_none, )
EH_MUT(m_magic0, e.ident[0] = 0x7e)
EH_MUT(m_magic1, e.ident[1] = 'e')
EH_MUT(m_magic2, e.ident[2] = 'l')
EH_MUT(m_magic3, e.ident[3] = 'f')
EH_MUT(m_class32, e.ident[4] = 1)
EH_MUT(m_class0, e.ident[4] = 0)
EH_MUT(m_big_endian, e.ident[5] = 2)
EH_MUT(m_ident_version, e.ident[6] = 0)
EH_MUT(m_version, e.version = 2)
EH_MUT(m_machine_i386, e.machine = 3)
EH_MUT(m_machine_aarch64, e.machine = 183)
EH_MUT(m_type_rel, e.type = ELF_ET_REL)
EH_MUT(m_type_dyn, e.type = ELF_ET_DYN)
EH_MUT(m_type_core, e.type = 4)
EH_MUT(m_type_none, e.type = 0)
EH_MUT(m_ehsize, e.ehsize = 52)
EH_MUT(m_phentsize_32, e.phentsize = 32)
EH_MUT(m_phentsize_64, e.phentsize = 64)
EH_MUT(m_phentsize_0, e.phentsize = 0)
EH_MUT(m_phnum_0, e.phnum = 0)
EH_MUT(m_phnum_xnum, e.phnum = ELF_PN_XNUM)
EH_MUT(m_phnum_huge, e.phnum = 0x8000)
EH_MUT(m_phnum_past_eof, e.phnum = (uint16_t)((len - e.phoff) / 56 + 1))
EH_MUT(m_phoff_eof, e.phoff = len)
EH_MUT(m_phoff_crosses_eof, e.phoff = (len - 8) & ~7ull)
EH_MUT(m_phoff_huge, e.phoff = UINT64_MAX & ~7ull)
EH_MUT(m_phoff_wraps, e.phoff = 0 - 56ull * e.phnum)
EH_MUT(m_phoff_in_ehdr, e.phoff = 0)
EH_MUT(m_phoff_unaligned, e.phoff += 4)
EH_MUT(m_sections_garbage, e.shoff = UINT64_MAX; e.shnum = 0xffff; e.shentsize = 1; e.shstrndx = 7)
EH_MUT(m_entry_0, e.entry = 0)
EH_MUT(m_entry_readonly, e.entry = phdr_of(d, FIRST).vaddr + 16)
EH_MUT(m_entry_text_start, e.entry = phdr_of(d, TEXT).vaddr)
EH_MUT(m_entry_text_last, e.entry = phdr_of(d, TEXT).vaddr + phdr_of(d, TEXT).filesz - 1)
EH_MUT(m_entry_text_end, e.entry = phdr_of(d, TEXT).vaddr + phdr_of(d, TEXT).filesz)
EH_MUT(m_entry_bss, e.entry = phdr_of(d, LAST).vaddr + phdr_of(d, LAST).memsz - 1)
EH_MUT(m_entry_kernel, e.entry = 0xffffffff80001000ull)
PH_MUT(m_text_not_exec, TEXT, p.flags = ELF_PF_R)
PH_MUT(m_text_filesz_past_eof, TEXT, p.filesz = len - p.offset + 1;
       p.memsz = p.memsz > p.filesz ? p.memsz : p.filesz)
PH_MUT(m_text_offset_past_eof, TEXT, p.offset += (len + PAGE - 1) & ~(PAGE - 1))
PH_MUT(m_text_offset_wraps, TEXT, p.offset = (UINT64_MAX & ~(PAGE - 1)) | (p.vaddr & (PAGE - 1)))
PH_MUT(m_text_filesz_max, TEXT, p.filesz = p.memsz = UINT64_MAX)
PH_MUT(m_text_memsz_wraps, TEXT, p.memsz = UINT64_MAX - p.vaddr + 2)
PH_MUT(m_text_memsz_max, TEXT, p.memsz = UINT64_MAX)
PH_MUT(m_text_incongruent, TEXT, p.vaddr += 16; p.paddr += 16; e.entry += 16)
PH_MUT(m_text_incongruent_align_0, TEXT, p.vaddr += 16; p.paddr += 16; e.entry += 16; p.align = 0)
PH_MUT(m_text_overlaps_first, TEXT, uint64_t down = p.vaddr - phdr_of(d, FIRST).vaddr;
       p.vaddr -= down; e.entry -= down)
PH_MUT(m_last_filesz_gt_memsz, LAST, p.filesz = p.memsz + 1)
PH_MUT(m_last_kernel_half, LAST, p.vaddr = 0xffffffff80000000ull | (p.vaddr & (PAGE - 1)))
PH_MUT(m_last_non_canonical, LAST, p.vaddr = 0x800000000000ull | (p.vaddr & (PAGE - 1)))
PH_MUT(m_last_in_last_user_page, LAST, p.vaddr = EUSER | (p.vaddr & (PAGE - 1)))
PH_MUT(m_last_crosses_user_end, LAST, p.vaddr = (EUSER - PAGE) | (p.vaddr & (PAGE - 1));
       p.memsz = PAGE)
/* 2^b + 1 for a bit b clear in vaddr - offset: congruent if one only masks
 * with align - 1, so only the power-of-two rule refuses it. */
PH_MUT(m_last_align_not_pow2, LAST, int b = 13;
       while ((p.vaddr - p.offset) >> b & 1)
           b++;
       p.align = (1ull << b) + 1)
PH_MUT(m_last_align_incongruent, LAST, p.align = 0x200000;
       assert_int_not_equal((p.vaddr - p.offset) % p.align, 0))
PH_MUT(m_first_align_2m, FIRST, p.align = 0x200000;
       assert_int_equal((p.vaddr - p.offset) % p.align, 0))
PH_MUT(m_first_below_64k, FIRST, p.vaddr = 0xf000)
PH_MUT(m_first_at_0, FIRST, p.vaddr = 0)
PH_MUT(m_first_without_phdrs, FIRST, p.filesz = p.memsz = 0x40;
       assert_true(e.phoff + e.phnum * 56ull > p.offset + p.filesz))
PH_MUT(m_stack_exec, STACK, p.flags |= ELF_PF_X)
PH_MUT(m_stack_gone, STACK, p.type = ELF_PT_NOTE)
PH_MUT(m_stack_null, STACK, p.type = ELF_PT_NULL)
PH_MUT(m_stack_unknown, STACK, p.type = 0x6fffffff)
PH_MUT(m_stack_interp, STACK, p.type = ELF_PT_INTERP)
PH_MUT(m_stack_dynamic, STACK, p.type = ELF_PT_DYNAMIC)
PH_MUT(m_stack_phdr_ok, STACK, p.type = ELF_PT_PHDR; p.offset = e.phoff;
       p.vaddr = phdr_of(d, FIRST).vaddr + e.phoff - phdr_of(d, FIRST).offset)
PH_MUT(m_stack_phdr_wrong_vaddr, STACK, p.type = ELF_PT_PHDR; p.offset = e.phoff;
       p.vaddr = phdr_of(d, FIRST).vaddr + e.phoff + 8)
PH_MUT(m_stack_phdr_wrong_offset, STACK, p.type = ELF_PT_PHDR; p.offset = e.phoff + 56;
       p.vaddr = phdr_of(d, FIRST).vaddr + e.phoff)
PH_MUT(m_stack_empty_load, STACK, struct elf64_phdr l = phdr_of(d, LAST);
       p = (struct elf64_phdr){ .type = ELF_PT_LOAD, .flags = ELF_PF_R,
                                .vaddr = (l.vaddr + l.memsz + PAGE - 1) & ~(PAGE - 1) })
PH_MUT(m_stack_empty_load_inside, STACK, struct elf64_phdr l = phdr_of(d, LAST);
       p = (struct elf64_phdr){ .type = ELF_PT_LOAD, .vaddr = l.vaddr & ~(PAGE - 1) })
PH_MUT(m_stack_second_tls, STACK, p = phdr_of(d, TLS))
PH_MUT(m_tls_filesz_gt_memsz, TLS, p.filesz = p.memsz + 1)
PH_MUT(m_tls_align_not_pow2, TLS, p.align = 24)
PH_MUT(m_tls_outside_loads, TLS, p.vaddr = 0x10000000)
PH_MUT(m_tls_kernel_half, TLS, p.vaddr = 0xffffffff80000000ull)
PH_MUT(m_tls_offset_past_eof, TLS, p.offset = len)

static void m_swap_loads(uint8_t *d, uint64_t len)
{
    (void)len;
    int a = FIRST, b = phdr_find(d, ELF_PT_LOAD, 1);
    struct elf64_phdr pa = phdr_of(d, a), pb = phdr_of(d, b);
    phdr_set(d, a, &pb);
    phdr_set(d, b, &pa);
}

/* The program header table moved into the text segment's file bytes. */
static void m_phdrs_in_text(uint8_t *d, uint64_t len)
{
    (void)len;
    struct elf64_ehdr e = ehdr_of(d);
    struct elf64_phdr t = phdr_of(d, TEXT);
    assert_true(t.filesz >= 0x100 + e.phnum * 56ull);
    memmove(d + t.offset + 0x100, d + e.phoff, e.phnum * 56ull);
    e.phoff = t.offset + 0x100;
    ehdr_set(d, &e);
}

/* The same, 4 bytes further: contents intact, alignment broken. */
static void m_phdrs_unaligned(uint8_t *d, uint64_t len)
{
    (void)len;
    struct elf64_ehdr e = ehdr_of(d);
    struct elf64_phdr t = phdr_of(d, TEXT);
    memmove(d + t.offset + 0x104, d + e.phoff, e.phnum * 56ull);
    e.phoff = t.offset + 0x104;
    ehdr_set(d, &e);
}

static void phdrs_in_text(const struct elf_image *img)
{
    assert_int_equal(img->phdr_vaddr, img->segs[1].vaddr + 0x100);
}

static void m_no_loads(uint8_t *d, uint64_t len)
{
    (void)len;
    for (int i; (i = FIRST) >= 0;) {
        struct elf64_phdr p = phdr_of(d, i);
        p.type = ELF_PT_NOTE;
        phdr_set(d, i, &p);
    }
}

static void m_align_0_and_1(uint8_t *d, uint64_t len)
{
    (void)len;
    for (int n = 0, i; (i = phdr_find(d, ELF_PT_LOAD, n)) >= 0; n++) {
        struct elf64_phdr p = phdr_of(d, i);
        p.align = n & 1;
        phdr_set(d, i, &p);
    }
}

static void stack_is_exec(const struct elf_image *img) { assert_true(img->stack_exec); }
static void stack_not_exec(const struct elf_image *img) { assert_false(img->stack_exec); }
static void same_segments(const struct elf_image *img)
{
    assert_int_equal(img->nsegs, g_prog_img.nsegs);
    for (int i = 0; i < img->nsegs; i++) {
        assert_int_equal(img->segs[i].vaddr, g_prog_img.segs[i].vaddr);
        assert_int_equal(img->segs[i].memsz, g_prog_img.segs[i].memsz);
        assert_int_equal(img->segs[i].offset, g_prog_img.segs[i].offset);
        assert_int_equal(img->segs[i].filesz, g_prog_img.segs[i].filesz);
        assert_int_equal(img->segs[i].prot, g_prog_img.segs[i].prot);
    }
    assert_int_equal(img->phdr_vaddr, g_prog_img.phdr_vaddr);
}

struct mutation {
    const char *name;
    void (*apply)(uint8_t *d, uint64_t len);
    int want;
    void (*check)(const struct elf_image *img); /* on success, beyond check_image */
};

static void test_mutation(void **state)
{
    const struct mutation *m = *state;
    uint8_t *d = copy_exact(g_prog.data, g_prog.len);
    m->apply(d, g_prog.len);
    struct elf_image img;
    int rc = elf_parse(d, g_prog.len, &img);
    if (rc != m->want)
        fail_msg("%s: elf_parse gave %d, want %d", m->name, rc, m->want);
    if (rc == 0) {
        check_image(d, g_prog.len, &img);
        if (m->check)
            m->check(&img);
    }
    free(d);
}

#define BAD(fn) { #fn, fn, -ENOEXEC, NULL }
#define GOOD(fn, check) { #fn, fn, 0, check }
static const struct mutation mutations[] = {
    GOOD(m_none, same_segments), BAD(m_magic0), BAD(m_magic1), BAD(m_magic2), BAD(m_magic3),
    BAD(m_class32), BAD(m_class0), BAD(m_big_endian), BAD(m_ident_version), BAD(m_version),
    BAD(m_machine_i386), BAD(m_machine_aarch64), BAD(m_type_rel), BAD(m_type_dyn),
    BAD(m_type_core), BAD(m_type_none), BAD(m_ehsize), BAD(m_phentsize_32),
    BAD(m_phentsize_64), BAD(m_phentsize_0), BAD(m_phnum_0), BAD(m_phnum_xnum),
    BAD(m_phnum_huge), BAD(m_phnum_past_eof), BAD(m_phoff_eof), BAD(m_phoff_crosses_eof),
    BAD(m_phoff_huge), BAD(m_phoff_wraps), BAD(m_phoff_in_ehdr), BAD(m_phoff_unaligned),
    GOOD(m_sections_garbage, same_segments), BAD(m_entry_0), BAD(m_entry_readonly),
    GOOD(m_entry_text_start, NULL), GOOD(m_entry_text_last, NULL), BAD(m_entry_text_end),
    BAD(m_entry_bss), BAD(m_entry_kernel), BAD(m_text_not_exec), BAD(m_text_filesz_past_eof),
    BAD(m_text_offset_past_eof), BAD(m_text_offset_wraps), BAD(m_text_filesz_max),
    BAD(m_text_memsz_wraps), BAD(m_text_memsz_max), BAD(m_text_incongruent),
    BAD(m_text_overlaps_first), BAD(m_last_filesz_gt_memsz), BAD(m_last_kernel_half),
    BAD(m_last_non_canonical), BAD(m_last_in_last_user_page), BAD(m_last_crosses_user_end),
    BAD(m_last_align_not_pow2), BAD(m_last_align_incongruent),
    GOOD(m_first_align_2m, same_segments), BAD(m_first_below_64k), BAD(m_first_at_0),
    BAD(m_first_without_phdrs), GOOD(m_stack_exec, stack_is_exec),
    GOOD(m_stack_gone, stack_not_exec), GOOD(m_stack_null, same_segments),
    GOOD(m_stack_unknown, same_segments), BAD(m_stack_interp), BAD(m_stack_dynamic),
    GOOD(m_stack_phdr_ok, same_segments), BAD(m_stack_phdr_wrong_vaddr),
    BAD(m_stack_phdr_wrong_offset), GOOD(m_stack_empty_load, same_segments),
    BAD(m_stack_empty_load_inside), BAD(m_stack_second_tls), BAD(m_tls_filesz_gt_memsz),
    BAD(m_tls_align_not_pow2), BAD(m_tls_outside_loads), BAD(m_tls_kernel_half),
    BAD(m_tls_offset_past_eof), BAD(m_swap_loads), BAD(m_no_loads),
    GOOD(m_phdrs_in_text, phdrs_in_text), BAD(m_phdrs_unaligned),
    BAD(m_text_incongruent_align_0),
    GOOD(m_align_0_and_1, same_segments),
};
#define NMUT (sizeof(mutations) / sizeof(mutations[0]))

/* Every prefix of the file: refused until it holds the headers and every
 * loaded byte, accepted from then on, and never read past. */
static void test_truncation(void **state)
{
    (void)state;
    struct elf64_ehdr e = ehdr_of(g_prog.data);
    uint64_t need = e.phoff + e.phnum * 56ull;
    for (int i = 0; i < e.phnum; i++) {
        struct elf64_phdr p = phdr_of(g_prog.data, i);
        if ((p.type == ELF_PT_LOAD || p.type == ELF_PT_TLS) && p.offset + p.filesz > need)
            need = p.offset + p.filesz;
    }
    assert_true(need > e.phoff + e.phnum * 56ull && need <= g_prog.len);
    for (uint64_t n = 0; n <= g_prog.len; n++) {
        struct elf_image img;
        int rc = parse_copy(g_prog.data, n, &img);
        if (rc != (n >= need ? 0 : -ENOEXEC))
            fail_msg("%" PRIu64 " bytes of %" PRIu64 " (need %" PRIu64 "): rc %d", n,
                     g_prog.len, need, rc);
    }
    /* Trailing bytes past the file change nothing. */
    uint8_t *big = calloc(1, g_prog.len + 4096);
    assert_non_null(big);
    memcpy(big, g_prog.data, g_prog.len);
    struct elf_image img;
    assert_int_equal(parse_copy(big, g_prog.len + 4096, &img), 0);
    same_segments(&img);
    free(big);
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint64_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

/* Random byte flips, mostly in the headers: any answer but 0 or -ENOEXEC, a
 * crash, an out-of-bounds read or an accepted image that breaks the rules is
 * a failure. Then random values in random program header fields. */
static void test_fuzz(void **state)
{
    (void)state;
    struct elf64_ehdr e = ehdr_of(g_prog.data);
    uint64_t hdr_end = e.phoff + e.phnum * 56ull, accepted = 0;
    uint8_t *d = malloc(g_prog.len);
    assert_non_null(d);
    for (int iter = 0; iter < 4000; iter++) {
        memcpy(d, g_prog.data, g_prog.len);
        int flips = 1 + rng() % 4;
        for (int k = 0; k < flips; k++) {
            uint64_t at = rng() % 4 ? rng() % hdr_end : rng() % g_prog.len;
            d[at] ^= (uint8_t)(1 + rng() % 255);
        }
        struct elf_image img;
        int rc = elf_parse(d, g_prog.len, &img);
        if (rc != 0 && rc != -ENOEXEC)
            fail_msg("flip iteration %d: rc %d", iter, rc);
        if (rc == 0) {
            check_image(d, g_prog.len, &img);
            accepted++;
        }
    }
    static const uint64_t odd[] = { 0, 1, 7, 8, 0xfff, 0x1000, 0x10000, 0x400000,
                                    ELF_USER_END - 1, ELF_USER_END, 1ull << 47, UINT64_MAX,
                                    UINT64_MAX - 0xfff, 1ull << 63 };
    for (int iter = 0; iter < 3000; iter++) {
        memcpy(d, g_prog.data, g_prog.len);
        int i = rng() % e.phnum;
        uint64_t v = rng() % 3 ? odd[rng() % (sizeof(odd) / sizeof(odd[0]))] : rng();
        if (rng() % 2)
            v += g_prog.len - rng() % 3;
        int field = rng() % 7; /* type/flags, offset, vaddr, paddr, filesz, memsz, align */
        uint8_t *at = d + e.phoff + i * 56ull + (field == 0 ? (rng() % 2) * 4 : 8ull * field);
        if (field == 0)
            memcpy(at, &(uint32_t){ (uint32_t)v }, 4);
        else
            memcpy(at, &v, 8);
        struct elf_image img;
        int rc = elf_parse(d, g_prog.len, &img);
        if (rc != 0 && rc != -ENOEXEC)
            fail_msg("field iteration %d: rc %d", iter, rc);
        if (rc == 0) {
            check_image(d, g_prog.len, &img);
            accepted++;
        }
    }
    print_message("fuzz: %" PRIu64 " of 7000 variants accepted\n", accepted);
    free(d);
}

/* ------------------------------------------------------------ synthetic files */

struct synth {
    int n;
    struct elf64_phdr ph[24];
    uint64_t entry, len;
};

static struct elf64_phdr load(uint64_t vaddr, uint64_t offset, uint64_t filesz, uint64_t memsz,
                              uint32_t flags)
{
    return (struct elf64_phdr){ .type = ELF_PT_LOAD, .flags = flags, .offset = offset,
                                .vaddr = vaddr, .paddr = vaddr, .filesz = filesz,
                                .memsz = memsz, .align = PAGE };
}

static int synth_parse(const struct synth *s, struct elf_image *img)
{
    uint8_t *d = calloc(1, s->len);
    assert_non_null(d);
    struct elf64_ehdr e = { .ident = { 0x7f, 'E', 'L', 'F', 2, 1, 1 }, .type = ELF_ET_EXEC,
                            .machine = ELF_EM_X86_64, .version = 1, .entry = s->entry,
                            .phoff = 64, .ehsize = 64, .phentsize = 56, .phnum = s->n };
    ehdr_set(d, &e);
    for (int i = 0; i < s->n; i++)
        phdr_set(d, i, &s->ph[i]);
    int rc = parse_copy(d, s->len, img);
    if (rc == 0)
        check_image(d, s->len, img);
    free(d);
    return rc;
}

#define RX (ELF_PF_R | ELF_PF_X)
#define RW (ELF_PF_R | ELF_PF_W)

/* Segments that share a page but no byte: accepted; the page gets both. */
static void test_shared_pages(void **state)
{
    (void)state;
    struct elf_image img;
    struct synth s = { 2, { load(0x400000, 0, 0x1800, 0x1800, RX),
                            load(0x401800, 0x1800, 0x100, 0x900, RW) }, 0x400100, 0x2000 };
    assert_int_equal(synth_parse(&s, &img), 0);
    assert_int_equal(img.lo, 0x400000);
    assert_int_equal(img.hi, 0x403000);
    assert_int_equal(elf_page_prot(&img, 0x3ff000), 0);
    assert_int_equal(elf_page_prot(&img, 0x400000), PROT_READ | PROT_EXEC);
    assert_int_equal(elf_page_prot(&img, 0x400fff), PROT_READ | PROT_EXEC);
    assert_int_equal(elf_page_prot(&img, 0x401000), PROT_READ | PROT_WRITE | PROT_EXEC);
    assert_int_equal(elf_page_prot(&img, 0x401abc), PROT_READ | PROT_WRITE | PROT_EXEC);
    assert_int_equal(elf_page_prot(&img, 0x402000), PROT_READ | PROT_WRITE);
    assert_int_equal(elf_page_prot(&img, 0x403000), 0);

    /* One byte of overlap is refused; touching is fine. */
    s.ph[1] = load(0x4017ff, 0x17ff, 0x100, 0x900, RW);
    assert_int_equal(synth_parse(&s, &img), -ENOEXEC);
    s.ph[1] = load(0x401800, 0x1800, 0, 0x900, RW);
    assert_int_equal(synth_parse(&s, &img), 0);

    /* Three on one page; a gap page in between gets nothing. */
    struct synth t = { 4, { load(0x400000, 0, 0x800, 0x800, RX), load(0x400800, 0x800, 0x100, 0x100, ELF_PF_R),
                            load(0x400900, 0x900, 0x100, 0x100, RW), load(0x402000, 0x2000, 0x10, 0x10, ELF_PF_R) },
                       0x400200, 0x3000 };
    assert_int_equal(synth_parse(&t, &img), 0);
    assert_int_equal(img.nsegs, 4);
    assert_int_equal(elf_page_prot(&img, 0x400000), PROT_READ | PROT_WRITE | PROT_EXEC);
    assert_int_equal(elf_page_prot(&img, 0x401000), 0);
    assert_int_equal(elf_page_prot(&img, 0x402000), PROT_READ);
    assert_int_equal(img.hi, 0x403000);
}

static void test_synthetic_limits(void **state)
{
    (void)state;
    struct elf_image img;
    struct synth s = { 0 };
    /* ELF_MAX_SEGMENTS segments are fine, one more is not. */
    for (int i = 0; i <= ELF_MAX_SEGMENTS; i++)
        s.ph[i] = load(0x400000 + i * PAGE, i * PAGE, PAGE, PAGE, i ? ELF_PF_R : RX);
    s.entry = 0x400800, s.len = (ELF_MAX_SEGMENTS + 1) * PAGE;
    s.n = ELF_MAX_SEGMENTS;
    assert_int_equal(synth_parse(&s, &img), 0);
    assert_int_equal(img.nsegs, ELF_MAX_SEGMENTS);
    s.n = ELF_MAX_SEGMENTS + 1;
    assert_int_equal(synth_parse(&s, &img), -ENOEXEC);
    /* ... unless the extra one is empty. */
    s.ph[ELF_MAX_SEGMENTS].memsz = s.ph[ELF_MAX_SEGMENTS].filesz = 0;
    assert_int_equal(synth_parse(&s, &img), 0);

    /* e_phnum PN_XNUM (the count is elsewhere) is refused even when that
     * many headers would fit in the file. */
    uint64_t xlen = 64 + ELF_PN_XNUM * 56ull;
    uint8_t *x = calloc(1, xlen);
    assert_non_null(x);
    struct elf64_ehdr xe = { .ident = { 0x7f, 'E', 'L', 'F', 2, 1, 1 }, .type = ELF_ET_EXEC,
                             .machine = ELF_EM_X86_64, .version = 1, .entry = 0x400100,
                             .phoff = 64, .ehsize = 64, .phentsize = 56, .phnum = ELF_PN_XNUM };
    ehdr_set(x, &xe);
    struct elf64_phdr xl = load(0x400000, 0, xlen, xlen, RX);
    phdr_set(x, 0, &xl);
    assert_int_equal(parse_copy(x, xlen, &img), -ENOEXEC);
    xe.phnum = ELF_PN_XNUM - 1;
    ehdr_set(x, &xe);
    assert_int_equal(parse_copy(x, xlen, &img), 0);
    free(x);

    /* The user range, at both ends. */
    struct synth u = { 2, { load(ELF_USER_MIN, 0, 0x800, 0x800, RX),
                            load(ELF_USER_END - 2 * PAGE, PAGE, 0x10, 2 * PAGE, RW) },
                       ELF_USER_MIN + 0x100, 2 * PAGE };
    assert_int_equal(synth_parse(&u, &img), 0);
    assert_int_equal(img.lo, ELF_USER_MIN);
    assert_int_equal(img.hi, ELF_USER_END);
    u.ph[1].memsz++;
    assert_int_equal(synth_parse(&u, &img), -ENOEXEC);
    u.ph[1].memsz--;
    u.ph[0].vaddr -= PAGE, u.entry -= PAGE;
    assert_int_equal(synth_parse(&u, &img), -ENOEXEC);

    /* Entry in the zero-filled tail of an executable segment. */
    struct synth b = { 1, { load(0x400000, 0, 0x800, 0x2000, RX) }, 0x4007ff, PAGE };
    assert_int_equal(synth_parse(&b, &img), 0);
    b.entry = 0x400800;
    assert_int_equal(synth_parse(&b, &img), -ENOEXEC);
    /* Program headers past the segment's file bytes, in its bss. */
    b.ph[0].filesz = 0x40, b.entry = 0x400010;
    assert_int_equal(synth_parse(&b, &img), -ENOEXEC);
    /* A write+exec segment is the kernel's business, not malformed. */
    b.ph[0] = load(0x400000, 0, 0x800, 0x800, RX | ELF_PF_W);
    assert_int_equal(synth_parse(&b, &img), 0);
    assert_int_equal(img.segs[0].prot, PROT_READ | PROT_WRITE | PROT_EXEC);
}

/* ------------------------------------------------------------ initial stack */

struct ustack {
    const uint8_t *buf;
    uint64_t size, top;
};

static const uint8_t *uat(const struct ustack *s, uint64_t u, uint64_t n)
{
    if (!(u >= s->top - s->size && u <= s->top && n <= s->top - u))
        fail_msg("user address %#" PRIx64 "+%" PRIu64 " outside the stack", u, n);
    return s->buf + (u - (s->top - s->size));
}

static uint64_t uword(const struct ustack *s, uint64_t u)
{
    uint64_t v;
    memcpy(&v, uat(s, u, 8), 8);
    return v;
}

static const char *ustr(const struct ustack *s, uint64_t u)
{
    const uint8_t *p = uat(s, u, 1);
    assert_non_null(memchr(p, 0, s->top - u));
    return (const char *)p;
}

static int count(const char *const v[])
{
    int n = 0;
    while (v && v[n])
        n++;
    return n;
}

/* Reads the stack back as musl would, and checks it against the header's
 * description, byte for byte where it names a place. */
static void check_stack(const uint8_t *buf, uint64_t size, uint64_t top, uint64_t rsp,
                        const struct elf_image *img, const char *const argv[],
                        const char *const envp[], const uint8_t rnd[16], uint64_t hwcap)
{
    const struct ustack s = { buf, size, top };
    assert_int_equal(rsp % 16, 0);
    assert_true(rsp >= top - size && rsp < top);
    uint64_t u = rsp, next = 0, first = 0;
    int argc = count(argv), envc = count(envp);
    assert_int_equal(uword(&s, u), argc);
    u += 8;
    for (int list = 0; list < 2; list++) {
        const char *const *v = list ? envp : argv;
        for (int i = 0; i < (list ? envc : argc); i++, u += 8) {
            uint64_t p = uword(&s, u);
            assert_string_equal(ustr(&s, p), v[i]);
            if (!first)
                first = next = p;
            assert_int_equal(p, next); /* strings contiguous, argv then envp */
            next = p + strlen(v[i]) + 1;
        }
        assert_int_equal(uword(&s, u), 0);
        u += 8;
    }

    uint64_t val[64];
    bool seen[64] = { false };
    for (int n = 0;; n++, u += 16) {
        assert_true(n < 40);
        uint64_t key = uword(&s, u);
        if (key == ELF_AT_NULL) {
            assert_int_equal(uword(&s, u + 8), 0);
            u += 16;
            break;
        }
        assert_true(key < 64 && !seen[key]);
        seen[key] = true;
        val[key] = uword(&s, u + 8);
    }
    static const struct { int key; uint64_t want; } fixed[] = {
        { ELF_AT_PAGESZ, 4096 }, { ELF_AT_BASE, 0 }, { ELF_AT_FLAGS, 0 }, { ELF_AT_UID, 0 },
        { ELF_AT_EUID, 0 }, { ELF_AT_GID, 0 }, { ELF_AT_EGID, 0 }, { ELF_AT_SECURE, 0 },
        { ELF_AT_CLKTCK, 100 }, { ELF_AT_PHENT, 56 }, { ELF_AT_SYSINFO_EHDR, 0 },
    };
    int nkeys = 0;
    for (int k = 0; k < 64; k++)
        nkeys += seen[k];
    assert_int_equal(nkeys, 18);
    for (size_t k = 0; k < sizeof(fixed) / sizeof(fixed[0]); k++) {
        assert_true(seen[fixed[k].key]);
        assert_int_equal(val[fixed[k].key], fixed[k].want);
    }
    assert_true(seen[ELF_AT_PHDR] && seen[ELF_AT_PHNUM] && seen[ELF_AT_ENTRY] &&
                seen[ELF_AT_HWCAP] && seen[ELF_AT_RANDOM] && seen[ELF_AT_EXECFN] &&
                seen[ELF_AT_PLATFORM]);
    assert_int_equal(val[ELF_AT_PHDR], img->phdr_vaddr);
    assert_int_equal(val[ELF_AT_PHNUM], img->phnum);
    assert_int_equal(val[ELF_AT_ENTRY], img->entry);
    assert_int_equal(val[ELF_AT_HWCAP], hwcap);
    assert_memory_equal(uat(&s, val[ELF_AT_RANDOM], 16), rnd, 16);
    assert_string_equal(ustr(&s, val[ELF_AT_PLATFORM]), "x86_64");
    const char *execfn = argc ? argv[0] : "";
    assert_string_equal(ustr(&s, val[ELF_AT_EXECFN]), execfn);

    /* Places, bottom up: pointer block, padding < 16, random, platform,
     * argv+envp strings, execfn, 8 zero bytes at top. */
    uint64_t u_rand = val[ELF_AT_RANDOM], u_plat = val[ELF_AT_PLATFORM];
    uint64_t u_exec = val[ELF_AT_EXECFN];
    assert_true(u_rand >= u && u_rand - u < 16);
    for (uint64_t a = u; a < u_rand; a++)
        assert_int_equal(*uat(&s, a, 1), 0); /* padding is zeroed */
    assert_int_equal(u_plat, u_rand + 16);
    assert_int_equal(first ? first : u_exec, u_plat + 7);
    if (first)
        assert_int_equal(next, u_exec);
    assert_int_equal(u_exec + strlen(execfn) + 1, top - 8);
    assert_int_equal(uword(&s, top - 8), 0);
}

static const uint8_t g_rnd[16] = { 0xde, 0xad, 0xbe, 0xef, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0xfe, 0xff };

static void test_stack_layout(void **state)
{
    (void)state;
    static const char *const argv[] = { "/bin/prog", "-S", "1:1", "", "--", "-root", "/", NULL };
    static const char *const envp[] = { "HOME=/", "TERM=vt100", "", "A=b=c", NULL };
    uint64_t size = 8192, top = 0x7fffff000000ull;
    uint8_t *buf = malloc(size);
    assert_non_null(buf);
    memset(buf, 0xa5, size);
    uint64_t rsp = elf_build_stack(buf, size, top, &g_prog_img, argv, envp, g_rnd, 0x178bfbff, 0);
    assert_int_not_equal(rsp, 0);
    check_stack(buf, size, top, rsp, &g_prog_img, argv, envp, g_rnd, 0x178bfbff);
    /* Nothing below rsp was written. */
    for (uint64_t i = 0; i < rsp - (top - size); i++)
        assert_int_equal(buf[i], 0xa5);

    /* No arguments, no environment. */
    memset(buf, 0xa5, size);
    rsp = elf_build_stack(buf, size, top, &g_prog_img, NULL, NULL, g_rnd, 0, 0);
    assert_int_not_equal(rsp, 0);
    check_stack(buf, size, top, rsp, &g_prog_img, NULL, NULL, g_rnd, 0);
    static const char *const none[] = { NULL };
    rsp = elf_build_stack(buf, size, top, &g_prog_img, none, none, g_rnd, 0, 0);
    check_stack(buf, size, top, rsp, &g_prog_img, none, none, g_rnd, 0);
    free(buf);
}

/* Every mix of counts, string lengths and unaligned tops keeps rsp aligned. */
static void test_stack_alignment(void **state)
{
    (void)state;
    static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz";
    uint64_t size = 4096;
    uint8_t *buf = malloc(size);
    assert_non_null(buf);
    for (int nargs = 0; nargs <= 5; nargs++)
        for (int slen = 0; slen <= 17; slen++)
            for (int nenv = 0; nenv <= 3; nenv++)
                for (int off = 0; off < 16; off++) {
                    char str[32];
                    memcpy(str, alphabet, slen);
                    str[slen] = 0;
                    const char *argv[8] = { 0 }, *envp[8] = { 0 };
                    for (int i = 0; i < nargs; i++)
                        argv[i] = str + (i % (slen + 1));
                    for (int i = 0; i < nenv; i++)
                        envp[i] = str + ((i + 3) % (slen + 1));
                    uint64_t top = 0x7ffe00000000ull - off;
                    uint64_t rsp = elf_build_stack(buf, size, top, &g_prog_img, argv, envp, g_rnd, 1, 0);
                    assert_int_not_equal(rsp, 0);
                    check_stack(buf, size, top, rsp, &g_prog_img, argv, envp, g_rnd, 1);
                }
    free(buf);
}

/* Below the size a stack needs, every size fails and writes nothing; at that
 * size it is the same stack as in a large buffer. */
static void check_min_size(uint64_t top, const char *const argv[], const char *const envp[])
{
    uint64_t big = top < (1 << 20) ? top : (1 << 20);
    uint8_t *ref = malloc(big);
    assert_non_null(ref);
    uint64_t rsp = elf_build_stack(ref, big, top, &g_prog_img, argv, envp, g_rnd, 5, 0);
    assert_int_not_equal(rsp, 0);
    uint64_t need = top - rsp;
    for (uint64_t size = 0; size <= need; size++) {
        uint8_t *buf = malloc(size ? size : 1);
        assert_non_null(buf);
        memset(buf, 0x5a, size);
        uint64_t r = elf_build_stack(buf, size, top, &g_prog_img, argv, envp, g_rnd, 5, 0);
        if (size < need) {
            if (r != 0)
                fail_msg("size %" PRIu64 " < %" PRIu64 " gave rsp %#" PRIx64, size, need, r);
            for (uint64_t i = 0; i < size; i++)
                assert_int_equal(buf[i], 0x5a);
        } else {
            assert_int_equal(r, rsp);
            assert_memory_equal(buf, ref + big - need, need);
            check_stack(buf, size, top, r, &g_prog_img, argv, envp, g_rnd, 5);
        }
        free(buf);
    }
    free(ref);
}

static void test_stack_too_small(void **state)
{
    (void)state;
    static const char *const argv[] = { "/bin/beam.smp", "-S", "1:1", "--", "-root", "/", NULL };
    static const char *const envp[] = { "HOME=/", "PATH=/bin", NULL };
    check_min_size(0x7ffffffde000ull, argv, envp);
    check_min_size(0x7ffffffde00bull, argv, envp);
    check_min_size(0x7ffffffde000ull, NULL, NULL);
    /* A stack reaching down to user address 0 still works if it fits. */
    check_min_size(4096, argv, NULL);
}

static void test_stack_bad_args_and_big(void **state)
{
    (void)state;
    uint8_t buf[1024];
    const uint64_t top = 0x7ffffffde000ull;
    assert_int_equal(elf_build_stack(NULL, 1024, top, &g_prog_img, NULL, NULL, g_rnd, 0, 0), 0);
    assert_int_equal(elf_build_stack(buf, 1024, top, NULL, NULL, NULL, g_rnd, 0, 0), 0);
    assert_int_equal(elf_build_stack(buf, 1024, top, &g_prog_img, NULL, NULL, NULL, 0, 0), 0);
    assert_int_equal(elf_build_stack(buf, 1024, 1000, &g_prog_img, NULL, NULL, g_rnd, 0, 0), 0);
    assert_int_not_equal(elf_build_stack(buf, 1024, 1024, &g_prog_img, NULL, NULL, g_rnd, 0, 0), 0);

    /* Thousands of environment strings, some long. */
    enum { N = 3000 };
    static char strs[N][64];
    static const char *envp[N + 1];
    for (int i = 0; i < N; i++) {
        snprintf(strs[i], sizeof(strs[i]), "VAR%d=%.*s", i, i % 30, "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
        envp[i] = strs[i];
    }
    envp[N] = NULL;
    static char longarg[5000];
    memset(longarg, 'L', sizeof(longarg) - 1);
    const char *argv[] = { "prog", longarg, NULL };
    uint64_t size = 256 * 1024;
    uint8_t *big = malloc(size);
    assert_non_null(big);
    uint64_t rsp = elf_build_stack(big, size, top, &g_prog_img, argv, envp, g_rnd, 0, 0);
    assert_int_not_equal(rsp, 0);
    check_stack(big, size, top, rsp, &g_prog_img, argv, envp, g_rnd, 0);
    free(big);
}

/* The vDSO's address, when there is one, is AT_SYSINFO_EHDR's value. */
static void test_stack_vdso_address(void **state)
{
    (void)state;
    uint8_t buf[4096];
    const uint64_t top = 0x7ffffffde000ull, vdso = 0x7ffffff11000ull;
    uint64_t rsp = elf_build_stack(buf, sizeof(buf), top, &g_prog_img, NULL, NULL, g_rnd, 0, vdso);
    assert_int_not_equal(rsp, 0);
    const uint64_t *w = (const uint64_t *)(buf + (rsp - (top - sizeof(buf))));
    w += 3; /* argc 0, the NULL ending argv, the NULL ending envp */
    int found = 0;
    for (; w[0] != ELF_AT_NULL; w += 2)
        if (w[0] == ELF_AT_SYSINFO_EHDR) {
            assert_int_equal(w[1], vdso);
            found++;
        }
    assert_int_equal(found, 1);
}

/* ------------------------------------------------------------ running it */

#define RUN_STACK_TOP 0x70000000ull /* below ASan's shadow, clear of the test binary */
#define RUN_STACK_SIZE (1ull << 20)
enum { CHILD_NO_MAP = 200, CHILD_NO_STACK };

/* In a forked child: loads img as the kernel will (zeroed pages, file bytes
 * copied, elf_page_prot per page), builds the stack, and jumps to the entry
 * with rsp set, rdx zero, stdout on outfd. Never returns. */
static void run_child(const struct file *f, const struct elf_image *img, int outfd,
                      const char *const argv[], const char *const envp[], uint64_t hwcap)
{
    alarm(10);
    void *want = (void *)img->lo;
    if (mmap(want, img->hi - img->lo, PROT_READ | PROT_WRITE,
             MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0) != want)
        _exit(CHILD_NO_MAP);
    for (int i = 0; i < img->nsegs; i++)
        memcpy((void *)img->segs[i].vaddr, f->data + img->segs[i].offset, img->segs[i].filesz);
    for (uint64_t pg = img->lo; pg < img->hi; pg += PAGE)
        if (mprotect((void *)pg, PAGE, (int)elf_page_prot(img, pg)) != 0)
            _exit(CHILD_NO_MAP);
    void *stack = (void *)(RUN_STACK_TOP - RUN_STACK_SIZE);
    if (mmap(stack, RUN_STACK_SIZE, PROT_READ | PROT_WRITE,
             MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0) != stack)
        _exit(CHILD_NO_MAP);
    uint64_t rsp = elf_build_stack(stack, RUN_STACK_SIZE, RUN_STACK_TOP, img, argv, envp, g_rnd,
                                   hwcap, 0);
    if (!rsp)
        _exit(CHILD_NO_STACK);
    /* The sanitizer's fault handlers would run on the program's TLS: a fault
     * must simply kill the child. Raw syscalls, past the interceptors. */
    struct { void *handler; unsigned long flags; void *restorer; uint64_t mask; } dfl = { 0 };
    for (int sig = 1; sig < 32; sig++)
        if (sig != SIGKILL && sig != SIGSTOP)
            syscall(SYS_rt_sigaction, sig, &dfl, NULL, 8);
    dup2(outfd, 1);
    dup2(outfd, 2);
    __asm__ volatile("mov %0, %%rsp\n\t"
                     "xor %%edx, %%edx\n\t"
                     "xor %%ebp, %%ebp\n\t"
                     "jmp *%1" ::"a"(rsp), "c"(img->entry) : "memory");
    __builtin_unreachable();
}

/* Runs a static program from its entry on our stack; returns its output,
 * stdout and stderr (malloc'd), and exit status, or skips if the addresses
 * are taken. */
static char *run_program(const char *name, const struct file *f, const struct elf_image *img,
                         const char *const argv[], const char *const envp[], uint64_t hwcap,
                         int *status)
{
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(fds[0]);
        run_child(f, img, fds[1], argv, envp, hwcap);
    }
    close(fds[1]);
    size_t cap = 65536, len = 0;
    char *out = malloc(cap);
    assert_non_null(out);
    ssize_t n;
    while ((n = read(fds[0], out + len, cap - 1 - len)) > 0)
        len += (size_t)n;
    out[len] = 0;
    close(fds[0]);
    assert_int_equal(waitpid(pid, status, 0), pid);
    if (WIFEXITED(*status) && WEXITSTATUS(*status) >= CHILD_NO_MAP) {
        print_message("%s: could not set up the child (%d)\n", name, WEXITSTATUS(*status));
        free(out);
        skip();
    }
    if (WIFSIGNALED(*status))
        fail_msg("%s died of signal %d; output so far:\n%s", name, WTERMSIG(*status), out);
    return out;
}

static void run_and_check(const char *name, bool glibc)
{
    struct file f = prog_file(name);
    struct elf_image img;
    assert_int_equal(parse_copy(f.data, f.len, &img), 0);
    static const char *const argv[] = { "/bin/prog", "42", "second arg", "", NULL };
    static const char *const envp[] = { "HYDROS_ELF_TEST=yes", "TERM=dumb", NULL };
    const uint64_t hwcap = 0x178bfbff;
    int status;
    char *out = run_program(name, &f, &img, argv, envp, hwcap, &status);
    free(f.data);

    char want[2048], rnd[40];
    for (int i = 0; i < 16; i++)
        snprintf(rnd + 2 * i, 3, "%02x", g_rnd[i]);
    snprintf(want, sizeof(want),
             "argc=4\nargv[0]=/bin/prog\nargv[1]=42\nargv[2]=second arg\nargv[3]=\n"
             "env=HYDROS_ELF_TEST=yes\nenv=TERM=dumb\ngetenv=yes\ntls=1234,7,0\nmalloc=199999\n"
             "random=%s\npagesz=4096 clktck=100 hwcap=%#" PRIx64 " secure=0 uid=0\n"
             "execfn=/bin/prog platform=x86_64\nentry=%#" PRIx64 " phnum=%u phent=56\n",
             rnd, hwcap, img.entry, img.phnum);
    if (glibc) {
        /* glibc answers AT_HWCAP from its own cpuid probe: drop that field. */
        char *h = strstr(out, " hwcap="), *w = strstr(want, " hwcap=");
        assert_non_null(h);
        memmove(h, strchr(h + 1, ' '), strlen(strchr(h + 1, ' ')) + 1);
        memmove(w, strchr(w + 1, ' '), strlen(strchr(w + 1, ' ')) + 1);
    }
    assert_string_equal(out, want);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 42);
    free(out);
}

static void test_run_musl(void **state)
{
    (void)state;
    run_and_check("prog", false);
}

static void test_run_glibc(void **state)
{
    (void)state;
    run_and_check("prog-glibc", true);
}

/* beam.smp itself, as far as it goes without a kernel of ours: -V makes it
 * initialize and print its version. */
static void test_run_beam(void **state)
{
    (void)state;
    const char *path = getenv("ELF_TEST_BEAM");
    path = path ? path : "build/erts/beam.smp";
    struct file f;
    if (!file_read(path, &f)) {
        print_message("%s not built yet: skipped\n", path);
        skip();
    }
    struct elf_image img;
    assert_int_equal(parse_copy(f.data, f.len, &img), 0);
    static const char *const argv[] = { "/bin/beam.smp", "-V", NULL };
    static const char *const envp[] = { "HOME=/", NULL };
    int status;
    char *out = run_program("beam.smp", &f, &img, argv, envp, 0x178bfbff, &status);
    free(f.data);
    if (!strstr(out, "(BEAM) emulator version"))
        fail_msg("beam.smp -V said:\n%s", out);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    free(out);
}

/* ------------------------------------------------------------ main */

static int load_prog(void **state)
{
    (void)state;
    g_prog = prog_file("prog");
    return parse_copy(g_prog.data, g_prog.len, &g_prog_img) == 0 ? 0 : -1;
}

static int free_prog(void **state)
{
    (void)state;
    free(g_prog.data);
    return 0;
}

int main(void)
{
    static struct CMUnitTest tests[NMUT + 32];
    size_t n = 0;
#define ADD(fn) tests[n++] = (struct CMUnitTest)cmocka_unit_test(fn)
    ADD(test_musl_static);
    ADD(test_glibc_static);
    ADD(test_beam);
    ADD(test_refused_programs);
    ADD(test_bad_args);
    for (size_t i = 0; i < NMUT; i++)
        tests[n++] = (struct CMUnitTest){ mutations[i].name, test_mutation, NULL, NULL,
                                          (void *)&mutations[i] };
    ADD(test_truncation);
    ADD(test_fuzz);
    ADD(test_shared_pages);
    ADD(test_synthetic_limits);
    ADD(test_stack_layout);
    ADD(test_stack_alignment);
    ADD(test_stack_too_small);
    ADD(test_stack_bad_args_and_big);
    ADD(test_stack_vdso_address);
    ADD(test_run_musl);
    ADD(test_run_glibc);
    ADD(test_run_beam);
    return _cmocka_run_group_tests("elf", tests, n, load_prog, free_prog);
}
