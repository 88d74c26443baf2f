// libgbm. GBM_FORMAT_* are macro expressions Swift cannot import.
#pragma once
#include <stdint.h>
#include <gbm.h>

static inline uint32_t kiosk_GBM_FORMAT_XRGB8888(void) { return GBM_FORMAT_XRGB8888; }
static inline uint32_t kiosk_GBM_FORMAT_ARGB8888(void) { return GBM_FORMAT_ARGB8888; }
