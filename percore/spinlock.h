/* Ticket-free test-and-test-and-set spinlock. Header-only so that host unit
 * tests use the same code. It does not touch the interrupt flag: code that
 * takes a lock also taken by an interrupt handler uses spin_lock_irqsave. */
#ifndef HYDROS_SPINLOCK_H
#define HYDROS_SPINLOCK_H
#include <stdint.h>

struct spinlock {
    volatile uint32_t locked;
};

#define SPINLOCK_INIT {0}

static inline void spin_lock(struct spinlock *l)
{
    while (__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE))
        while (__atomic_load_n(&l->locked, __ATOMIC_RELAXED))
            __builtin_ia32_pause();
}

static inline void spin_unlock(struct spinlock *l)
{
    __atomic_store_n(&l->locked, 0, __ATOMIC_RELEASE);
}

#endif
