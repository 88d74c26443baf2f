import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The one fact that must outlive a crash: the patient joined this appointment's visit and
/// neither side has ended it. Kept in the state directory as `visit.json` (mode 0600, written
/// whole and renamed into place, so a kill -9 mid-write leaves the old note or none), IDs only.
/// It never outlives the appointment's window: a note past `closesAt` is ignored and removed.
public struct VisitRecord: Codable, Equatable, Sendable {
    public var appointmentId: String
    /// RFC 3339: the end of the window in which the visit may run (the practice's `closesAt`).
    public var closesAt: String?
    /// When the patient's visit was noted; bounds a note without a window.
    public var notedAt: Date

    /// A visit without a known window is resumed only this long after it was noted.
    static let lifetimeWithoutWindow: TimeInterval = 4 * 3600

    func isValid(at now: Date) -> Bool {
        if let closesAt, let end = ISO8601DateFormatter().date(from: closesAt) { return now <= end }
        return now.timeIntervalSince(notedAt) <= Self.lifetimeWithoutWindow && now >= notedAt.addingTimeInterval(-60)
    }
}

/// Reads and writes `VisitRecord` in one directory. Failures are logged by the caller and
/// never stop the kiosk: without the note a crash only costs the patient a tap.
public struct VisitStore: Sendable {
    public let path: String

    public init(directory: String) {
        path = (directory as NSString).appendingPathComponent("visit.json")
    }

    public enum Failure: Error, CustomStringConvertible {
        case write(String, errno: Int32)

        public var description: String {
            switch self {
            case .write(let path, let e): "cannot write \(path): \(String(cString: strerror(e)))"
            }
        }
    }

    /// The note if it is there, readable and still valid; an invalid or stale one is removed.
    public func load(at now: Date = Date()) -> VisitRecord? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        guard let record = try? Self.decoder.decode(VisitRecord.self, from: data), record.isValid(at: now) else {
            clear()
            return nil
        }
        return record
    }

    public func save(_ record: VisitRecord) throws(Failure) {
        let data: Data
        do { data = try Self.encoder.encode(record) } catch { throw .write(path, errno: EINVAL) }
        let temporary = path + ".new"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw .write(temporary, errno: errno) }
        let written = data.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        let writeErrno = errno
        // fsync: the rename must not reach the disk before the bytes do.
        let synced = fsync(fd) == 0
        close(fd)
        guard written == data.count, synced else {
            unlink(temporary)
            throw .write(temporary, errno: written < 0 ? writeErrno : EIO)
        }
        guard rename(temporary, path) == 0 else {
            let e = errno
            unlink(temporary)
            throw .write(path, errno: e)
        }
    }

    public func clear() {
        unlink(path)
    }

    private static var encoder: JSONEncoder {
        let e = JSONEncoder()
        e.dateEncodingStrategy = .iso8601
        e.outputFormatting = .sortedKeys
        return e
    }

    private static var decoder: JSONDecoder {
        let d = JSONDecoder()
        d.dateDecodingStrategy = .iso8601
        return d
    }
}
