import HTTPTypes
import Logging
import WSClient

/// Runs one WSClient connection, feeding received text to `inbox` and writing `outgoing`
/// (nil = close). Kept apart so only this file imports WSClient.
enum WebSocketClientRunner {
    static func run(url: String, headers: [String: String] = [:], logger: Logger, inbox: WSPeer.Inbox,
                    outgoing: AsyncStream<String?>, ready: AsyncStream<Void>.Continuation) async throws {
        defer { Task { await inbox.finish() } }
        var fields = HTTPFields()
        for (name, value) in headers.sorted(by: { $0.key < $1.key }) {
            if let name = HTTPField.Name(name) { fields[name] = value }
        }
        try await WebSocketClient.connect(url: url, configuration: .init(additionalHeaders: fields), logger: logger) { inbound, outbound, _ in
            ready.yield()
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    for await text in outgoing {
                        guard let text else {
                            try await outbound.close(.normalClosure, reason: nil)
                            return
                        }
                        try await outbound.write(.text(text))
                    }
                }
                for try await message in inbound.messages(maxSize: 1 << 20) {
                    if case .text(let text) = message { await inbox.push(text) }
                }
                group.cancelAll()
            }
        }
        await inbox.finish()
    }
}
