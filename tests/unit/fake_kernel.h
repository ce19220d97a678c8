/* Host fakes of what pipe.c, epoll.c, timerfd.c and tty.c call in the kernel:
 * file_new/file_get/file_put/file_changed (file.c), kmalloc/kzalloc/kfree
 * (heap.c), waitq wake-ups and poll_notify, ktimer_arm/ktimer_cancel and
 * the two clocks. Everything is observable and controllable from a test:
 * how often each file was announced as changed, how many files and blocks
 * are alive, failing allocations on purpose, and a clock that only moves
 * when the test says so (firing due timers as it goes). */
#ifndef FAKE_KERNEL_H
#define FAKE_KERNEL_H
#include <stdint.h>

#include "heap.h"
#include "ktimer.h"
#include "vfs.h"

/* Forgets counters and timers, sets uptime to 0 and realtime to an
 * arbitrary wall-clock value. Call at the start of every test. */
void fake_reset(void);

/* file_changed() calls on f since it was made or last reset; poll_notify()
 * calls overall (file_changed counts as one of those too). */
int fake_changed(struct file *f);
void fake_changed_reset(struct file *f);
int fake_poll_notifies(void);

/* Files made by file_new and not yet released; kmalloc'd blocks alive. */
int fake_files_live(void);
int fake_blocks_live(void);

/* The n-th kmalloc/kzalloc/file_new from now (0 = the next) returns NULL;
 * -1 turns failures off. */
void fake_fail_alloc_at(int n);

/* Clocks. Advancing moves both uptime and realtime, then calls every ktimer
 * whose deadline has passed, earliest first, one at a time, as the kernel
 * does; a callback may re-arm. fake_set_realtime jumps the wall clock only. */
void fake_advance_us(uint64_t us);
void fake_set_realtime(uint64_t us);
int fake_timers_armed(void);
int fake_timer_fired(void); /* callbacks run since fake_reset */

#endif
