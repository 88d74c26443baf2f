import SessionCore
import Signaling

/// Signaling JSON from the network: decoding must never trap, anything that decodes must
/// re-encode to text that decodes to the same message, and the client state machine must take
/// any text while ready.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    if let envelope = try? SignalingEnvelope.decode(bytes: bytes) {
        let text = envelope.text
        // Re-encoding may add defaulted fields (e.g. `"resumed":false`), so a message just
        // under the limit can come back just over it; only compare what fits.
        if text.utf8.count <= SignalingEnvelope.maximumLength {
            let again = try? SignalingEnvelope.decode(text)
            precondition(again == envelope, "decode → encode → decode changed the message")
        }
    }
    _ = SignalingEnvelope.idHint(in: String(decoding: bytes, as: UTF8.self))

    var client = SignalingClient(configuration: .init(hello: SignalingHello(
        role: .kiosk, kioskId: "kiosk-1", token: "t", software: "fuzz")))
    client.handle(.start, at: .zero)
    client.handle(.connected, at: .zero)
    client.handle(.received(#"{"v":1,"type":"welcome","sessionId":"s1","heartbeatIntervalMs":15000,"iceServers":[]}"#), at: .zero)
    client.handle(.received(String(decoding: bytes, as: UTF8.self)), at: Instant(nanoseconds: 1_000_000))
    while let output = client.poll() {
        if case .timeout = output { break }
    }
    return 0
}
