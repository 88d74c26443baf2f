// V4L2 through libv4l2 (which converts formats and emulates read() where drivers lack it).
// Swift cannot import the VIDIOC_* ioctl numbers (function-like macros), V4L2_PIX_FMT_*
// fourccs, or the variadic v4l2_ioctl; these inline functions restate them.
#pragma once
#include <linux/videodev2.h>
#include <libv4l2.h>
#include <stdint.h>

static inline int kiosk_v4l2_ioctl(int fd, unsigned long request, void *arg) { return v4l2_ioctl(fd, request, arg); }

static inline unsigned long kiosk_VIDIOC_QUERYCAP(void) { return VIDIOC_QUERYCAP; }
static inline unsigned long kiosk_VIDIOC_ENUM_FMT(void) { return VIDIOC_ENUM_FMT; }
static inline unsigned long kiosk_VIDIOC_ENUM_FRAMESIZES(void) { return VIDIOC_ENUM_FRAMESIZES; }
static inline unsigned long kiosk_VIDIOC_ENUM_FRAMEINTERVALS(void) { return VIDIOC_ENUM_FRAMEINTERVALS; }
static inline unsigned long kiosk_VIDIOC_G_FMT(void) { return VIDIOC_G_FMT; }
static inline unsigned long kiosk_VIDIOC_S_FMT(void) { return VIDIOC_S_FMT; }
static inline unsigned long kiosk_VIDIOC_TRY_FMT(void) { return VIDIOC_TRY_FMT; }
static inline unsigned long kiosk_VIDIOC_G_PARM(void) { return VIDIOC_G_PARM; }
static inline unsigned long kiosk_VIDIOC_S_PARM(void) { return VIDIOC_S_PARM; }
static inline unsigned long kiosk_VIDIOC_REQBUFS(void) { return VIDIOC_REQBUFS; }
static inline unsigned long kiosk_VIDIOC_QUERYBUF(void) { return VIDIOC_QUERYBUF; }
static inline unsigned long kiosk_VIDIOC_QBUF(void) { return VIDIOC_QBUF; }
static inline unsigned long kiosk_VIDIOC_DQBUF(void) { return VIDIOC_DQBUF; }
static inline unsigned long kiosk_VIDIOC_STREAMON(void) { return VIDIOC_STREAMON; }
static inline unsigned long kiosk_VIDIOC_STREAMOFF(void) { return VIDIOC_STREAMOFF; }
static inline unsigned long kiosk_VIDIOC_ENUMINPUT(void) { return VIDIOC_ENUMINPUT; }
static inline unsigned long kiosk_VIDIOC_S_INPUT(void) { return VIDIOC_S_INPUT; }

static inline uint32_t kiosk_V4L2_PIX_FMT_YUYV(void) { return V4L2_PIX_FMT_YUYV; }
static inline uint32_t kiosk_V4L2_PIX_FMT_NV12(void) { return V4L2_PIX_FMT_NV12; }
static inline uint32_t kiosk_V4L2_PIX_FMT_YUV420(void) { return V4L2_PIX_FMT_YUV420; }
static inline uint32_t kiosk_V4L2_PIX_FMT_MJPEG(void) { return V4L2_PIX_FMT_MJPEG; }
static inline uint32_t kiosk_V4L2_PIX_FMT_RGB24(void) { return V4L2_PIX_FMT_RGB24; }

// Touch input (evdev) and uinput, used by Devices' touch backend and its lab check: the
// EVIOC*/UI_* request numbers are function-like macros Swift cannot import.
#include <linux/input.h>
#include <linux/uinput.h>
#include <sys/ioctl.h>
static inline unsigned long kiosk_EVIOCGABS(unsigned int axis) { return EVIOCGABS(axis); }
static inline unsigned long kiosk_EVIOCGNAME(unsigned int len) { return EVIOCGNAME(len); }
static inline unsigned long kiosk_EVIOCGBIT(unsigned int ev, unsigned int len) { return EVIOCGBIT(ev, len); }
static inline unsigned long kiosk_EVIOCGPROP(unsigned int len) { return EVIOCGPROP(len); }
static inline unsigned long kiosk_EVIOCGID(void) { return EVIOCGID; }
static inline unsigned long kiosk_UI_SET_EVBIT(void) { return UI_SET_EVBIT; }
static inline unsigned long kiosk_UI_SET_KEYBIT(void) { return UI_SET_KEYBIT; }
static inline unsigned long kiosk_UI_SET_ABSBIT(void) { return UI_SET_ABSBIT; }
static inline unsigned long kiosk_UI_SET_PROPBIT(void) { return UI_SET_PROPBIT; }
static inline unsigned long kiosk_UI_DEV_SETUP(void) { return UI_DEV_SETUP; }
static inline unsigned long kiosk_UI_ABS_SETUP(void) { return UI_ABS_SETUP; }
static inline unsigned long kiosk_UI_DEV_CREATE(void) { return UI_DEV_CREATE; }
static inline unsigned long kiosk_UI_DEV_DESTROY(void) { return UI_DEV_DESTROY; }
static inline unsigned long kiosk_UI_GET_SYSNAME(unsigned int len) { return UI_GET_SYSNAME(len); }
static inline int kiosk_ioctl_int(int fd, unsigned long request, int value) { return ioctl(fd, request, value); }
