/* Machine-check architecture: turned on at every core (CR4.MCE, every
 * bank's error reporting), so that an uncorrected error raises #MC instead
 * of shutting the CPU down (which resets the whole machine). mce_collect
 * reads and clears the banks for memerr.c, which decides who pays.
 * mce_raise fakes a hardware report for fault injection: it fills bank 0
 * as the hardware would and takes vector 18, which QEMU's TCG CPU allows
 * (its MCi_STATUS and MCi_ADDR take any value); on another CPU the write
 * would fault, so it is offered only under a hypervisor that says QEMU. */
#include "arch/x86.h"
#include "kernel.h"

#define CR4_MCE (1ull << 6)
#define MSR_MCG_CAP 0x179
#define MSR_MCG_STATUS 0x17A
#define MSR_MCG_CTL 0x17B
#define MCG_CTL_P (1ull << 8)
#define MSR_MC_CTL(i) (0x400 + 4 * (i))
#define MSR_MC_STATUS(i) (0x401 + 4 * (i))
#define MSR_MC_ADDR(i) (0x402 + 4 * (i))
#define MCI_VAL (1ull << 63)
#define MCI_UC (1ull << 61)
#define MCI_ADDRV (1ull << 58)
#define MCI_PCC (1ull << 57)
#define MCI_EN (1ull << 60)
#define MCG_EIPV (1ull << 1)
#define MCG_MCIP (1ull << 2)
#define MCG_RIPV (1ull << 0)

static bool has_mca(void)
{
    uint32_t r[4];
    cpuid(1, 0, r);
    return (r[3] & (1u << 7)) && (r[3] & (1u << 14)); /* MCE and MCA */
}

static int banks(void)
{
    return (int)(rdmsr(MSR_MCG_CAP) & 0xFF);
}

void mce_init_core(void)
{
    if (!has_mca())
        return;
    uint64_t cr4;
    if (rdmsr(MSR_MCG_CAP) & MCG_CTL_P)
        wrmsr(MSR_MCG_CTL, ~0ull);
    for (int i = 0; i < banks(); i++) {
        wrmsr(MSR_MC_CTL(i), ~0ull);
        wrmsr(MSR_MC_STATUS(i), 0);
    }
    __asm__ volatile("mov %%cr4, %0" : "=r"(cr4));
    __asm__ volatile("mov %0, %%cr4" ::"r"(cr4 | CR4_MCE));
}

void mce_collect(struct mce_record *r)
{
    *r = (struct mce_record){0};
    uint64_t mcg = rdmsr(MSR_MCG_STATUS);
    r->restartable = mcg & MCG_RIPV;
    r->caused_here = mcg & MCG_EIPV;
    for (int i = 0; has_mca() && i < banks(); i++) {
        uint64_t st = rdmsr(MSR_MC_STATUS(i));
        if (!(st & MCI_VAL))
            continue;
        if (st & (MCI_UC | MCI_PCC)) {
            r->uncorrected = true;
            r->status = st;
            r->bank = i;
            r->has_addr = st & MCI_ADDRV;
            r->addr = r->has_addr ? rdmsr(MSR_MC_ADDR(i)) : 0;
        } else {
            r->corrected++;
        }
        wrmsr(MSR_MC_STATUS(i), 0);
    }
}

void mce_done(void)
{
    if (has_mca())
        wrmsr(MSR_MCG_STATUS, 0); /* MCIP off: another #MC no longer shuts the CPU down */
}

bool mce_can_raise(void)
{
    uint32_t r[4];
    cpuid(0x40000000, 0, r); /* the hypervisor's signature: "TCGTCGTCGTCG" under QEMU's TCG */
    return has_mca() && banks() > 0 && r[1] == 0x54474354 && r[2] == 0x43544743 && r[3] == 0x47435447;
}

/* As a memory scrub would report it: not caused by the interrupted
 * instruction (EIPV clear), which may go on (RIPV). */
void mce_raise(uint64_t pa)
{
    wrmsr(MSR_MC_ADDR(0), pa);
    wrmsr(MSR_MC_STATUS(0), MCI_VAL | MCI_UC | MCI_EN | MCI_ADDRV);
    wrmsr(MSR_MCG_STATUS, MCG_RIPV | MCG_MCIP);
    __asm__ volatile("int $18" ::: "memory");
}
