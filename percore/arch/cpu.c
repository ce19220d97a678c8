/* Per-core CPU features the kernel relies on: SSE for user code (the FPU
 * state is saved with FXSAVE on every switch), NX, write protection in
 * kernel mode too (a core's read-only view of the other cores' channel
 * blocks holds against its own kernel), the syscall instruction's MSRs and
 * machine checks (arch/mce.c).
 * Called once on every core. */
#include "arch/x86.h"
#include "kernel.h"

#define EFER_SCE (1ull << 0)
#define EFER_NXE (1ull << 11)
#define MSR_STAR 0xC0000081
#define MSR_LSTAR 0xC0000082
#define MSR_SFMASK 0xC0000084
#define CR0_MP (1ull << 1)
#define CR0_EM (1ull << 2)
#define CR0_WP (1ull << 16)
#define CR4_OSFXSR (1ull << 9)
#define CR4_OSXMMEXCPT (1ull << 10)

extern char syscall_entry[];

void cpu_init_core(void)
{
    uint64_t cr0, cr4;
    __asm__ volatile("mov %%cr0, %0" : "=r"(cr0));
    __asm__ volatile("mov %0, %%cr0" ::"r"((cr0 & ~CR0_EM) | CR0_MP | CR0_WP));
    __asm__ volatile("mov %%cr4, %0" : "=r"(cr4));
    __asm__ volatile("mov %0, %%cr4" ::"r"(cr4 | CR4_OSFXSR | CR4_OSXMMEXCPT));

    uint32_t r[4];
    cpuid(0x80000001, 0, r);
    uint64_t efer = rdmsr(MSR_EFER) | EFER_SCE;
    if (r[3] & (1u << 20))
        efer |= EFER_NXE;
    wrmsr(MSR_EFER, efer);
    /* syscall loads CS = 0x08, SS = 0x10; sysret (unused: we leave by iretq)
     * would take 0x10 + 16 | 3 = user code and 0x10 + 8 | 3 = user data. */
    wrmsr(MSR_STAR, (0x10ull << 48) | ((uint64_t)SEL_KCODE << 32));
    wrmsr(MSR_LSTAR, (uint64_t)syscall_entry);
    wrmsr(MSR_SFMASK, 0x47700); /* IF, DF, TF, AC, NT cleared on entry */
    mce_init_core();
}
