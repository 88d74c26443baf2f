#define _GNU_SOURCE
#include "CDTLSClock.h"
#include <dlfcn.h>
#include <sys/time.h>
#include <time.h>

static __thread int64_t override_nanoseconds;
static __thread int override_active;

void kiosk_dtls_clock_begin(int64_t now_nanoseconds) {
    override_nanoseconds = now_nanoseconds;
    override_active = 1;
}

void kiosk_dtls_clock_end(void) { override_active = 0; }

// Interposes libc's: the executable's definition wins for every shared library (libssl
// included), as symbols an executable defines and a library references are exported.
int gettimeofday(struct timeval *restrict tv, void *restrict tz) {
    (void)tz;  // obsolete; glibc leaves it alone too
    int64_t ns;
    if (override_active) {
        ns = override_nanoseconds;
    } else {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ns = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
    }
    int64_t sec = ns / 1000000000, rem = ns % 1000000000;
    if (rem < 0) { rem += 1000000000; sec -= 1; }
    tv->tv_sec = (time_t)sec;  // glibc declares tv nonnull
    tv->tv_usec = (suseconds_t)(rem / 1000);
    return 0;
}

int kiosk_dtls_clock_installed(void) {
    // What the dynamic linker binds for every library (libssl's calls included).
    return dlsym(RTLD_DEFAULT, "gettimeofday") == (void *)gettimeofday;
}
