import CALSA

/// Lists ALSA cards' PCM devices for capture and playback, named by card id (stable across
/// reboots, unlike card numbers).
public enum ALSAEnumeration {
    public static func devices() -> AudioDevices {
        _ = kiosk_alsa_silence_errors()
        var result = AudioDevices()
        var card: Int32 = -1
        var cardInfo: OpaquePointer?
        var pcmInfo: OpaquePointer?
        guard snd_ctl_card_info_malloc(&cardInfo) >= 0, snd_pcm_info_malloc(&pcmInfo) >= 0,
              let cardInfo, let pcmInfo else { return result }
        defer {
            snd_ctl_card_info_free(cardInfo)
            snd_pcm_info_free(pcmInfo)
        }
        while snd_card_next(&card) >= 0, card >= 0 {
            var ctl: OpaquePointer?
            guard snd_ctl_open(&ctl, "hw:\(card)", 0) >= 0, let ctl else { continue }
            defer { snd_ctl_close(ctl) }
            guard snd_ctl_card_info(ctl, cardInfo) >= 0 else { continue }
            let cardID = String(cString: snd_ctl_card_info_get_id(cardInfo))
            let cardName = String(cString: snd_ctl_card_info_get_name(cardInfo))
            let driver = String(cString: snd_ctl_card_info_get_driver(cardInfo))
            let sysfsDevice = SysFS.realPath("/sys/class/sound/card\(card)/device") ?? ""
            let builtIn = !sysfsDevice.contains("/usb") && !driver.lowercased().contains("usb")
            var dev: Int32 = -1
            while snd_ctl_pcm_next_device(ctl, &dev) >= 0, dev >= 0 {
                for capture in [true, false] {
                    snd_pcm_info_set_device(pcmInfo, UInt32(dev))
                    snd_pcm_info_set_subdevice(pcmInfo, 0)
                    snd_pcm_info_set_stream(pcmInfo, capture ? SND_PCM_STREAM_CAPTURE : SND_PCM_STREAM_PLAYBACK)
                    guard snd_ctl_pcm_info(ctl, pcmInfo) >= 0 else { continue }
                    let device = "plughw:CARD=\(cardID),DEV=\(dev)"
                    let info = AudioDeviceInfo(id: "alsa:CARD=\(cardID),DEV=\(dev)", device: device, backend: "alsa",
                                               name: String(cString: snd_pcm_info_get_name(pcmInfo)),
                                               card: cardName, builtIn: builtIn)
                    if capture { result.microphones.append(info) } else { result.speakers.append(info) }
                }
            }
        }
        return result
    }
}
