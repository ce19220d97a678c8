/* Test program for tests/unit/test_elf.c, linked statically (musl, and glibc
 * for comparison). The test parses it, and also starts it on a stack built
 * by elf_build_stack: it then prints what libc made of that stack, one fact
 * a line, and exits with the status named by argv[1]. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>

/* Not static, so that the compiler keeps them in TLS. */
__thread int tls_data = 1234; /* .tdata: copied from the TLS image */
__thread char tls_bss[64];    /* .tbss: must start zeroed */

int main(int argc, char **argv, char **envp)
{
    printf("argc=%d\n", argc);
    for (int i = 0; i < argc; i++)
        printf("argv[%d]=%s\n", i, argv[i]);
    for (char **e = envp; *e; e++)
        printf("env=%s\n", *e);
    const char *h = getenv("HYDROS_ELF_TEST");
    printf("getenv=%s\n", h ? h : "(none)");

    tls_bss[5] += 7;
    printf("tls=%d,%d,%d\n", tls_data, tls_bss[5], tls_bss[6]);
    char *p = malloc(200000);
    if (p) {
        memset(p, 'x', 199999);
        p[199999] = 0;
    }
    printf("malloc=%zu\n", p ? strlen(p) : (size_t)0);
    free(p);

    const unsigned char *r = (const unsigned char *)getauxval(AT_RANDOM);
    printf("random=");
    for (int i = 0; r && i < 16; i++)
        printf("%02x", r[i]);
    printf("\n");
    printf("pagesz=%lu clktck=%lu hwcap=%#lx secure=%lu uid=%lu\n", getauxval(AT_PAGESZ),
           getauxval(AT_CLKTCK), getauxval(AT_HWCAP), getauxval(AT_SECURE), getauxval(AT_UID));
    const char *fn = (const char *)getauxval(AT_EXECFN);
    const char *pl = (const char *)getauxval(AT_PLATFORM);
    printf("execfn=%s platform=%s\n", fn ? fn : "(none)", pl ? pl : "(none)");
    printf("entry=%#lx phnum=%lu phent=%lu\n", getauxval(AT_ENTRY), getauxval(AT_PHNUM),
           getauxval(AT_PHENT));
    fflush(stdout);
    return argc > 1 ? atoi(argv[1]) : 0;
}
