/// `kioskd control stats` without `--json`: the figures a technician reads first, one
/// direction per column.
extension CallStats {
    public var text: String {
        func kbps(_ bps: Int) -> String { "\(bps / 1000) kbit/s" }
        func ms(_ seconds: Double) -> String { "\(Int((seconds * 1000).rounded())) ms" }
        func percent(_ part: Int, of whole: Int) -> String {
            whole <= 0 ? "0 %" : "\(Double(part * 1000 / whole) / 10) %"
        }
        let iv = inboundVideo, ia = inboundAudio, ov = outboundVideo, oa = outboundAudio, t = transport
        let rows: [(String, String, String)] = [
            ("", "from the clinician", "to the clinician"),
            ("video", "\(iv.frameWidth)x\(iv.frameHeight) \(iv.framesPerSecond) fps", "\(ov.frameWidth)x\(ov.frameHeight) at \(kbps(ov.targetBitrate))"),
            ("frames", "\(iv.framesDecoded) decoded, \(iv.framesDropped) dropped", "\(ov.framesEncoded) encoded of \(ov.framesCaptured) captured, \(ov.framesDroppedByEncoder) dropped by the encoder"),
            ("keyframes", "\(iv.keyFramesDecoded) decoded, \(iv.pliCount) PLIs sent", "\(ov.keyFramesEncoded) encoded, \(ov.pliCount + ov.firCount) PLI/FIR received"),
            ("freezes", "\(iv.freezeCount), \(ms(iv.totalFreezesDuration)) in all, longest \(ms(iv.longestFreeze))", "(the clinician's browser counts these)"),
            ("video packets", "\(iv.packetsReceived) received (\(iv.paddingPacketsReceived) padding), \(iv.packetsLost) lost, \(iv.retransmittedPacketsReceived) repaired, \(iv.packetsRecoveredByFEC) rebuilt from \(iv.fecPacketsReceived) FEC", "\(ov.packetsSent) sent, \(ov.retransmittedPacketsSent) resent, \(ov.fecPacketsSent) FEC (\(ov.fecProtectionPercent) % now), \(percent(Int(ov.remoteFractionLost * 1000), of: 1000)) lost"),
            ("NACKs", "\(iv.nackCount) sent", "\(ov.nackCount) received"),
            ("glass to glass", (iv.glassToGlass?.samples ?? 0) == 0 ? "no stamped frames" : String(format: "p50 %.0f ms, p95 %.0f ms over %d frames",
                iv.glassToGlass?.p50Ms ?? 0, iv.glassToGlass?.p95Ms ?? 0, iv.glassToGlass?.samples ?? 0), ""),
            ("jitter", "video \(ms(iv.jitter)), audio \(ms(ia.jitter)); video jitter buffer \(ms(iv.jitterBufferEmittedCount > 0 ? iv.jitterBufferDelay / Double(iv.jitterBufferEmittedCount) : 0)) per frame", ""),
            ("audio", "\(percent(ia.concealedSamples, of: ia.totalSamplesReceived)) concealed, \(ia.packetsRecoveredByFEC) rebuilt by FEC, \(ia.packetsRecoveredByRED) by RED", "\(oa.framesEncoded) frames, FEC for \(oa.fecLossPercent) % loss, \(oa.redundantPacketsSent) with RED"),
            ("audio playout", "\(ia.playoutQueuedMs) ms queued, \(ia.packetsDiscarded) discarded, \(ia.speakerUnderruns) speaker underruns", ""),
            ("audio packets", "\(ia.packetsReceived) received, \(ia.packetsLost) lost", "\(oa.packetsSent) sent, \(percent(Int(oa.remoteFractionLost * 1000), of: 1000)) lost"),
        ]
        let w0 = rows.map(\.0.count).max() ?? 0, w1 = rows.map(\.1.count).max() ?? 0
        func pad(_ s: String, _ w: Int) -> String { s + String(repeating: " ", count: max(0, w - s.count)) }
        var lines = ["call \(state), ICE \(t.iceState), path \(t.selectedCandidatePair ?? "none"), RTT \(t.currentRoundTripTime.map(ms) ?? "unknown")",
                     "send rate \(kbps(t.availableOutgoingBitrate)) (delay-based \(t.delayBasedEstimate.map(kbps) ?? "none"), \(t.delayOveruses) overuses; clinician's estimate \(t.remoteEstimatedBitrate.map(kbps) ?? "none"), \(t.sendRateDecreases) backoffs), ICE restarts \(t.iceRestarts)",
                     "clinician capped at \(t.receiveCap.map(kbps) ?? "nothing") (queue toward the kiosk: \(t.receiveCapCuts) cuts)"]
        lines += rows.map { "\(pad($0.0, w0))  \(pad($0.1, w1))  \($0.2)" }
        return lines.joined(separator: "\n")
    }

    /// The end-of-call log line's fields (figures only).
    var logMetadata: [String: String] {
        let iv = inboundVideo, ia = inboundAudio, ov = outboundVideo, t = transport
        return [
            "frames_encoded": "\(ov.framesEncoded)", "keyframes_encoded": "\(ov.keyFramesEncoded)",
            "frames_received": "\(iv.framesReceived)", "frames_decoded": "\(iv.framesDecoded)",
            "frames_dropped": "\(iv.framesDropped)", "keyframes_decoded": "\(iv.keyFramesDecoded)",
            "freezes": "\(iv.freezeCount)", "freeze_seconds": "\(iv.totalFreezesDuration)",
            "video_lost": "\(iv.packetsLost)", "video_repaired": "\(iv.retransmittedPacketsReceived)",
            "video_fec_received": "\(iv.fecPacketsReceived)", "video_fec_recovered": "\(iv.packetsRecoveredByFEC)",
            "nacks_sent": "\(iv.nackCount)", "nacks_received": "\(ov.nackCount)",
            "retransmissions": "\(ov.retransmittedPacketsSent)", "video_fec_sent": "\(ov.fecPacketsSent)", "plis_sent": "\(iv.pliCount)", "plis_received": "\(ov.pliCount)",
            "audio_concealed_samples": "\(ia.concealedSamples)", "audio_samples": "\(ia.totalSamplesReceived)",
            "audio_fec_recovered": "\(ia.packetsRecoveredByFEC)", "audio_red_recovered": "\(ia.packetsRecoveredByRED)",
            "target_bitrate": "\(t.availableOutgoingBitrate)", "remote_estimate": "\(t.remoteEstimatedBitrate ?? 0)",
            "send_rate_decreases": "\(t.sendRateDecreases)",
            "delay_estimate": "\(t.delayBasedEstimate ?? 0)", "delay_overuses": "\(t.delayOveruses)",
            "receive_cap_cuts": "\(t.receiveCapCuts)",
            "rtt_ms": "\(t.currentRoundTripTime.map { Int($0 * 1000) } ?? -1)", "pair": "\(t.selectedCandidatePair ?? "none")",
        ]
    }
}
