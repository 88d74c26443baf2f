import DTLS
import ICE
import SessionCore
#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// The driver's connection to one TURN server over TCP or TLS (RFC 8656 §3.1, RFC 7065): a
/// non-blocking TCP socket in the engine thread's poll(2) set, TLS (`TLSClientStream`) for
/// `turns:`, and the stream framing (`TURNStreamFramer`) between whole TURN messages and bytes.
///
/// Messages the agent sends before the connection (and handshake) is up wait in a buffer;
/// a backlog beyond `maxBacklog` (the kernel not taking bytes) drops new messages whole — a
/// stream cannot drop part of one — as a full UDP socket would. Only the engine thread
/// touches it.
final class TURNStreamConnection {
    enum Failure: Error, Equatable, CustomStringConvertible {
        case socket(Int32)
        case connect(Int32)
        case closedByServer
        case send(Int32)
        case receive(Int32)
        case tls(TLSError)
        case framing(TURNStreamError)

        /// No address: the server's name or IP can say which practice this is.
        var description: String {
            switch self {
            case .socket(let e): "cannot create TCP socket: \(String(cString: strerror(e)))"
            case .connect(let e): "cannot connect to the TURN server: \(String(cString: strerror(e)))"
            case .closedByServer: "the TURN server closed the connection"
            case .send(let e): "TCP send failed: \(String(cString: strerror(e)))"
            case .receive(let e): "TCP receive failed: \(String(cString: strerror(e)))"
            case .tls(let e): "\(e)"
            case .framing(let e): "\(e)"
            }
        }
    }

    enum Phase: Equatable {
        case connecting, handshaking, open
        case failed(Failure)
    }

    /// Bytes waiting for the socket before new messages are dropped.
    static let maxBacklog = 1 << 20
    /// Largest read per recv/SSL_read: the framer's buffer has room for one more than a frame.
    static let readChunk = 16_384

    let server: TransportAddress
    let transport: TransportProtocol
    /// The UDP base the agent names as this relay's `from` (handed back with each message).
    let base: TransportAddress
    private(set) var phase: Phase = .connecting
    /// Whether the engine has told the peer (and the log) about the failure.
    var failureReported = false
    private(set) var droppedMessages = 0

    /// Dropped (closing the descriptor) on failure.
    private var socket: TCPSocket?
    private let tls: TLSClientStream?
    private var framer = TURNStreamFramer()
    /// Framed plaintext waiting for the connection or the handshake.
    private var waiting: [UInt8] = []
    /// Framed plaintext for TLS to encrypt (reused, so a message costs no allocation).
    private var scratch: [UInt8] = []
    /// Bytes for the socket; `wire[wireStart...]` not yet sent.
    private var wire: [UInt8] = []
    private var wireStart = 0

    init(server: TransportAddress, transport: TransportProtocol, base: TransportAddress,
         tls configuration: TLSClientStream.Configuration?) {
        self.server = server
        self.transport = transport
        self.base = base
        var tls: TLSClientStream?
        var socket: TCPSocket?
        do {
            if transport == .tls {
                guard let configuration else { throw Failure.tls(.configuration("no server name for TLS")) }
                tls = try TLSClientStream(configuration: configuration)
            }
            socket = try TCPSocket(connectingTo: server)
        } catch let error as Failure {
            phase = .failed(error)
        } catch let error as TLSError {
            phase = .failed(.tls(error))
        } catch {
            phase = .failed(.socket(EINVAL))
        }
        self.tls = tls
        self.socket = socket
    }

    var isFailed: Bool { if case .failed = phase { true } else { false } }

    /// The descriptor and the events to wait for; nil once failed.
    var pollEntry: pollfd? {
        guard let socket, !isFailed else { return nil }
        let events = phase == .connecting ? POLLOUT : (wireStart < wire.count ? POLLIN | POLLOUT : POLLIN)
        return pollfd(fd: socket.fd, events: Int16(events), revents: 0)
    }

    /// One whole STUN or ChannelData message from the agent.
    func send(_ message: [UInt8]) {
        guard !isFailed else { return }
        guard wire.count - wireStart + waiting.count + message.count <= Self.maxBacklog else {
            droppedMessages += 1
            return
        }
        guard phase == .open else {
            TURNStreamFramer.frame(message, into: &waiting)
            return
        }
        if let tls {
            scratch.removeAll(keepingCapacity: true)
            TURNStreamFramer.frame(message, into: &scratch)
            scratch.withUnsafeBytes { _ = tls.write($0) }
            tls.takeCiphertext(into: &wire)
            if case .failed(let e) = tls.state { return fail(.tls(e)) }
        } else {
            TURNStreamFramer.frame(message, into: &wire)
        }
        flushWire()
    }

    /// What poll(2) reported for this socket. Each whole message from the server goes to
    /// `deliver`; `buffer` is the engine's read buffer (reused: no allocation per read).
    func handle(revents: Int16, buffer: inout [UInt8], deliver: ([UInt8]) -> Void) {
        guard let socket, !isFailed else { return }
        if phase == .connecting {
            guard revents & Int16(POLLOUT | POLLERR | POLLHUP) != 0 else { return }
            let result = socket.connectResult()
            guard result == 0 else { return fail(.connect(result)) }
            connected()
            if isFailed { return }
        }
        if revents & Int16(POLLIN | POLLHUP | POLLERR) != 0 { readAll(socket, buffer: &buffer, deliver: deliver) }
        if !isFailed, revents & Int16(POLLOUT) != 0 { flushWire() }
    }

    private func connected() {
        if let tls {
            phase = .handshaking
            tls.start()
            tls.takeCiphertext(into: &wire)
        } else {
            phase = .open
            wire.append(contentsOf: waiting)
            waiting.removeAll()
        }
        flushWire()
    }

    private func readAll(_ socket: TCPSocket, buffer: inout [UInt8], deliver: ([UInt8]) -> Void) {
        if buffer.count < Self.readChunk { buffer = [UInt8](repeating: 0, count: Self.readChunk) }
        while !isFailed {
            let io = buffer.withUnsafeMutableBytes { socket.receive(into: UnsafeMutableRawBufferPointer(rebasing: $0[0..<Self.readChunk])) }
            switch io {
            case .done(let n):
                if let tls {
                    buffer.withUnsafeBytes { tls.receive(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
                    afterTLSInput(tls, buffer: &buffer, deliver: deliver)
                } else {
                    frameIn(buffer[0..<n], deliver: deliver)
                }
            case .wouldBlock:
                return
            case .closed:
                return fail(.closedByServer)
            case .failed(let e):
                return fail(.receive(e))
            }
        }
    }

    /// After ciphertext went in: the handshake's answer out, then the plaintext in.
    private func afterTLSInput(_ tls: TLSClientStream, buffer: inout [UInt8], deliver: ([UInt8]) -> Void) {
        tls.takeCiphertext(into: &wire)
        if phase == .handshaking, tls.isConnected {
            phase = .open
            waiting.withUnsafeBytes { _ = tls.write($0) }
            waiting.removeAll()
            tls.takeCiphertext(into: &wire)
        }
        // The read buffer is free again once TLS took its ciphertext: decrypt into it.
        while phase == .open {
            let n = buffer.withUnsafeMutableBytes { tls.read(into: UnsafeMutableRawBufferPointer(rebasing: $0[0..<Self.readChunk])) }
            guard n > 0 else { break }
            frameIn(buffer[0..<n], deliver: deliver)
        }
        switch tls.state {
        case .failed(let e): return fail(.tls(e))
        case .closed: return fail(.tls(.closed))
        case .handshaking, .connected: break
        }
        flushWire()
    }

    private func frameIn(_ chunk: ArraySlice<UInt8>, deliver: ([UInt8]) -> Void) {
        do {
            try framer.append(chunk)
            while let message = try framer.nextMessage() { deliver(message) }
        } catch {
            fail(.framing(error))
        }
    }

    private func flushWire() {
        guard let socket, !isFailed, phase != .connecting else { return }
        while wireStart < wire.count {
            let io = wire.withUnsafeBytes { socket.send(UnsafeRawBufferPointer(rebasing: $0[wireStart...])) }
            switch io {
            case .done(let n): wireStart += n
            case .wouldBlock: return compactWire()
            case .closed: return fail(.closedByServer)
            case .failed(let e): return fail(.send(e))
            }
        }
        wire.removeAll(keepingCapacity: true)
        wireStart = 0
    }

    private func compactWire() {
        guard wireStart > 0, wireStart >= wire.count / 2 else { return }
        wire.removeSubrange(0..<wireStart)
        wireStart = 0
    }

    private func fail(_ failure: Failure) {
        guard !isFailed else { return }
        phase = .failed(failure)
        socket = nil
        waiting = []
        wire = []
        wireStart = 0
    }
}
