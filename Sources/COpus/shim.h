// libopus. Every opus_*_ctl is variadic; these inline functions give Swift typed calls.
#pragma once
#include <opus/opus.h>

static inline int kiosk_opus_set_bitrate(OpusEncoder *e, opus_int32 bps) { return opus_encoder_ctl(e, OPUS_SET_BITRATE(bps)); }
static inline int kiosk_opus_set_complexity(OpusEncoder *e, opus_int32 c) { return opus_encoder_ctl(e, OPUS_SET_COMPLEXITY(c)); }
static inline int kiosk_opus_set_inband_fec(OpusEncoder *e, opus_int32 on) { return opus_encoder_ctl(e, OPUS_SET_INBAND_FEC(on)); }
static inline int kiosk_opus_set_packet_loss_perc(OpusEncoder *e, opus_int32 p) { return opus_encoder_ctl(e, OPUS_SET_PACKET_LOSS_PERC(p)); }
static inline int kiosk_opus_set_dtx(OpusEncoder *e, opus_int32 on) { return opus_encoder_ctl(e, OPUS_SET_DTX(on)); }
static inline int kiosk_opus_set_signal_voice(OpusEncoder *e) { return opus_encoder_ctl(e, OPUS_SET_SIGNAL(OPUS_SIGNAL_VOICE)); }
static inline int kiosk_opus_get_final_range(OpusDecoder *d, opus_uint32 *r) { return opus_decoder_ctl(d, OPUS_GET_FINAL_RANGE(r)); }
static inline int kiosk_opus_encoder_get_final_range(OpusEncoder *e, opus_uint32 *r) { return opus_encoder_ctl(e, OPUS_GET_FINAL_RANGE(r)); }
static inline int kiosk_opus_reset_decoder(OpusDecoder *d) { return opus_decoder_ctl(d, OPUS_RESET_STATE); }
static inline int kiosk_opus_get_lookahead(OpusEncoder *e, opus_int32 *samples) { return opus_encoder_ctl(e, OPUS_GET_LOOKAHEAD(samples)); }
static inline int kiosk_opus_set_vbr(OpusEncoder *e, opus_int32 on) { return opus_encoder_ctl(e, OPUS_SET_VBR(on)); }
static inline int kiosk_opus_reset_encoder(OpusEncoder *e) { return opus_encoder_ctl(e, OPUS_RESET_STATE); }
