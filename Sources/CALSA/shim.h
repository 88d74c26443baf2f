// ALSA. The error-handler setter takes a variadic callback type Swift cannot form; this shim
// installs a silent handler so libasound never writes to stderr behind the logger's back.
#pragma once
#include <alsa/asoundlib.h>

static inline void kiosk_alsa_silent_handler(const char *file, int line, const char *function, int err, const char *fmt, ...) {
    (void)file; (void)line; (void)function; (void)err; (void)fmt;
}
static inline int kiosk_alsa_silence_errors(void) { return snd_lib_error_set_handler(kiosk_alsa_silent_handler); }
