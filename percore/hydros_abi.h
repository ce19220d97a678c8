/* hydros_abi.h: the one system call of ours that Linux does not have, shared
 * by the kernel (devices.c) and ERTS (bifs/hydros_io.c, copied into the
 * OTP tree by tools/build-erts.sh). Constants only: both sides include it.
 *
 * hydros_dev(op, a, b, c): the devices a node drives (docs/devices.md).
 *   HYDROS_DEV_PORT, first, last: may this node use IO ports first..last?
 *     0 yes (the core's TSS I/O bitmap has them open); C + 1 when the
 *     device that holds them is core C's; -ENOENT when no device has them
 *     all; -EINVAL for a bad range.
 *   HYDROS_DEV_MAP, phys, len, out: map a device's registers (MMIO)
 *     phys..phys+len-1 into this node, uncached, read-only if the device's
 *     range is; out[0] (a u64) is where phys is, out[1] 1 if writable. 0 done; C + 1 held by core C;
 *     -EACCES that is memory (RAM, firmware tables), never mapped;
 *     -ENOENT no device has all of it; -EINVAL; -ENOMEM. munmap(2) unmaps.
 *   HYDROS_DEV_IRQ, line: may this node open /dev/irq/LINE? 0 yes, C + 1
 *     held by core C, -ENOENT no device has that line, -EINVAL not 0-15.
 *   HYDROS_DEV_GIVE, name, core: hand the named device to core's node.
 *     0 done; C + 1 when it is core C's and C's node is running (only it
 *     may give it); -EBUSY its holder has its registers mapped or a line
 *     open; -ENOENT no
 *     such device; -ESRCH no such core; -EFAULT.
 */
#ifndef HYDROS_ABI_H
#define HYDROS_ABI_H

#define SYS_hydros_dev 500
#define HYDROS_DEV_PORT 1
#define HYDROS_DEV_GIVE 2
#define HYDROS_DEV_MAP 3
#define HYDROS_DEV_IRQ 4
#define HYDROS_DEV_NAME_MAX 16 /* a device's name, NUL included */

#endif
