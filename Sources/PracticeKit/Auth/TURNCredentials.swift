import Crypto
import Foundation
import Signaling

/// Time-limited TURN credentials for a TURN server sharing a secret with the practice (coturn's
/// `use-auth-secret` + `static-auth-secret`; draft-uberti-behave-turn-rest-00 §2.2): the
/// username is `<expiry, Unix seconds>:<who>`, the password is
/// `base64(HMAC-SHA1(secret, username))`. The TURN server recomputes it, so nothing is stored
/// and a leaked credential stops working at its expiry.
public struct TURNCredentials: Sendable {
    public var urls: [String]
    var secret: [UInt8]
    /// How long an issued credential is valid, in seconds.
    public var ttl: Int

    public init(urls: [String], secret: String, ttl: Int = 86_400) {
        self.urls = urls
        self.secret = Array(secret.utf8)
        self.ttl = ttl
    }

    /// A fresh credential for one connection (`who`: the kiosk's or clinician's id).
    public func iceServer(for who: String, at now: Date) -> SignalingICEServer {
        let username = "\(Int(now.timeIntervalSince1970) + ttl):\(who)"
        return SignalingICEServer(urls: urls, username: username, credential: Self.credential(secret: secret, username: username))
    }

    static func credential(secret: [UInt8], username: String) -> String {
        // SHA-1 because the draft and every TURN server implementing it say so; as an HMAC it is
        // not weakened by SHA-1's collision attacks.
        let mac = HMAC<Insecure.SHA1>.authenticationCode(for: Array(username.utf8), using: SymmetricKey(data: secret))
        return Data(mac).base64EncodedString()
    }
}
