import Foundation
import Logging
import WSClient
#if canImport(Glibc)
import Glibc
#endif

/// One WebSocket to the browser endpoint (`/devtools/browser/…`); pages are flat sessions on it
/// (`Target.attachToTarget {flatten: true}`), so one connection serves every tab.
actor DevToolsConnection {
    struct Event: Sendable {
        var method: String
        var params: JSONValue
        var sessionId: String?
    }

    private var nextId = 1
    private var pending: [Int: (method: String, continuation: CheckedContinuation<JSONValue, any Error>)] = [:]
    private struct EventWaiter {
        var method: String
        var sessionId: String?
        var fired: JSONValue?
        var continuation: CheckedContinuation<JSONValue, any Error>?
    }
    private var eventWaiters: [Int: EventWaiter] = [:]
    private var listeners: [@Sendable (Event) -> Void] = []
    private var closedReason: String?
    private let outgoing: AsyncStream<String?>.Continuation
    private var task: Task<Void, Never>?

    private init(outgoing: AsyncStream<String?>.Continuation) {
        self.outgoing = outgoing
    }

    /// Opens the WebSocket; fails after `timeout` if it does not open.
    static func open(url: String, timeout: Duration) async throws -> DevToolsConnection {
        let (stream, outgoing) = AsyncStream<String?>.makeStream()
        let connection = DevToolsConnection(outgoing: outgoing)
        let (ready, readySignal) = AsyncStream<String?>.makeStream()   // nil: open; else why not
        var logger = Logger(label: "devtools")
        logger.logLevel = .critical
        // Screenshots arrive as one large text frame.
        let configuration = WebSocketClientConfiguration(maxFrameSize: 1 << 26)
        let task = Task {
            do {
                try await WebSocketClient.connect(url: url, configuration: configuration, logger: logger) { inbound, outbound, _ in
                    readySignal.yield(nil)
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        group.addTask {
                            for await text in stream {
                                guard let text else {
                                    try await outbound.close(.normalClosure, reason: nil)
                                    return
                                }
                                try await outbound.write(.text(text))
                            }
                        }
                        for try await message in inbound.messages(maxSize: 1 << 26) {
                            if case .text(let text) = message { await connection.received(text) }
                        }
                        group.cancelAll()
                    }
                }
                await connection.closed("the browser closed the connection")
                readySignal.yield("the browser closed the connection")
            } catch {
                await connection.closed("\(error)")
                readySignal.yield("\(error)")
            }
        }
        await connection.setTask(task)
        let failure = await withTaskGroup(of: String?.self) { group in
            group.addTask {
                for await failure in ready { return failure }
                return "the WebSocket task ended"
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return "WebSocket to the browser did not open within \(timeout)"
            }
            let first = await group.next() ?? "no result"
            group.cancelAll()
            return first
        }
        readySignal.finish()
        if let failure {
            await connection.shutdown()
            throw DevToolsError.connectionClosed(failure)
        }
        return connection
    }

    private func setTask(_ t: Task<Void, Never>) { task = t }

    /// Chromium's `--remote-debugging-pipe`: JSON messages each ended by a NUL byte, read from
    /// `readFD` (the browser's fd 4) and written to `writeFD` (its fd 3). No port, so it works
    /// for a browser in another network namespace. The descriptors are owned from now on.
    static func openPipe(readFD: Int32, writeFD: Int32) -> DevToolsConnection {
        let (stream, outgoing) = AsyncStream<String?>.makeStream()
        let connection = DevToolsConnection(outgoing: outgoing)
        let (inbound, inboundSink) = AsyncStream<String>.makeStream()
        // A thread blocks in read(2); one task delivers what it reads, in order.
        let reader = Thread {
            var pending: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 1 << 16)
            while true {
                let n = buffer.withUnsafeMutableBytes { read(readFD, $0.baseAddress, $0.count) }
                if n < 0, errno == EINTR { continue }
                guard n > 0 else { break }
                var start = 0
                for i in 0..<n where buffer[i] == 0 {
                    pending.append(contentsOf: buffer[start..<i])
                    inboundSink.yield(String(decoding: pending, as: UTF8.self))
                    pending.removeAll(keepingCapacity: true)
                    start = i + 1
                }
                pending.append(contentsOf: buffer[start..<n])
            }
            close(readFD)
            inboundSink.finish()
        }
        reader.start()
        let writer = Task.detached {
            for await text in stream {
                guard let text else { break }
                var bytes = Array(text.utf8)
                bytes.append(0)
                var offset = 0
                while offset < bytes.count {
                    let n = bytes[offset...].withUnsafeBytes { write(writeFD, $0.baseAddress, $0.count) }
                    if n < 0, errno == EINTR { continue }
                    guard n > 0 else { return }
                    offset += n
                }
            }
            close(writeFD)
        }
        let task = Task {
            for await text in inbound { await connection.received(text) }
            writer.cancel()
            await connection.closed("the browser closed the pipe")
        }
        Task { await connection.setTask(task) }
        return connection
    }

    /// Sends a command and returns its `result`; throws on a protocol error or after `timeout`.
    func send(_ method: String, _ params: JSONValue = [:], sessionId: String? = nil, timeout: Duration) async throws -> JSONValue {
        if let closedReason { throw DevToolsError.connectionClosed(closedReason) }
        let id = nextId
        nextId += 1
        var message: [String: JSONValue] = ["id": .number(Double(id)), "method": .string(method), "params": params]
        if let sessionId { message["sessionId"] = .string(sessionId) }
        let text = JSONValue.object(message).description
        let timer = Task { [weak self] in
            try? await Task.sleep(for: timeout)
            await self?.expire(id, "\(method) got no answer within \(timeout)")
        }
        defer { timer.cancel() }
        return try await withCheckedThrowingContinuation { continuation in
            pending[id] = (method, continuation)
            outgoing.yield(text)
        }
    }

    /// Registers interest in the next event named `method` (on `sessionId`, if given) before the
    /// command that triggers it; collect it with `awaitEvent(_:timeout:)`.
    func expectEvent(_ method: String, sessionId: String?) -> Int {
        let id = nextId
        nextId += 1
        eventWaiters[id] = EventWaiter(method: method, sessionId: sessionId)
        return id
    }

    func awaitEvent(_ token: Int, timeout: Duration) async throws -> JSONValue {
        if let fired = eventWaiters[token]?.fired {
            eventWaiters.removeValue(forKey: token)
            return fired
        }
        if let closedReason { throw DevToolsError.connectionClosed(closedReason) }
        guard let method = eventWaiters[token]?.method else { throw DevToolsError.timeout("event \(token) is not expected") }
        let timer = Task { [weak self] in
            try? await Task.sleep(for: timeout)
            await self?.expireWaiter(token, "no \(method) event within \(timeout)")
        }
        defer { timer.cancel() }
        return try await withCheckedThrowingContinuation { continuation in
            if eventWaiters[token] == nil {
                continuation.resume(throwing: DevToolsError.timeout("\(method) event no longer expected"))
            } else {
                eventWaiters[token]?.continuation = continuation
            }
        }
    }

    func addListener(_ listener: @escaping @Sendable (Event) -> Void) { listeners.append(listener) }

    var isClosed: Bool { closedReason != nil }

    func shutdown() {
        outgoing.yield(nil)
        outgoing.finish()
        closed("closed by the test")
        task?.cancel()
    }

    private func expire(_ id: Int, _ why: String) {
        pending.removeValue(forKey: id)?.continuation.resume(throwing: DevToolsError.timeout(why))
    }

    private func expireWaiter(_ id: Int, _ why: String) {
        eventWaiters.removeValue(forKey: id)?.continuation?.resume(throwing: DevToolsError.timeout(why))
    }

    private func received(_ text: String) {
        guard let message = try? JSONValue.parse(text) else { return }
        if let id = message["id"].int {
            guard let entry = pending.removeValue(forKey: id) else { return }
            if case .object(let error) = message["error"] {
                entry.continuation.resume(throwing: DevToolsError.protocolError(
                    method: entry.method, code: error["code"]?.int ?? 0, message: error["message"]?.string ?? "\(message["error"])"))
            } else {
                entry.continuation.resume(returning: message["result"])
            }
            return
        }
        guard let method = message["method"].string else { return }
        let event = Event(method: method, params: message["params"], sessionId: message["sessionId"].string)
        for listener in listeners { listener(event) }
        for (id, waiter) in eventWaiters where waiter.fired == nil && waiter.method == method
            && (waiter.sessionId == nil || waiter.sessionId == event.sessionId) {
            if let continuation = waiter.continuation {
                eventWaiters.removeValue(forKey: id)
                continuation.resume(returning: event.params)
            } else {
                eventWaiters[id]?.fired = event.params
            }
        }
    }

    private func closed(_ reason: String) {
        guard closedReason == nil else { return }
        closedReason = reason
        for (_, entry) in pending { entry.continuation.resume(throwing: DevToolsError.connectionClosed(reason)) }
        pending.removeAll()
        for (_, waiter) in eventWaiters { waiter.continuation?.resume(throwing: DevToolsError.connectionClosed(reason)) }
        eventWaiters.removeAll()
    }
}
