/* Descriptor tables. One IDT shared read-only by all cores; a GDT and TSS
 * per core (the TSS holds that core's interrupt stacks and, later, its I/O
 * permission bitmap). Double fault, NMI and machine check each run on an
 * interrupt stack of their own, so that a broken kernel stack still gives a
 * report and one of them arriving inside another does not overwrite it. */
#include <stddef.h>
#include <string.h>

#include "arch/x86.h"
#include "kernel.h"

_Static_assert(offsetof(struct core, iomap) == offsetof(struct core, tss) + sizeof(struct tss),
               "the I/O bitmap must follow the TSS (iomap_base is its offset)");

struct idt_entry {
    uint16_t off_lo, sel;
    uint8_t ist, type;
    uint16_t off_mid;
    uint32_t off_hi, zero;
} __attribute__((packed));

struct table_ptr {
    uint16_t limit;
    uint64_t base;
} __attribute__((packed));

extern const uint64_t isr_table[];
static struct idt_entry idt[256];

static void idt_set(int vec, uint64_t handler, int ist)
{
    idt[vec] = (struct idt_entry){
        .off_lo = handler & 0xFFFF, .sel = SEL_KCODE, .ist = ist,
        .type = 0x8E, /* present, DPL 0, 64-bit interrupt gate */
        .off_mid = (handler >> 16) & 0xFFFF, .off_hi = handler >> 32,
    };
}

void idt_init(void)
{
    for (int v = 0; v <= VEC_CHAN; v++)
        idt_set(v, isr_table[v], v == 8 ? IST_DF : v == 2 ? IST_NMI : v == 18 ? IST_MC : 0);
    idt_set(VEC_SPURIOUS, isr_table[VEC_CHAN + 1], 0);
    for (int l = 0; l < IRQ_LINES; l++)
        idt_set(VEC_IRQ_BASE + l, isr_table[VEC_CHAN + 2 + l], 0);
}

void desc_init_core(struct core *c)
{
    uint64_t tss = (uint64_t)&c->tss;
    c->gdt[0] = 0;
    c->gdt[1] = 0x00209A0000000000ull; /* kernel code, 64-bit */
    c->gdt[2] = 0x0000920000000000ull; /* kernel data */
    c->gdt[3] = 0x0000F20000000000ull; /* user data */
    c->gdt[4] = 0x0020FA0000000000ull; /* user code, 64-bit */
    uint64_t limit = sizeof(struct tss) + sizeof(c->iomap) - 1; /* the I/O bitmap is in the segment */
    c->gdt[5] = limit | ((tss & 0xFFFFFF) << 16) | (0x89ull << 40) |
                ((tss >> 24 & 0xFF) << 56); /* available 64-bit TSS */
    c->gdt[6] = tss >> 32;
    c->tss.rsp[0] = (uint64_t)c->stack + KSTACK_SIZE;
    for (int i = 0; i < 3; i++) /* TSS ist[0] is IST1 */
        c->tss.ist[i] = (uint64_t)c->ist_stack[i] + IST_STACK_SIZE;
    /* The bitmap follows the TSS; every port is closed to ring 3 until a
     * node that holds a device starts (devices.c). */
    c->tss.iomap_base = sizeof(struct tss);
    memset(c->iomap, 0xFF, sizeof(c->iomap));

    struct table_ptr g = {sizeof(c->gdt) - 1, (uint64_t)c->gdt};
    struct table_ptr i = {sizeof(idt) - 1, (uint64_t)idt};
    __asm__ volatile("lgdt %0\n\t"
                     "pushq %1\n\t"
                     "leaq 1f(%%rip), %%rax\n\t"
                     "pushq %%rax\n\t"
                     "lretq\n"
                     "1:\n\t"
                     "movw %w2, %%ax\n\t"
                     "movw %%ax, %%ds\n\t"
                     "movw %%ax, %%es\n\t"
                     "movw %%ax, %%ss\n\t"
                     "xorl %%eax, %%eax\n\t"
                     "movw %%ax, %%fs\n\t"
                     "movw %%ax, %%gs\n\t"
                     "ltr %w3\n\t"
                     "lidt %4"
                     :
                     : "m"(g), "i"(SEL_KCODE), "i"(SEL_KDATA), "r"((uint16_t)SEL_TSS), "m"(i)
                     : "rax", "memory");
    c->self = c;
    wrmsr(MSR_GS_BASE, (uint64_t)c);
}
