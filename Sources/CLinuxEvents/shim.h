// glibc's eventfd and timerfd, which Swift's Glibc module leaves out: the descriptors the
// kiosk's media and screen loops wait on instead of sleeping.
#pragma once
#include <sys/eventfd.h>
#include <sys/timerfd.h>
