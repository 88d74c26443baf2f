// libjpeg-turbo's TurboJPEG API, for MJPEG cameras.
#pragma once
#include <turbojpeg.h>
