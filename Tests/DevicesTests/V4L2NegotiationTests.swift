import Glibc
import Testing
@testable import Devices

@Suite struct V4L2NegotiationTests {
    static let webcam: [CameraFormatInfo] = [
        CameraFormatInfo(fourcc: "YUYV", description: "YUYV 4:2:2", compressed: false, supported: true, sizes: [
            CameraSizeInfo(width: 640, height: 480, fps: [30, 15]),
            CameraSizeInfo(width: 1280, height: 720, fps: [10, 5]),
        ]),
        CameraFormatInfo(fourcc: "MJPG", description: "Motion-JPEG", compressed: true, supported: true, sizes: [
            CameraSizeInfo(width: 640, height: 480, fps: [30]),
            CameraSizeInfo(width: 1280, height: 720, fps: [30]),
        ]),
        CameraFormatInfo(fourcc: "BA81", description: "Bayer", compressed: false, supported: false, sizes: []),
    ]

    @Test func prefersUncompressedWhenItMeetsTheRequest() throws {
        let c = try V4L2Camera.choose(formats: Self.webcam, request: CameraRequest(width: 640, height: 480, fps: 30), device: "cam")
        #expect(c.fourcc == "YUYV" && c.width == 640 && c.height == 480 && c.fps == 30)
    }

    @Test func takesMJPEGWhenYUYVCannotReachTheRate() throws {
        let c = try V4L2Camera.choose(formats: Self.webcam, request: CameraRequest(width: 1280, height: 720, fps: 30), device: "cam")
        #expect(c.fourcc == "MJPG" && c.width == 1280 && c.fps == 30)
    }

    @Test func nearestSize() throws {
        let c = try V4L2Camera.choose(formats: Self.webcam, request: CameraRequest(width: 800, height: 600, fps: 30), device: "cam")
        #expect(c.width == 640 && c.height == 480)
    }

    @Test func missingRequestedFormatNamesWhatExists() {
        #expect(throws: DeviceError.unsupportedFormat(device: "cam", requested: "NV12", available: ["YUYV", "MJPG", "BA81"])) {
            try V4L2Camera.choose(formats: Self.webcam, request: CameraRequest(pixelFormat: "NV12"), device: "cam")
        }
        #expect(throws: DeviceError.unsupportedFormat(device: "cam", requested: "BA81", available: ["YUYV", "MJPG", "BA81"])) {
            try V4L2Camera.choose(formats: Self.webcam, request: CameraRequest(pixelFormat: "BA81"), device: "cam")
        }
    }

    @Test func noConvertibleFormat() {
        #expect(throws: DeviceError.self) {
            try V4L2Camera.choose(formats: [Self.webcam[2]], request: CameraRequest(), device: "cam")
        }
    }

    @Test func errnoMappingNamesTheSituation() {
        #expect(V4L2Node.error(ENOSPC, device: "/dev/video2", operation: "VIDIOC_STREAMON") == .busBandwidthExceeded(device: "/dev/video2"))
        #expect(V4L2Node.error(ENOSPC, device: "/dev/video2", operation: "VIDIOC_S_FMT") == .system(device: "/dev/video2", operation: "VIDIOC_S_FMT", errno: ENOSPC))
        #expect(V4L2Node.error(ENODEV, device: "/dev/video2", operation: "VIDIOC_DQBUF") == .vanished(device: "/dev/video2"))
        #expect(V4L2Node.error(EIO, device: "/dev/video2", operation: "VIDIOC_DQBUF") == .vanished(device: "/dev/video2"))
        #expect(V4L2Node.error(EACCES, device: "/dev/video2", operation: "open") == .permissionDenied(device: "/dev/video2"))
        #expect(V4L2Node.error(EBUSY, device: "/dev/video2", operation: "VIDIOC_REQBUFS") == .busy(device: "/dev/video2"))
        #expect(DeviceError.busBandwidthExceeded(device: "/dev/video2").description.contains("ENOSPC"))
    }
}
