// libdrm. DRM_FORMAT_* are fourcc_code() macro expressions Swift cannot import.
#pragma once
#include <stdint.h>
#include <xf86drm.h>
#include <xf86drmMode.h>
#include <drm_fourcc.h>

static inline uint32_t kiosk_DRM_FORMAT_XRGB8888(void) { return DRM_FORMAT_XRGB8888; }
static inline uint32_t kiosk_DRM_FORMAT_ARGB8888(void) { return DRM_FORMAT_ARGB8888; }
static inline uint32_t kiosk_DRM_FORMAT_NV12(void) { return DRM_FORMAT_NV12; }
static inline uint32_t kiosk_DRM_FORMAT_YUV420(void) { return DRM_FORMAT_YUV420; }
static inline uint32_t kiosk_DRM_FORMAT_RGB565(void) { return DRM_FORMAT_RGB565; }
