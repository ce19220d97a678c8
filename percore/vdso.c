/* The vDSO's pages (vdso.h): one data page and the image, from the kernel
 * pool, shared read-only by every node like program text (vm_map_shared). */
#include "vdso.h"

#include <string.h>

#include "kernel.h"
#include "uapi.h"
#include "vdso_data.h"
#include "vm.h"

extern const uint8_t vdso_image_start[], vdso_image_end[]; /* objcopy of build/vdso/vdso.so */

static uint64_t data_pa, image_pa, image_pages;

void vdso_init(void)
{
    uint64_t len = (uint64_t)(vdso_image_end - vdso_image_start);
    image_pages = ALIGN_UP(len, PAGE_SIZE) / PAGE_SIZE;
    data_pa = page_alloc(1);
    image_pa = page_alloc(image_pages);
    *(struct vdso_data *)P2V(data_pa) = (struct vdso_data){VDSO_DATA_VERSION, tsc_boot, tsc_khz, rtc_epoch_us()};
    memcpy(P2V(image_pa), vdso_image_start, len); /* page_alloc zeroed the rest */
}

int vdso_map(struct vm *vm, uint64_t *ehdr)
{
    uint64_t data = VDSO_BASE, image = VDSO_BASE + PAGE_SIZE;
    int err = vm_map(vm, &data, PAGE_SIZE, PROT_READ, MAP_PRIVATE | MAP_FIXED);
    if (!err)
        err = vm_map(vm, &image, image_pages * PAGE_SIZE, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_FIXED);
    if (!err)
        err = vm_map_shared(vm, data, data_pa);
    for (uint64_t i = 0; i < image_pages && !err; i++)
        err = vm_map_shared(vm, image + i * PAGE_SIZE, image_pa + i * PAGE_SIZE);
    *ehdr = image;
    return err;
}
