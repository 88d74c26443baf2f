#define _GNU_SOURCE
#include "CMallocCounter.h"
#include <dlfcn.h>
#include <errno.h>
#include <stddef.h>

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);
extern void __libc_free(void *);

static __thread int counting;
static __thread int64_t count;

void kiosk_malloc_counter_start(void) { count = 0; counting = 1; }
int64_t kiosk_malloc_counter_stop(void) { counting = 0; return count; }

static inline void tally(void) { if (counting) count += 1; }

void *malloc(size_t size) { tally(); return __libc_malloc(size); }
void *calloc(size_t n, size_t size) { tally(); return __libc_calloc(n, size); }
void *realloc(void *p, size_t size) { tally(); return __libc_realloc(p, size); }
void free(void *p) { __libc_free(p); }
void *memalign(size_t alignment, size_t size) { tally(); return __libc_memalign(alignment, size); }
void *aligned_alloc(size_t alignment, size_t size) { tally(); return __libc_memalign(alignment, size); }
int posix_memalign(void **out, size_t alignment, size_t size) {
    if (alignment < sizeof(void *) || (alignment & (alignment - 1)) != 0) return EINVAL;
    tally();
    void *p = __libc_memalign(alignment, size);
    if (!p && size) return ENOMEM;
    *out = p;
    return 0;
}

int kiosk_malloc_counter_installed(void) {
    return dlsym(RTLD_DEFAULT, "malloc") == (void *)malloc;
}
