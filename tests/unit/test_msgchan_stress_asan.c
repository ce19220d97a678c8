/* The threaded msgchan tests of test_msgchan_stress.c under ASan and UBSan,
 * with fewer messages: ten million take too long instrumented on two cores,
 * so that count runs in the -O2 build without sanitizers. */
#define STRESS_MSGS 2000000ull
#define RESET_MSGS 300000ull
#define DUEL_ROUNDS 100000ull
#include "test_msgchan_stress.c"
