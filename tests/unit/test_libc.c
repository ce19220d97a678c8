/* Host unit tests for libc-mini, the kernel's C library, with glibc as the
 * reference. One cmocka group per area, in tests/unit/libc_test_*.c. */
#include "libc_mini.h"

int main(void)
{
    int failed = 0;

    failed += libc_test_string();
    failed += libc_test_printf();
    failed += libc_test_stdlib();
    failed += libc_test_sort();
    return failed != 0;
}
