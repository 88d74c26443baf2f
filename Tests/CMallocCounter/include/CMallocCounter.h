// Counts heap allocations made by the calling thread (swift-nio's malloc counter, in small):
// this target defines malloc and friends for the test process and forwards to glibc's
// __libc_* functions. Linked only into tests, never into a shipped binary.
#pragma once
#include <stdint.h>

/// Starts counting this thread's allocations from zero.
void kiosk_malloc_counter_start(void);
/// Stops counting; returns the number of allocations (malloc, calloc, realloc, memalign,
/// posix_memalign, aligned_alloc) made by this thread since the start.
int64_t kiosk_malloc_counter_stop(void);
/// Whether the process's malloc is this one (the counts mean something).
int kiosk_malloc_counter_installed(void);
