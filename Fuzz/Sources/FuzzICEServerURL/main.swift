// libFuzzer target for STUN/TURN server URLs (RFC 7064/7065) as the practice's welcome and
// the configuration give them. Invariants checked (a violation traps so the fuzzer reports it):
//   - ICEServerURL(parsing:) never traps;
//   - what parses has a host and a port, and written back out parses to the same value.
import ICE

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    guard let url = try? ICEServerURL(parsing: text) else { return 0 }
    precondition(!url.host.isEmpty && url.port > 0, "a parsed URL without host or port")
    let host = url.host.contains(":") ? "[\(url.host)]" : url.host
    var written = "\(url.scheme.rawValue):\(host):\(url.port)"
    if url.isTURN { written += "?transport=\(url.transport.rawValue)" }
    guard let again = try? ICEServerURL(parsing: written), again == url else {
        fatalError("ICE server URL did not survive a round trip")
    }
    return 0
}
