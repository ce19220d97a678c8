/* The per-core kernel's internal contracts, grouped by the file that defines
 * them. Subsystems that are host-tested keep their own header (memmap.h,
 * pmm.h, acpi.h, heap.h). Anything not listed here is static to its file. */
#ifndef HYDROS_KERNEL_H
#define HYDROS_KERNEL_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MAX_CORES 64
#define PAGE_SIZE 4096ull
#define KERNEL_VIRT_BASE 0xFFFFFFFF80000000ull
#define PHYS_MAP_BASE 0xFFFF800000000000ull /* all physical memory, mapped 1:1 */
#define CHAN_VIEW_BASE 0xFFFFFF0000000000ull /* PML4[510]: this core's view of the channel region */
#define P2V(pa) ((void *)((uint64_t)(pa) + PHYS_MAP_BASE))
#define V2P(va) ((uint64_t)(va) - PHYS_MAP_BASE)
#define V2P_KERNEL(va) ((uint64_t)(va) - KERNEL_VIRT_BASE) /* for symbols of the kernel image */
#define KSTACK_SIZE 16384
#define IST_STACK_SIZE 8192
#define IST_DF 1  /* the TSS's interrupt stacks, one a kind: a machine check */
#define IST_NMI 2 /* taken inside an NMI handler, or a double fault inside either, */
#define IST_MC 3  /* still finds a stack no other handler is using */

#define ALIGN_UP(x, a) (((x) + (a) - 1) & ~((uint64_t)(a) - 1))
#define ALIGN_DOWN(x, a) ((x) & ~((uint64_t)(a) - 1))
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* ---- core.c: one struct core per CPU, found through GS. */
/* A core is suspect while the watchdog asks it by NMI why its heartbeat
 * stopped (watchdog.c); dead once it said so itself or did not answer. */
enum core_state { CORE_ABSENT, CORE_STARTING, CORE_ONLINE, CORE_SUSPECT, CORE_DEAD };
enum node_state { NODE_NONE, NODE_BOOTING, NODE_RUNNING, NODE_DEAD };

struct tss {
    uint32_t reserved0;
    uint64_t rsp[3];
    uint64_t reserved1;
    uint64_t ist[7];
    uint64_t reserved2;
    uint16_t reserved3;
    uint16_t iomap_base;
} __attribute__((packed));

/* The scheduler's per-core state (sched.c). */
struct thread;
struct ktimer;
struct node;
struct sched {
    struct thread *current;
    struct thread *rq_head, *rq_tail;
    struct ktimer *timers; /* armed, sorted by deadline */
    uint64_t tick_deadline; /* the next scheduler tick, on the uptime clock */
    uint64_t armed;         /* the deadline the LAPIC timer counts down to now */
    volatile bool need_resched;
};

/* The first three fields are at fixed offsets: the syscall entry reaches
 * them through GS (arch/entry.S). */
#define CORE_USER_RSP 8
#define CORE_KSTACK_TOP 16
struct core {
    struct core *self;  /* GS:0, so this_core() is one load */
    uint64_t user_rsp;  /* scratch for the syscall entry */
    uint64_t kstack_top; /* the current thread's kernel stack top */
    uint64_t cr3;        /* its kernel page tables: kernel_cr3, then with its channel view */
    uint32_t id;        /* 0 = the boot core; dense, in MADT order */
    uint32_t lapic_id;
    volatile int state;
    volatile uint64_t ticks; /* LAPIC timer interrupts taken: the heartbeat the other cores watch */
    volatile uint64_t irqs;  /* every device interrupt taken (the idle spin watches it) */
    struct sched sched;
    struct node *node;       /* the user program this core runs, if any */
    /* The status block every core may read (hydros_dev.c prints it). */
    volatile int node_state;
    volatile uint64_t node_pages;  /* resident pages of its node */
    uint64_t part_base, part_end;  /* its partition */
    char last_fault[96];           /* why its node last died, "" if it did not */
    char death[96];                /* why the core itself died (core_die, watchdog.c) */
    /* The watchdog's NMI probe: askers bump nmi_asked, the NMI handler
     * answers with what it interrupted. */
    volatile uint64_t nmi_asked;
    struct nmi_answer {
        volatile uint64_t seq, beat, rip;
        volatile bool irq_on, excused;
    } nmi_answer;
    volatile bool at_console; /* writing to COM1 or waiting to (console.c) */
    volatile bool lock_wait;  /* waiting for a kernel lock whose holder died (spinlock.h) */
    volatile uint64_t progress; /* bumped on each return to user mode, idle loop and log line drained */
    volatile int inject;           /* a fault asked of this core at run time (inject.c), 0 none */
    volatile bool restart_asked;   /* start its node again (node.c: node_restart_ask) */
    int lives;                     /* times it was restarted (smp_restart_core) */
    volatile bool stopped;         /* dead, and its last NMI or line is out: it may be restarted */
    volatile int node_starts;      /* nodes started on it, the first included */
    uint64_t gdt[7];
    struct tss tss;
    /* The TSS's I/O permission bitmap, right after it (devices.c): a bit a
     * port, 1 = closed, and the 0xFF byte the CPU wants past the end. */
    uint8_t iomap[8192 + 1];
    uint8_t stack[KSTACK_SIZE] __attribute__((aligned(16)));
    uint8_t ist_stack[3][IST_STACK_SIZE] __attribute__((aligned(16)));
};

static inline bool core_alive(const struct core *c)
{
    int s = c->state; /* one load: the watchdog may turn it from suspect to online meanwhile */
    return s == CORE_ONLINE || s == CORE_SUSPECT;
}

/* A node lives on c: booting or running, on a live core. */
static inline bool node_lives(const struct core *c)
{
    int s = c->node_state;
    return core_alive(c) && (s == NODE_BOOTING || s == NODE_RUNNING);
}

extern struct core cores[MAX_CORES];
extern int ncores;

static inline struct core *this_core(void)
{
    struct core *c;
    __asm__ volatile("mov %%gs:0, %0" : "=r"(c));
    return c;
}

/* ---- console.c: COM1. Each kprintf call is written whole, never
 * interleaved with another core's output. */
void console_init(void);
void console_poll(void); /* feeds received bytes to the console tty (the UART at most once a tick); kernel context */
void console_write(const char *s, uint64_t n); /* raw bytes, one lock for all of them */
void kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int console_owner(void);  /* the console core */
void console_check(void); /* its core or node died: the lowest live core with a running node takes over */
void console_stay(void);  /* for good: the console node's exit powers the machine off */
bool console_staying(void); /* the machine is powering off */
void console_reclaim(void); /* a restarted core: the console lock its last life held is free */

/* ---- trap.c: exceptions and interrupts. */
struct trap_frame {
    uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
    uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
    uint64_t vector, error;
    uint64_t rip, cs, rflags, rsp, ss; /* pushed by the CPU */
};
void trap(struct trap_frame *f);
_Noreturn void panic(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- watchdog.c: finding dead and hung cores and nodes. */
void watchdog_tick(const struct trap_frame *f); /* every timer tick: this core's node, the others' heartbeats */
void watchdog_nmi(struct trap_frame *f); /* answer a probe; stop for good if declared dead */
void watchdog_init_core(void); /* a restarted core forgets its last life's soft-lockup count */
/* c's kernel has been busy without progress for NODE_HANG_TICKS ticks or
 * more, and still is: the soft-lockup check ended its node, and only a
 * whole-core restart brings one back. */
bool watchdog_kernel_stuck(const struct core *c);
void core_declare_dead(struct core *t, const char *why); /* stopped by NMI, told to all; says so */
/* This core is dead: records why in its status block, tells every other
 * core (they close its rings at once), then stops with interrupts off. */
_Noreturn void core_die(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* c's node is dead for everyone (its rings close); its kernel lives on and
 * ends the node when it next runs it. node_mark_dead says nothing on the
 * console and is false if the node was dead already. */
bool node_mark_dead(struct core *c, const char *why);
void node_declare_dead(struct core *c, const char *why);
/* Every tick (node.c): the kernel's own restart policy, for when no node
 * is left to run the Erlang one. */
void node_fallback_tick(void);
/* A node or core just died (its status block says so): every live core
 * closes its rings to it, and the console moves if it was there. */
void tell_survivors(void);

/* ---- arch/desc.c: descriptor tables. */
#define VEC_TIMER 0x20
#define VEC_CHAN 0x21 /* a channel doorbell from another core (chan.c) */
#define VEC_SYSCALL 0x100 /* not an IDT vector: how syscall_entry marks its frames */
#define VEC_SPURIOUS 0xFF
void idt_init(void);                 /* once, on the boot core */
void desc_init_core(struct core *c); /* GDT, TSS, IDT and GS base of the calling core */

/* ---- arch/ioapic.c: ISA interrupt lines to cores. */
#define IRQ_LINES 16
#define VEC_IRQ_BASE 0x30 /* ISA line N arrives as vector VEC_IRQ_BASE + N */
struct acpi_info;
void ioapic_init(const struct acpi_info *ai); /* boot core: every entry masked */
int ioapic_route(int line, uint32_t apic_id); /* to that core, unmasked; -ENODEV: no IO APIC has it */
void ioapic_mask(int line, bool masked);
bool ioapic_level(int line); /* level-triggered (a MADT override says so); ISA lines are edge */
int ioapic_hold(int line, bool held); /* the operator's mask, which ioapic_mask does not lift; -ENODEV */
int ioapic_render(char *out, int max); /* /dev/hydros/ioapic: every redirection entry */

/* ---- arch/cpu.c */
void cpu_init_core(void); /* SSE, NX, the syscall MSRs, machine checks */

/* ---- arch/mce.c: the machine-check banks. */
struct mce_record {
    bool uncorrected, has_addr;
    bool restartable, caused_here;           /* RIPV: the interrupted code may go on; EIPV: it met the error */
    int bank, corrected;                     /* corrected: errors the CPU fixed, just counted */
    uint64_t status, addr;
};
void mce_init_core(void);                 /* CR4.MCE and every bank on, where the CPU has MCA */
void mce_collect(struct mce_record *r);   /* in the #MC handler: read and clear the banks */
void mce_done(void);                      /* the handler is done with its stack: MCIP off */
bool mce_can_raise(void);                 /* mce_raise works here (QEMU's TCG) */
void mce_raise(uint64_t pa);              /* a machine check reporting an uncorrected error at pa */

/* ---- memerr.c: who a memory error ends. */
void mce_trap(struct trap_frame *f, bool from_user);

/* ---- cmdline.c: the kernel command line, "key=value key2 ..." */
void cmdline_init(const char *line);
const char *cmdline_get(const char *key); /* value, "" for a bare key, NULL if absent */

/* ---- mm.c: the boot-time page allocator over all usable RAM. */
struct boot_info;
void mm_init(const struct boot_info *bi);
uint64_t page_alloc(uint64_t npages);     /* physical address, zeroed; panics when out of memory */
uint64_t page_alloc_try(uint64_t npages); /* the same, or 0 when out of memory */
void page_free(uint64_t pa, uint64_t npages);
uint64_t page_free_count(void);
uint64_t mm_phys_top(void);           /* end of the highest RAM range */
/* Does [pa, pa+len) touch memory, not a device: RAM, the firmware's ACPI
 * tables and NVS, or the first MiB outside the legacy VGA and ROM hole? */
bool mm_is_ram(uint64_t pa, uint64_t len);
struct pmm;
int mm_partition(int ncores); /* boot core: one partition a core; returns how many got one */
struct pmm *mm_partition_of(int core, uint64_t *base, uint64_t *end); /* NULL: no partition */
/* Every page of core's partition free again (its node is gone), but its
 * retired blocks; returns how many were still in use: a leak, or a node
 * with corrupt page tables. */
uint64_t mm_partition_reset(int core);
/* Memory retirement after an uncorrected error: the RETIRE_BLOCK around pa,
 * in whichever partition holds it, is never handed out again from the next
 * mm_partition_reset on (safe from the #MC handler: no lock). False when pa
 * is in no partition or that partition has no room left to record it. */
#define RETIRE_BLOCK (2ul << 20)
bool mm_retire(uint64_t pa);
int mm_retired(int core, uint64_t *blocks, int max); /* core's retired blocks: how many, at most max */
uint64_t mm_channel_region(uint64_t *size); /* physical base of the N x N ring region */

/* ---- paging.c: the kernel's own page tables. */
extern uint64_t kernel_cr3;
extern uint64_t direct_map_end; /* physical memory below this is at P2V() */
void paging_init(void); /* builds and loads them on the boot core */
uint64_t paging_core_tables(uint64_t pa, uint64_t size, uint64_t w_off, uint64_t w_len);

/* ---- apic.c: local APIC, timer, calibrated clocks. */
extern uint64_t tsc_khz;
uint64_t apic_timer_hz(void); /* APIC timer counts a second at divide 16, as calibrated against the PIT */
extern uint64_t tsc_boot; /* the TSC at uptime 0 */
void apic_init_boot(uint64_t lapic_phys); /* boot core: map, calibrate against the PIT */
void lapic_init_core(void);               /* every core: enable, start the periodic timer */
uint32_t lapic_id(void);
void lapic_eoi(void);
#define TICK_US 10000 /* the scheduler tick: preemption and heartbeat */
void lapic_timer_oneshot(uint64_t deadline_us); /* the next timer interrupt, on the uptime clock */
void lapic_send_init(uint32_t apic_id);
void lapic_send_sipi(uint32_t apic_id, uint8_t vector);
void lapic_send_ipi(uint32_t apic_id, uint8_t vector); /* fixed delivery */
void lapic_send_nmi(uint32_t apic_id);
void udelay(uint64_t us);
uint64_t uptime_us(void); /* since the calibration, from the TSC */

/* ---- devices.c: the devices nodes drive, and their ports' bitmaps. */
void devices_init(const void *archive, uint64_t len); /* boot core, before any node */
/* Then what the boot core found at [first, end): the firmware's tables go
 * to the device marked `firmware', read-only, PCI Express's ECAM (ecam)
 * to the one marked `ecam' (devtab.h); never RAM. */
void devices_found(bool ecam, const char *what, uint64_t first, uint64_t end);
void devices_node_started(struct core *c); /* open the ports of the devices it holds */
void devices_node_ended(struct core *c);   /* close them all */
int devices_render(char *out, int max);    /* /dev/hydros/devices */
void devices_irq(int line); /* interrupt handler: line VEC_IRQ_BASE + line came */
int devices_hold_line(int line, bool held); /* /dev/hydros/ioapic "mask L", "unmask L" */
int devices_route_line(int line, int core);  /* "route L CORE": its device goes to CORE (give's rules) */
void devices_poll(void);    /* kernel_chores: wake the readers of lines that came */
extern const struct file_ops irq_ops; /* /dev/irq/N; priv: the line */
int64_t sys_hydros_dev(uint64_t op, uint64_t a, uint64_t b, uint64_t c);
/* vm.c's count of device pages mapped (a device is given only unmapped). */
bool devices_is_mmio(uint64_t pa); /* a page of some device's MMIO */
void devices_page_mapped(uint64_t pa);
void devices_page_unmapped(uint64_t pa);

/* ---- sharedtext.c */
uint64_t sharedtext_page(const void *src); /* a kernel page holding src's 4 KiB, shared; 0 if none */

/* ---- rtc.c */
void rtc_init(void); /* boot core, once the TSC is calibrated */
uint64_t realtime_us(void);
uint64_t rtc_epoch_us(void); /* the wall clock at uptime 0: realtime_us() - uptime_us() */

/* ---- random.c: getrandom(2)'s bytes (contract in the file). */
void random_fill(void *buf, uint64_t len);
const char *random_source(void); /* "rdseed", "rdrand" or "timing" (no CPU source) */
extern const struct file_ops random_ops; /* /dev/urandom and /dev/random */

/* ---- smp.c: starting the other cores. */
struct acpi_info;
void smp_start(const struct acpi_info *ai);
void ap_main(uint64_t core_id);
/* Starts a dead core again (INIT, then SIPI, or the BIOS's warm reset for
 * core 0), its node after it: 0 once its kernel is online; -ENXIO (no such
 * core), -EBUSY (not dead), -EAGAIN (another restart is starting a core,
 * or whoever declared it dead has not stopped it yet: ask again),
 * -ETIMEDOUT (it did not come back: absent from then on). */
int smp_restart_core(int id);

/* ---- boot.c */
_Noreturn void acpi_power_off(void); /* S5 through the FADT; halts when that is missing */
void core_online(struct core *c); /* announce the core, mark it online */
void core_reclaim(struct core *c); /* a restarted core: give back what its last life left */
_Noreturn void core_idle(void);   /* no node: hlt, taking interrupts, until one is asked for */
_Noreturn void core_run_node(void); /* wait for the partitions, then run this core's node */
const void *boot_archive(uint64_t *len); /* the boot archive, in memory: what nodes start from */
#endif
