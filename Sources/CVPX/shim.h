// libvpx. vpx_codec_enc_init/dec_init are macros carrying the ABI version, and
// vpx_codec_control is a macro over a variadic function.
#pragma once
#include <vpx/vpx_encoder.h>
#include <vpx/vpx_decoder.h>
#include <vpx/vp8cx.h>
#include <vpx/vp8dx.h>

static inline vpx_codec_err_t kiosk_vpx_enc_init(vpx_codec_ctx_t *ctx, const vpx_codec_enc_cfg_t *cfg, vpx_codec_flags_t flags) {
    return vpx_codec_enc_init(ctx, vpx_codec_vp8_cx(), cfg, flags);
}
static inline vpx_codec_err_t kiosk_vpx_dec_init(vpx_codec_ctx_t *ctx, const vpx_codec_dec_cfg_t *cfg, vpx_codec_flags_t flags) {
    return vpx_codec_dec_init(ctx, vpx_codec_vp8_dx(), cfg, flags);
}
static inline vpx_codec_err_t kiosk_vpx_set_cpuused(vpx_codec_ctx_t *ctx, int v) { return vpx_codec_control(ctx, VP8E_SET_CPUUSED, v); }
static inline vpx_codec_err_t kiosk_vpx_set_static_threshold(vpx_codec_ctx_t *ctx, unsigned int v) { return vpx_codec_control(ctx, VP8E_SET_STATIC_THRESHOLD, v); }
static inline vpx_codec_err_t kiosk_vpx_set_noise_sensitivity(vpx_codec_ctx_t *ctx, unsigned int v) { return vpx_codec_control(ctx, VP8E_SET_NOISE_SENSITIVITY, v); }
static inline vpx_codec_err_t kiosk_vpx_set_token_partitions(vpx_codec_ctx_t *ctx, int v) { return vpx_codec_control(ctx, VP8E_SET_TOKEN_PARTITIONS, v); }
static inline vpx_codec_err_t kiosk_vpx_set_max_intra_bitrate_pct(vpx_codec_ctx_t *ctx, unsigned int v) { return vpx_codec_control(ctx, VP8E_SET_MAX_INTRA_BITRATE_PCT, v); }
static inline vpx_codec_err_t kiosk_vpx_set_screen_content_mode(vpx_codec_ctx_t *ctx, unsigned int v) { return vpx_codec_control(ctx, VP8E_SET_SCREEN_CONTENT_MODE, v); }
static inline vpx_codec_err_t kiosk_vpx_get_last_quantizer(vpx_codec_ctx_t *ctx, int *q) { return vpx_codec_control(ctx, VP8E_GET_LAST_QUANTIZER_64, q); }
static inline vpx_codec_err_t kiosk_vpx_peek_corrupted(vpx_codec_ctx_t *ctx, int *corrupted) { return vpx_codec_control(ctx, VP8D_GET_FRAME_CORRUPTED, corrupted); }
static inline long kiosk_VPX_DL_REALTIME(void) { return VPX_DL_REALTIME; }
static inline vpx_enc_frame_flags_t kiosk_VPX_EFLAG_FORCE_KF(void) { return VPX_EFLAG_FORCE_KF; }
