import Media
import Testing
@testable import Render

@Suite struct ScreenLayoutTests {
    let hd = PixelSize(width: 1920, height: 1080)

    @Test func inCallTrayHitTestsEachButtonAndNothingElse() throws {
        let l = ScreenLayout(screen: .inCall(CallControls()), output: hd)
        #expect(l.buttons.map(\.button) == [.cameraToggle, .microphoneToggle, .endCall])
        for b in l.buttons {
            #expect(l.button(atX: b.frame.x + b.frame.width / 2, y: b.frame.y + b.frame.height / 2) == b.button)
            #expect(l.button(atX: b.frame.x, y: b.frame.y) == b.button)
            #expect(l.button(atX: b.frame.maxX, y: b.frame.y) != b.button) // right edge is exclusive
            #expect(b.frame.height >= 96 && b.frame.width >= 200, "large touch targets")
            #expect(b.frame.intersection(PixelRect(x: 0, y: 0, width: 1920, height: 1080)) == b.frame)
        }
        #expect(l.button(atX: 960, y: 540) == nil, "the picture itself is not a button")
        #expect(l.buttons[0].label == "Camera off" && l.buttons[1].label == "Mute")
        let muted = ScreenLayout(screen: .inCall(CallControls(cameraOn: false, microphoneMuted: true)), output: hd)
        #expect(muted.buttons[0].label == "Camera on" && muted.buttons[1].label == "Unmute")
        let hidden = ScreenLayout(screen: .inCall(CallControls(trayVisible: false)), output: hd)
        #expect(hidden.buttons.isEmpty)
        #expect(l.banner == nil)
        let notice = ScreenLayout(screen: .inCall(CallControls(remoteNotice: "Dr. Demo muted their microphone")), output: hd)
        let banner = try #require(notice.banner)
        #expect(notice.texts.map(\.text) == ["Dr. Demo muted their microphone"])
        #expect(banner.y < 100 && banner.x > 320 + 24, "the notice stays clear of the self view in the upper-left corner")
        for b in notice.buttons { #expect(b.frame.intersection(banner).isEmpty) }
        // Buttons do not overlap.
        for (i, a) in l.buttons.enumerated() { for b in l.buttons[(i + 1)...] { #expect(a.frame.intersection(b.frame).isEmpty) } }
    }

    @Test func everyScreenHasItsButtonsOnSmallAndLargeOutputs() {
        for size in [hd, PixelSize(width: 1024, height: 768), PixelSize(width: 3840, height: 2160)] {
            let ended = ScreenLayout(screen: .ended(message: "Your telehealth session has ended"), output: size)
            #expect(ended.buttons.map(\.button) == [.rejoin])
            let check = ScreenLayout(screen: .deviceCheck(camera: "vivid", microphone: "Loopback", audioLevel: 2, canJoin: true), output: size)
            #expect(check.buttons.map(\.button) == [.continueToCall])
            let appt = ScreenLayout(screen: .appointment(title: "Dr. Demo", time: "5:00 PM", detail: "d", canJoin: true), output: size)
            #expect(appt.buttons.map(\.button) == [.join])
            #expect(ScreenLayout(screen: .appointment(title: "Dr. Demo", time: "5:00 PM", detail: "opens at", canJoin: false), output: size).buttons.isEmpty)
            #expect(check.meterLevel == 1)
            #expect(check.previewArea.map { $0.intersection(check.meter!).isEmpty } == true)
            let err = ScreenLayout(screen: .error(title: "No camera", detail: "d", diagnostics: ["a", "b"]), output: size)
            #expect(err.buttons.map(\.button) == [.retry])
            #expect(ScreenLayout(screen: .waiting(title: "t", detail: "d"), output: size).buttons.isEmpty)
            #expect(ScreenLayout(screen: .waitingRoom(title: "t", detail: "d"), output: size).buttons.map(\.button) == [.leave])
            for l in [ended, check, err] {
                let b = l.buttons[0].frame
                #expect(b.intersection(PixelRect(x: 0, y: 0, width: size.width, height: size.height)) == b)
            }
        }
    }

    @Test func offscreenDisplayPaintsTheEndedScreenAndHitTestsRejoin() throws {
        let display = OffscreenDisplay(size: hd, compositor: Compositor(painter: try ScreenPainter()))
        display.present(Scene(screen: .ended(message: "Your telehealth session has ended")))
        let rejoin = try #require(display.screenLayout?.buttons.first)
        #expect(display.button(atX: rejoin.frame.x + 10, y: rejoin.frame.y + 10) == .rejoin)
        #expect(display.button(atX: 5, y: 5) == nil)
        // The button is painted: white outline, primary fill, white label pixels inside.
        let img = display.image
        #expect(img[rejoin.frame.x + 1, rejoin.frame.y + 1] == .white)
        #expect(img[rejoin.frame.x + 8, rejoin.frame.y + 8] == ScreenPainter.primaryColour)
        let label = (rejoin.frame.y..<rejoin.frame.maxY).reduce(0) { n, y in
            n + (rejoin.frame.x + 10..<rejoin.frame.maxX - 10).filter { img[$0, y] == .white }.count
        }
        #expect(label > 300)
        #expect(img[5, 5] == ScreenPainter.panelColour)
    }

    @Test func deviceCheckShowsTheLivePreviewLargeAndTheMeterLevel() throws {
        let display = OffscreenDisplay(size: hd, compositor: Compositor(painter: try ScreenPainter()))
        display.present(Scene(selfView: selfHalves(width: 640, height: 360),
                              screen: .deviceCheck(camera: "cam", microphone: "mic", audioLevel: 0.5, canJoin: true)))
        let l = try #require(display.screenLayout)
        let preview = try #require(l.previewArea), meter = try #require(l.meter)
        // Mirrored preview: blue on the left, yellow on the right, filling the preview area.
        #expect(display.image[preview.x + 20, preview.y + 20].distance(to: XRGB(r: 0, g: 0, b: 255)) <= 4)
        #expect(display.image[preview.maxX - 20, preview.maxY - 20].distance(to: YUV.yellow.rgb()) <= 4)
        #expect(display.image[meter.x + meter.width / 2, meter.maxY - 10] == ScreenPainter.meterColour)
        #expect(display.image[meter.x + meter.width / 2, meter.y + 10] == .black)
    }
}
