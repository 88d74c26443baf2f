#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// Small file-system reads for enumeration (no Foundation): directory names, sysfs attributes, links.
enum SysFS {
    static func list(_ directory: String) -> [String] {
        guard let dir = opendir(directory) else { return [] }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted(by: naturalOrder)
    }

    /// The first line of a small text file (sysfs attribute, /proc entry), trimmed; nil if unreadable.
    static func read(_ path: String, limit: Int = 4096) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: limit)
        let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, limit) }
        guard n >= 0 else { return nil }
        var text = String(decoding: buffer[0..<n], as: UTF8.self)
        while let last = text.last, last == "\n" || last == " " { text.removeLast() }
        return text
    }

    static func realPath(_ path: String) -> String? {
        guard let p = realpath(path, nil) else { return nil }
        defer { free(p) }
        return String(cString: p)
    }

    static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }

    /// (major, minor) of a device node, nil if it is not one.
    static func deviceNumber(_ path: String) -> (major: UInt32, minor: UInt32)? {
        var st = stat()
        guard stat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFCHR else { return nil }
        // glibc's dev_t encoding (gnu_dev_major/minor are macros Swift cannot import).
        let d = UInt64(st.st_rdev)
        return (UInt32(truncatingIfNeeded: ((d >> 8) & 0xfff) | ((d >> 32) & ~0xfff)),
                UInt32(truncatingIfNeeded: (d & 0xff) | ((d >> 12) & ~0xff)))
    }

    /// "video10" after "video9": compares embedded numbers by value.
    static func naturalOrder(_ a: String, _ b: String) -> Bool {
        let (pa, na) = split(a), (pb, nb) = split(b)
        if pa != pb { return a < b }
        return (na ?? -1) < (nb ?? -1)
    }

    private static func split(_ s: String) -> (String, Int?) {
        let digits = s.reversed().prefix { $0.isNumber }
        return (String(s.dropLast(digits.count)), Int(String(digits.reversed())))
    }
}
