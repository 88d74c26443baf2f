// PulseAudio's simple API imports without help.
#pragma once
#include <pulse/simple.h>
#include <pulse/error.h>
