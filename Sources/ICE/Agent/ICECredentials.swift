import STUN

/// An ICE username fragment and password (RFC 8445 §5.3, RFC 8839 §5.4).
public struct ICECredentials: Hashable, Sendable {
    public var ufrag: String
    public var pwd: String

    public init(ufrag: String, pwd: String) {
        self.ufrag = ufrag
        self.pwd = pwd
    }

    /// 8 ice-chars of ufrag (≥ 24 bits) and 24 of password (≥ 128 bits), as RFC 8839 asks.
    public static func random(using rng: inout STUNRandom) -> ICECredentials {
        ICECredentials(ufrag: iceString(8, &rng), pwd: iceString(24, &rng))
    }

    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")

    private static func iceString(_ count: Int, _ rng: inout STUNRandom) -> String {
        String((0..<count).map { _ in alphabet[Int(rng.next() & 63)] })
    }
}

extension ICECredentials: CustomStringConvertible {
    /// The password never appears in logs.
    public var description: String { "ICECredentials(ufrag: \(ufrag), pwd: <redacted>)" }
}
