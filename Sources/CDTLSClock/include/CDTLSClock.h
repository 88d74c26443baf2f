// The clock OpenSSL's DTLS timer reads. OpenSSL 3 times DTLS retransmissions with
// gettimeofday(2) and offers no way to pass it the time (DTLS_set_timer_cb sets only the
// durations), so this target defines gettimeofday for the process: between
// kiosk_dtls_clock_begin(now) and kiosk_dtls_clock_end() on one thread it returns `now` (the
// sans-IO DTLS endpoint's own time, simulated in tests); everywhere else, and on every other
// thread, it returns the real time as libc would.
#pragma once
#include <stdint.h>

void kiosk_dtls_clock_begin(int64_t now_nanoseconds);
void kiosk_dtls_clock_end(void);
/// Whether the process's gettimeofday is this one (false: the linker bound libc's).
int kiosk_dtls_clock_installed(void);
