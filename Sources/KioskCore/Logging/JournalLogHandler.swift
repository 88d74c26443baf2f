import Logging
#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// swift-log to stderr. Under systemd (JOURNAL_STREAM set) each line starts with an sd-daemon
/// priority prefix (`<6>`) and carries no timestamp, since journald adds its own; elsewhere a
/// UTC timestamp and the level name lead. Every line passes through `LogScrubber`.
public struct JournalLogHandler: LogHandler {
    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]
    let label: String
    let underJournald: Bool
    let sink: @Sendable (String) -> Void

    init(label: String, level: Logger.Level, underJournald: Bool, sink: @escaping @Sendable (String) -> Void = JournalLogHandler.stderrSink) {
        self.label = label
        self.logLevel = level
        self.underJournald = underJournald
        self.sink = sink
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        let line = format(level: event.level, message: event.message, metadata: event.metadata)
        sink(LogScrubber.scrub(line) + "\n")
    }

    func format(level: Logger.Level, message: Logger.Message, metadata extra: Logger.Metadata?) -> String {
        var merged = metadata
        if let extra { merged.merge(extra) { $1 } }
        let fields = merged.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        let text = fields.isEmpty ? "\(message)" : "\(message) \(fields)"
        if underJournald {
            return "<\(JournalLogHandler.priority(level))>\(label): \(text)"
        }
        return "\(JournalLogHandler.timestamp()) \(level) \(label): \(text)"
    }

    /// syslog priorities as sd-daemon(3) expects them.
    static func priority(_ level: Logger.Level) -> Int {
        switch level {
        case .trace, .debug: 7
        case .info: 6
        case .notice: 5
        case .warning: 4
        case .error: 3
        case .critical: 2
        }
    }

    static func timestamp() -> String {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        var t = time_t(ts.tv_sec)
        var parts = tm()
        gmtime_r(&t, &parts)
        func pad(_ n: Int32, _ width: Int = 2) -> String {
            let s = String(n)
            return String(repeating: "0", count: max(0, width - s.count)) + s
        }
        let ms = pad(Int32(ts.tv_nsec / 1_000_000), 3)
        return "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1))-\(pad(parts.tm_mday))T\(pad(parts.tm_hour)):\(pad(parts.tm_min)):\(pad(parts.tm_sec)).\(ms)Z"
    }

    public static let stderrSink: @Sendable (String) -> Void = { line in
        var bytes = Array(line.utf8)
        bytes.withUnsafeMutableBytes { p in
            var offset = 0
            while offset < p.count {
                let n = write(2, p.baseAddress! + offset, p.count - offset) // baseAddress: count > 0 here
                if n <= 0 { break }
                offset += n
            }
        }
    }

    /// Installs this handler process-wide.
    public static func bootstrap(level: Logger.Level) {
        let journald = getenv("JOURNAL_STREAM") != nil
        LoggingSystem.bootstrap { label in
            JournalLogHandler(label: label, level: level, underJournald: journald)
        }
    }
}
