// libyuv (Debian ships no pkg-config file for it: the module map links "yuv" directly).
#pragma once
#include <libyuv.h>
