#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// Reads a whole (small) file with plain POSIX calls, reporting why it could not.
enum FileBytes {
    enum Failure: Error, CustomStringConvertible {
        case notFound
        case permissionDenied
        case tooLarge
        case other(Int32)

        var description: String {
            switch self {
            case .notFound: "file not found"
            case .permissionDenied: "permission denied"
            case .tooLarge: "file is larger than 1 MiB"
            case .other(let e): "cannot read: \(String(cString: strerror(e)))"
            }
        }
    }

    static func read(_ path: String, limit: Int = 1 << 20) -> Result<[UInt8], Failure> {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 {
            switch errno {
            case ENOENT: return .failure(.notFound)
            case EACCES: return .failure(.permissionDenied)
            default: return .failure(.other(errno))
            }
        }
        defer { close(fd) }
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16384)
        while true {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                return .failure(.other(errno))
            }
            if n == 0 { break }
            out.append(contentsOf: chunk[0..<n])
            if out.count > limit { return .failure(.tooLarge) }
        }
        return .success(out)
    }
}
