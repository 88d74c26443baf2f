// libsrtp2 imports without help (Debian builds it with GCM through NSS).
#pragma once
#include <srtp2/srtp.h>
