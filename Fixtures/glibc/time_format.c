// Checks glibc's calendar code on fixed epoch values in UTC: gmtime_r fields,
// localtime_r (UTC), timegm and mktime round trips, and strftime with the C locale's
// conversions (%c %x %X %a %A %b %B %j %U %W %V %G %u %w %e %s %z %Z %F %T %D %R %p %I).
// TZ is the POSIX string UTC0, not UTC: glibc first looks for a zoneinfo file named after
// TZ, and /usr/share/zoneinfo/UTC exists natively but not beneath the guest's root (with
// TZ=UTC native prints tzname "UTC/UTC" from the file, the guest "UTC/" from the string).
// conformance-env: TZ=UTC0
#define _GNU_SOURCE
#include <stdio.h>
#include <stddef.h>
#include <string.h>
#include <time.h>

static const time_t epochs[] = {
    0,              // the epoch
    -1,             // one second before it
    68169600,       // 1972-02-29, the first leap day past the epoch
    951782400,      // 2000-02-29
    1234567890,     // 2009-02-13 23:31:30
    1709251199,     // 2024-02-29 23:59:59
    2147483647,     // the 32-bit limit, 2038-01-19
    4102444800,     // 2100-01-01 (not a leap year)
    253402300799,   // 9999-12-31 23:59:59
};

int main(void) {
    tzset();
    printf("tzname: %s/%s, timezone %ld, daylight %d\n", tzname[0], tzname[1], timezone, daylight);
    for (size_t i = 0; i < sizeof epochs / sizeof epochs[0]; i++) {
        time_t t = epochs[i];
        struct tm utc, local;
        if (!gmtime_r(&t, &utc) || !localtime_r(&t, &local)) {
            printf("%lld: conversion failed\n", (long long)t);
            continue;
        }
        printf("%lld: %04d-%02d-%02d %02d:%02d:%02d wday %d yday %d isdst %d gmtoff %ld zone %s\n",
               (long long)t, utc.tm_year + 1900, utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min,
               utc.tm_sec, utc.tm_wday, utc.tm_yday, utc.tm_isdst, utc.tm_gmtoff, utc.tm_zone);
        char text[512];
        size_t n = strftime(text, sizeof text,
                            "  %c | %x %X | %a %A %b %B | j%j U%U W%W V%V G%G u%u w%w e[%e] | s%s %z %Z | %F %T %D %R %I%p",
                            &utc);
        printf("%s (%zu)\n", n ? text : "(strftime returned 0)", n);
        struct tm copy = utc;
        time_t back = timegm(&copy);
        struct tm copy2 = local;
        time_t back2 = mktime(&copy2);
        printf("  timegm %lld, mktime %lld, localtime equals gmtime: %s\n", (long long)back, (long long)back2,
               memcmp(&utc, &local, offsetof(struct tm, tm_zone)) == 0 ? "yes" : "no");
    }
    // Normalisation: mktime folds out-of-range fields.
    struct tm odd = {.tm_year = 123, .tm_mon = 13, .tm_mday = 32, .tm_hour = 25, .tm_min = 61, .tm_sec = 61};
    time_t folded = mktime(&odd);
    char text[64];
    strftime(text, sizeof text, "%F %T %a", &odd);
    printf("normalised: %lld = %s\n", (long long)folded, text);
    // A buffer too small makes strftime return 0.
    printf("too small: %zu\n", strftime(text, 5, "%F", &odd));
    return 0;
}
