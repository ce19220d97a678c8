/* Ticket-free test-and-test-and-set spinlock. Header-only so that host unit
 * tests use the same code. It does not touch the interrupt flag: code that
 * takes a lock also taken by an interrupt handler turns interrupts off
 * around it (arch/ioapic.c).
 * The lock names its holder, so that a core that died holding it (a kernel
 * exception inside a heap operation, a hang the watchdog stopped) does not
 * stop every other core at its next allocation: a waiter takes it from a
 * holder that spinlock_holder_gone says is gone. What the dead holder was
 * changing may be half done; the kernel says so when it happens. */
#ifndef HYDROS_SPINLOCK_H
#define HYDROS_SPINLOCK_H
#include <stdbool.h>
#include <stdint.h>

struct spinlock {
    volatile uint32_t locked; /* the holder's spinlock_self(), 0 when free */
};

#define SPINLOCK_INIT {0}

/* Provided by the kernel (watchdog.c; a host test brings its own): the
 * caller's holder value (its core id + 1), and whether a waiter may take a
 * lock from holder. *since is the waiter's, 0 to start. */
uint32_t spinlock_self(void);
bool spinlock_holder_gone(uint32_t holder, uint64_t *since);

static inline void spin_lock(struct spinlock *l)
{
    uint32_t me = spinlock_self();
    uint64_t since = 0;
    for (;;) {
        uint32_t held = 0;
        if (__atomic_compare_exchange_n(&l->locked, &held, me, false, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
            return;
        if (spinlock_holder_gone(held, &since) &&
            __atomic_compare_exchange_n(&l->locked, &held, me, false, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
            return;
        __builtin_ia32_pause();
    }
}

static inline void spin_unlock(struct spinlock *l)
{
    __atomic_store_n(&l->locked, 0, __ATOMIC_RELEASE);
}

#endif
