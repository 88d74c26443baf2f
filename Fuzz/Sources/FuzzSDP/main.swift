import SDP

/// Fixed local parameters so every parsed input is also answered and negotiated.
private let local = SDPLocalParameters(
    iceUfrag: "fuzz", icePwd: "fuzzfuzzfuzzfuzzfuzzfuzz",
    fingerprint: SDPFingerprint(algorithm: "sha-256", bytes: [UInt8](repeating: 0xAB, count: 32)),
    audioSSRC: 1, videoSSRC: 2, cname: "fuzz", streamID: "s", audioTrackID: "a", videoTrackID: "v",
    candidates: ["candidate:1 1 udp 2122260223 127.0.0.1 5000 typ host"])

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    guard let sd = try? SessionDescription.parse(text) else { return 0 }
    // What we write we must read back unchanged.
    let again = try? SessionDescription.parse(sd.serialized())
    precondition(again == sd, "SDP serialization round trip changed the description")
    if let answer = try? SDPNegotiator.makeAnswer(to: sd, local: local, sessionID: 1, version: 1) {
        precondition((try? SessionDescription.parse(answer.serialized())) == answer, "answer does not reparse")
        _ = try? SDPNegotiator.negotiated(local: answer, remote: sd, weAreOfferer: false)
    }
    _ = try? SDPNegotiator.negotiated(local: sd, remote: sd, weAreOfferer: true)
    return 0
}
