/* Program loader, the pure half: ELF validation and the initial user stack.
 * Every header is copied out of the file with memcpy before use, so the file
 * may sit at any alignment, and every offset is checked against len by
 * subtraction, so no sum can wrap. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "elf.h"
#include "uapi.h"

_Static_assert(sizeof(struct elf64_ehdr) == 64, "ELF64 header is 64 bytes");
_Static_assert(sizeof(struct elf64_phdr) == 56, "ELF64 program header is 56 bytes");

#define PAGE_MASK (ELF_PAGE_SIZE - 1)

static uint64_t page_down(uint64_t a) { return a & ~PAGE_MASK; }
/* Only for a <= ELF_USER_END, so it cannot wrap. */
static uint64_t page_up(uint64_t a) { return (a + PAGE_MASK) & ~PAGE_MASK; }
static bool is_pow2(uint64_t x) { return x && !(x & (x - 1)); }

/* [off, off+n) lies inside a file of len bytes. */
static bool in_file(uint64_t off, uint64_t n, uint64_t len)
{
    return off <= len && n <= len - off;
}

/* [a, a+n) lies inside [b, b+m), computed without forming either end. */
static bool inside(uint64_t a, uint64_t n, uint64_t b, uint64_t m)
{
    return a >= b && a - b <= m && n <= m - (a - b);
}

static uint32_t prot_of(uint32_t pflags)
{
    return (pflags & ELF_PF_R ? PROT_READ : 0) | (pflags & ELF_PF_W ? PROT_WRITE : 0) |
           (pflags & ELF_PF_X ? PROT_EXEC : 0);
}

static int check_ehdr(const struct elf64_ehdr *eh, uint64_t len)
{
    static const uint8_t magic[4] = { 0x7f, 'E', 'L', 'F' };
    if (memcmp(eh->ident, magic, 4) != 0 || eh->ident[4] != ELF_CLASS64 ||
        eh->ident[5] != ELF_DATA2LSB || eh->ident[6] != ELF_EV_CURRENT ||
        eh->version != ELF_EV_CURRENT)
        return -ENOEXEC;
    if (eh->type != ELF_ET_EXEC || eh->machine != ELF_EM_X86_64)
        return -ENOEXEC;
    if (eh->ehsize != sizeof(struct elf64_ehdr) ||
        eh->phentsize != sizeof(struct elf64_phdr))
        return -ENOEXEC;
    if (eh->phnum == 0 || eh->phnum >= ELF_PN_XNUM)
        return -ENOEXEC;
    if (eh->phoff < sizeof(struct elf64_ehdr) || eh->phoff % 8 != 0 ||
        !in_file(eh->phoff, (uint64_t)eh->phnum * sizeof(struct elf64_phdr), len))
        return -ENOEXEC;
    return 0;
}

/* One PT_LOAD on its own; prev_end is where the PT_LOAD before it ends. */
static int check_load(const struct elf64_phdr *ph, uint64_t len, uint64_t prev_end)
{
    if (ph->filesz > ph->memsz || !in_file(ph->offset, ph->filesz, len))
        return -ENOEXEC;
    if (ph->vaddr < ELF_USER_MIN || ph->vaddr >= ELF_USER_END ||
        ph->memsz > ELF_USER_END - ph->vaddr)
        return -ENOEXEC;
    /* Unsigned differences wrap modulo 2^64, which every power of two divides. */
    if ((ph->vaddr - ph->offset) & PAGE_MASK)
        return -ENOEXEC;
    if (ph->align > 1 && (!is_pow2(ph->align) || ((ph->vaddr - ph->offset) & (ph->align - 1))))
        return -ENOEXEC;
    if (ph->vaddr < prev_end)
        return -ENOEXEC;
    return 0;
}

static int check_tls(const struct elf64_phdr *ph, uint64_t len)
{
    if (ph->filesz > ph->memsz || !in_file(ph->offset, ph->filesz, len))
        return -ENOEXEC;
    if (ph->align > 1 && !is_pow2(ph->align))
        return -ENOEXEC;
    if (ph->vaddr >= ELF_USER_END || ph->memsz > ELF_USER_END - ph->vaddr)
        return -ENOEXEC;
    return 0;
}

/* The segment whose file bytes hold [vaddr, vaddr+n), or NULL. */
static const struct elf_segment *seg_holding(const struct elf_image *img, uint64_t vaddr,
                                             uint64_t n)
{
    for (int i = 0; i < img->nsegs; i++)
        if (inside(vaddr, n, img->segs[i].vaddr, img->segs[i].filesz))
            return &img->segs[i];
    return NULL;
}

int elf_parse(const void *data, uint64_t len, struct elf_image *out)
{
    if (!data || !out)
        return -EINVAL;
    memset(out, 0, sizeof(*out));
    struct elf64_ehdr eh;
    if (len < sizeof(eh))
        return -ENOEXEC;
    memcpy(&eh, data, sizeof(eh));
    int err = check_ehdr(&eh, len);
    if (err)
        return err;

    const uint8_t *file = data;
    uint64_t prev_end = 0, phdr_seg_vaddr = 0;
    bool have_tls = false, have_phdr = false;
    for (uint16_t i = 0; i < eh.phnum; i++) {
        struct elf64_phdr ph;
        memcpy(&ph, file + eh.phoff + (uint64_t)i * sizeof(ph), sizeof(ph));
        switch (ph.type) {
        case ELF_PT_LOAD:
            if ((err = check_load(&ph, len, prev_end)))
                return err;
            prev_end = ph.vaddr + ph.memsz;
            if (ph.memsz == 0)
                break;
            if (out->nsegs == ELF_MAX_SEGMENTS)
                return -ENOEXEC;
            out->segs[out->nsegs++] = (struct elf_segment){
                .vaddr = ph.vaddr, .memsz = ph.memsz, .offset = ph.offset,
                .filesz = ph.filesz, .prot = prot_of(ph.flags),
            };
            break;
        case ELF_PT_INTERP:
        case ELF_PT_DYNAMIC:
            return -ENOEXEC;
        case ELF_PT_TLS:
            if (have_tls || check_tls(&ph, len))
                return -ENOEXEC;
            have_tls = true;
            out->tls_vaddr = ph.vaddr;
            out->tls_filesz = ph.filesz;
            out->tls_memsz = ph.memsz;
            out->tls_align = ph.align;
            break;
        case ELF_PT_PHDR:
            if (have_phdr || ph.offset != eh.phoff)
                return -ENOEXEC;
            have_phdr = true;
            phdr_seg_vaddr = ph.vaddr;
            break;
        case ELF_PT_GNU_STACK:
            out->stack_exec = (ph.flags & ELF_PF_X) != 0;
            break;
        default: /* PT_NOTE, PT_GNU_RELRO, PT_GNU_PROPERTY, ...: nothing to load */
            break;
        }
    }
    if (out->nsegs == 0)
        return -ENOEXEC;

    /* Program headers: in the file bytes of a segment, so they are loaded. */
    uint64_t tbl = (uint64_t)eh.phnum * sizeof(struct elf64_phdr);
    const struct elf_segment *s = NULL;
    for (int i = 0; i < out->nsegs && !s; i++)
        if (inside(eh.phoff, tbl, out->segs[i].offset, out->segs[i].filesz))
            s = &out->segs[i];
    if (!s)
        return -ENOEXEC;
    out->phdr_vaddr = s->vaddr + (eh.phoff - s->offset);
    if (have_phdr && phdr_seg_vaddr != out->phdr_vaddr)
        return -ENOEXEC;

    s = seg_holding(out, eh.entry, 1);
    if (!s || !(s->prot & PROT_EXEC))
        return -ENOEXEC;
    if (have_tls && out->tls_filesz && !seg_holding(out, out->tls_vaddr, out->tls_filesz))
        return -ENOEXEC;

    const struct elf_segment *last = &out->segs[out->nsegs - 1];
    out->entry = eh.entry;
    out->phnum = eh.phnum;
    out->phentsize = eh.phentsize;
    out->lo = page_down(out->segs[0].vaddr);
    out->hi = page_up(last->vaddr + last->memsz);
    return 0;
}

uint32_t elf_page_prot(const struct elf_image *img, uint64_t page_addr)
{
    uint64_t page = page_down(page_addr);
    uint32_t prot = 0;
    for (int i = 0; i < img->nsegs; i++) {
        const struct elf_segment *s = &img->segs[i];
        if (page >= page_down(s->vaddr) && page < s->vaddr + s->memsz)
            prot |= s->prot;
    }
    return prot;
}

/* ---- Initial stack */

static const char platform[] = "x86_64";
#define AUXV_PAIRS 19 /* including AT_NULL */

/* Entries in a NULL-terminated array and the bytes of their strings with
 * terminators; false if that passes limit bytes (so nothing can wrap). */
static bool measure(const char *const v[], uint64_t limit, uint64_t *count, uint64_t *bytes)
{
    *count = 0;
    *bytes = 0;
    for (; v && v[*count]; (*count)++) {
        uint64_t n = strlen(v[*count]) + 1;
        if (n > limit - *bytes)
            return false;
        *bytes += n;
    }
    return true;
}

/* Moves *sp down by n bytes if that stays at or above bottom. */
static bool take(uint64_t *sp, uint64_t n, uint64_t bottom)
{
    if (n > *sp - bottom)
        return false;
    *sp -= n;
    return true;
}

struct stack_writer {
    uint8_t *buf;
    uint64_t bottom; /* user address of buf[0] */
};

static void put_bytes(const struct stack_writer *w, uint64_t uaddr, const void *src, uint64_t n)
{
    memcpy(w->buf + (uaddr - w->bottom), src, n);
}

static void put_word(const struct stack_writer *w, uint64_t *uaddr, uint64_t v)
{
    put_bytes(w, *uaddr, &v, 8);
    *uaddr += 8;
}

/* Copies the strings of v upwards from *str, writing each one's address as a
 * pointer at *ptr; then the NULL that ends the pointer array. */
static void put_strings(const struct stack_writer *w, const char *const v[], uint64_t n,
                        uint64_t *str, uint64_t *ptr)
{
    for (uint64_t i = 0; i < n; i++) {
        uint64_t len = strlen(v[i]) + 1;
        put_bytes(w, *str, v[i], len);
        put_word(w, ptr, *str);
        *str += len;
    }
    put_word(w, ptr, 0);
}

uint64_t elf_build_stack(void *buf, uint64_t size, uint64_t top, const struct elf_image *img,
                         const char *const argv[], const char *const envp[],
                         const uint8_t random[16], uint64_t hwcap, uint64_t vdso)
{
    if (!buf || !img || !random || size > top)
        return 0;
    const uint64_t bottom = top - size;
    uint64_t argc, argbytes, envc, envbytes;
    if (!measure(argv, size, &argc, &argbytes) ||
        !measure(envp, size - argbytes, &envc, &envbytes))
        return 0;
    const char *execfn = argc ? argv[0] : "";
    uint64_t execfn_len = strlen(execfn) + 1;
    /* Each entry has a string of at least one byte, so argc + envc <= size
     * and the word count below cannot wrap. */
    uint64_t words = 1 + argc + 1 + envc + 1 + 2 * AUXV_PAIRS;

    /* Measure everything first, so a stack that does not fit writes nothing. */
    uint64_t sp = top, u_execfn, u_strings, u_platform, u_random;
    if (!take(&sp, 8, bottom) || !take(&sp, execfn_len, bottom))
        return 0;
    u_execfn = sp;
    if (!take(&sp, argbytes, bottom) || !take(&sp, envbytes, bottom))
        return 0;
    u_strings = sp;
    if (!take(&sp, sizeof(platform), bottom))
        return 0;
    u_platform = sp;
    if (!take(&sp, 16, bottom))
        return 0;
    u_random = sp;
    if (words > sp / 8 || !take(&sp, words * 8, bottom))
        return 0;
    sp &= ~15ull;
    if (sp < bottom || sp == 0)
        return 0;

    const struct stack_writer w = { buf, bottom };
    put_bytes(&w, top - 8, "\0\0\0\0\0\0\0", 8);
    put_bytes(&w, u_execfn, execfn, execfn_len);
    put_bytes(&w, u_platform, platform, sizeof(platform));
    put_bytes(&w, u_random, random, 16);

    uint64_t ptr = sp, str = u_strings;
    put_word(&w, &ptr, argc);
    put_strings(&w, argv, argc, &str, &ptr);
    put_strings(&w, envp, envc, &str, &ptr);

    const uint64_t auxv[AUXV_PAIRS][2] = {
        { ELF_AT_PHDR, img->phdr_vaddr },
        { ELF_AT_PHENT, img->phentsize },
        { ELF_AT_PHNUM, img->phnum },
        { ELF_AT_PAGESZ, ELF_PAGE_SIZE },
        { ELF_AT_BASE, 0 },
        { ELF_AT_FLAGS, 0 },
        { ELF_AT_ENTRY, img->entry },
        { ELF_AT_UID, 0 },
        { ELF_AT_EUID, 0 },
        { ELF_AT_GID, 0 },
        { ELF_AT_EGID, 0 },
        { ELF_AT_SECURE, 0 },
        { ELF_AT_RANDOM, u_random },
        { ELF_AT_HWCAP, hwcap },
        { ELF_AT_CLKTCK, 100 },
        { ELF_AT_EXECFN, u_execfn },
        { ELF_AT_PLATFORM, u_platform },
        { ELF_AT_SYSINFO_EHDR, vdso },
        { ELF_AT_NULL, 0 },
    };
    for (int i = 0; i < AUXV_PAIRS; i++) {
        put_word(&w, &ptr, auxv[i][0]);
        put_word(&w, &ptr, auxv[i][1]);
    }
    /* The alignment padding too: the whole stack is defined, and shows
     * nothing that was in buf before. */
    memset(w.buf + (ptr - bottom), 0, u_random - ptr);
    return sp;
}
