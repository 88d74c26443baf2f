import COpenSSL

/// Per-endpoint state OpenSSL's callbacks reach through the BIO's data pointer: datagram
/// queues both ways, the fingerprint to pin, and the retransmission schedule.
///
/// Touched only from inside the owning `DTLSEndpoint`'s calls into OpenSSL, on that caller's
/// thread; the endpoint owns it and outlives the BIO (freed by `SSL_free` in its deinit).
final class DTLSEndpointContext {
    /// Whole datagrams waiting for OpenSSL to read (at most a few: each input is processed at once).
    var inbound: [[UInt8]] = []
    /// Whole datagrams OpenSSL wrote, in order.
    var outbound: [[UInt8]] = []
    let expectedFingerprint: DTLSFingerprint
    /// Set by the verify callback when the peer's certificate did not match.
    var fingerprintMismatch = false
    let initialRetransmitMicroseconds: UInt32

    init(expectedFingerprint: DTLSFingerprint, initialRetransmitMicroseconds: UInt32) {
        self.expectedFingerprint = expectedFingerprint
        self.initialRetransmitMicroseconds = initialRetransmitMicroseconds
    }

    static func from(bio: OpaquePointer?) -> DTLSEndpointContext? {
        guard let bio, let raw = BIO_get_data(bio) else { return nil }
        return Unmanaged<DTLSEndpointContext>.fromOpaque(raw).takeUnretainedValue()
    }

    static func from(ssl: OpaquePointer?) -> DTLSEndpointContext? {
        guard let ssl else { return nil }
        return from(bio: SSL_get_rbio(ssl))
    }
}

/// A BIO that keeps datagram boundaries, which a memory BIO does not (it would hand OpenSSL
/// two queued datagrams as one read and merge writes). Each `BIO_write` from OpenSSL is one
/// datagram: DTLS flushes its write buffer once per datagram it fills up to the MTU
/// (so several records of a flight may share one datagram, as RFC 6347 §4.1.1 allows).
enum DTLSDatagramBIO {
    /// Attaches a new BIO whose data pointer is `context` (not retained).
    static func make(context: DTLSEndpointContext) -> OpaquePointer? {
        guard let method = sharedMethod.method, let bio = BIO_new(method) else { return nil }
        BIO_set_data(bio, Unmanaged.passUnretained(context).toOpaque())
        BIO_set_init(bio, 1)
        return bio
    }

    /// `BIO_METHOD` is immutable once built and may be shared by every BIO in the process.
    private struct Method: @unchecked Sendable {
        let method: OpaquePointer?
    }

    private static let sharedMethod: Method = {
        guard let m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "kioskd DTLS datagram") else {
            return Method(method: nil)
        }
        BIO_meth_set_write(m, { bio, data, length in
            kiosk_BIO_clear_retry_flags(bio)
            guard let ctx = DTLSEndpointContext.from(bio: bio), let data, length > 0 else { return 0 }
            ctx.outbound.append(Array(UnsafeRawBufferPointer(start: data, count: Int(length))))
            return length
        })
        BIO_meth_set_read(m, { bio, out, capacity in
            kiosk_BIO_clear_retry_flags(bio)
            guard let ctx = DTLSEndpointContext.from(bio: bio), let out, capacity > 0 else { return 0 }
            guard !ctx.inbound.isEmpty else {
                kiosk_BIO_set_retry_read(bio)
                return -1
            }
            let datagram = ctx.inbound.removeFirst()
            // A datagram larger than the read buffer is truncated, as recvfrom would.
            let n = min(datagram.count, Int(capacity))
            datagram.withUnsafeBytes { src in
                if n > 0, let base = src.baseAddress { UnsafeMutableRawPointer(out).copyMemory(from: base, byteCount: n) }
            }
            return Int32(n)
        })
        BIO_meth_set_ctrl(m, { bio, command, _, _ in
            switch command {
            case BIO_CTRL_FLUSH:
                return 1
            case BIO_CTRL_PENDING:
                return DTLSEndpointContext.from(bio: bio)?.inbound.first?.count ?? 0
            case BIO_CTRL_WPENDING:
                return 0
            default:
                // Includes BIO_CTRL_DGRAM_GET_MTU_OVERHEAD: 0, so the MTU set on the SSL is the
                // DTLS datagram size itself; and BIO_CTRL_DGRAM_SET_NEXT_TIMEOUT, which
                // only a socket BIO needs.
                return 0
            }
        })
        BIO_meth_set_create(m, { _ in 1 })
        BIO_meth_set_destroy(m, { bio in
            guard let bio else { return 0 }
            BIO_set_data(bio, nil)
            BIO_set_init(bio, 0)
            return 1
        })
        return Method(method: m)
    }()
}
