/* Wall-clock time: the CMOS real-time clock read once at boot, then carried
 * forward by the TSC. Nothing writes the RTC. */
#include "arch/x86.h"
#include "kernel.h"
#include "ktimer.h"

static uint64_t boot_epoch_us; /* the wall clock at uptime 0 */

static uint8_t cmos(uint8_t reg)
{
    outb(0x70, reg);
    return inb(0x71);
}

static unsigned from_bcd(uint8_t v, bool binary)
{
    return binary ? v : (v >> 4) * 10 + (v & 15);
}

/* Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

void rtc_init(void)
{
    for (int i = 0; i < 100000 && (cmos(0x0A) & 0x80); i++) /* an update is in progress */
        cpu_relax();
    uint8_t b = cmos(0x0B);
    bool binary = b & 0x04, h24 = b & 0x02;
    unsigned sec = from_bcd(cmos(0x00), binary), min = from_bcd(cmos(0x02), binary);
    uint8_t hraw = cmos(0x04);
    unsigned hour = from_bcd(hraw & 0x7F, binary);
    if (!h24 && (hraw & 0x80))
        hour = hour % 12 + 12;
    unsigned day = from_bcd(cmos(0x07), binary), month = from_bcd(cmos(0x08), binary);
    unsigned year = from_bcd(cmos(0x09), binary) + 2000; /* this machine was made after 2000 */
    if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || min > 59 || sec > 60) {
        kprintf("rtc: CMOS clock unreadable; the wall clock starts at 1970\n");
        return;
    }
    int64_t secs = days_from_civil(year, month, day) * 86400 + hour * 3600 + min * 60 + sec;
    boot_epoch_us = (uint64_t)secs * 1000000 - uptime_us();
    kprintf("rtc: %04u-%02u-%02u %02u:%02u:%02u UTC\n", year, month, day, hour, min, sec);
}

uint64_t rtc_epoch_us(void)
{
    return boot_epoch_us;
}

uint64_t realtime_us(void)
{
    return boot_epoch_us + uptime_us();
}
