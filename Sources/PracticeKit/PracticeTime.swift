import Foundation

/// RFC 3339 date-times for the API and the protocol, and clock times shown to people.
public enum PracticeTime {
    /// Why a text is not an RFC 3339 date-time with an offset.
    enum ParseError: Error, Equatable, Sendable {
        /// Not of the form `2025-03-04T17:00:00-06:00`.
        case malformed
        /// A local time: no `Z` and no `±hh:mm`.
        case noOffset
        /// Well-formed but not a real date or time (Feb 30, 24:00, offset +25:00).
        case outOfRange
    }

    /// `2025-03-04T17:00:00Z` (whole seconds, UTC).
    static func format(_ d: Date) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime]
        return f.string(from: d)
    }

    public static func parse(_ s: String) -> Date? { try? parseChecked(s) }

    /// RFC 3339 §5.6 `date-time`, strictly: the offset is required and every field must exist
    /// (Foundation's ISO8601DateFormatter rolls Feb 30 over to Mar 2, so it is not used here).
    static func parseChecked(_ s: String) throws(ParseError) -> Date {
        let b = Array(s.utf8)
        var i = 0
        func digits(_ n: Int) throws(ParseError) -> Int {
            guard i + n <= b.count else { throw .malformed }
            var v = 0
            for k in i..<(i + n) {
                guard b[k] >= 0x30, b[k] <= 0x39 else { throw .malformed }
                v = v * 10 + Int(b[k] - 0x30)
            }
            i += n
            return v
        }
        func expect(_ c: UInt8...) throws(ParseError) {
            guard i < b.count, c.contains(b[i]) else { throw .malformed }
            i += 1
        }
        let year = try digits(4); try expect(UInt8(ascii: "-"))
        let month = try digits(2); try expect(UInt8(ascii: "-"))
        let day = try digits(2); try expect(UInt8(ascii: "T"), UInt8(ascii: "t"))
        let hour = try digits(2); try expect(UInt8(ascii: ":"))
        let minute = try digits(2); try expect(UInt8(ascii: ":"))
        let second = try digits(2)
        var fraction = 0.0
        if i < b.count, b[i] == UInt8(ascii: ".") {
            i += 1
            var scale = 0.1, count = 0
            while i < b.count, b[i] >= 0x30, b[i] <= 0x39 {
                fraction += Double(b[i] - 0x30) * scale
                scale /= 10
                count += 1
                i += 1
            }
            guard (1...9).contains(count) else { throw .malformed }
        }
        guard i < b.count else { throw .noOffset }
        var offset = 0
        switch b[i] {
        case UInt8(ascii: "Z"), UInt8(ascii: "z"):
            i += 1
        case UInt8(ascii: "+"), UInt8(ascii: "-"):
            let sign = b[i] == UInt8(ascii: "-") ? -1 : 1
            i += 1
            let oh = try digits(2); try expect(UInt8(ascii: ":"))
            let om = try digits(2)
            guard oh <= 23, om <= 59 else { throw .outOfRange }
            offset = sign * (oh * 3600 + om * 60)
        default:
            throw .malformed
        }
        guard i == b.count else { throw .malformed }
        // No leap seconds: the practice's clocks do not show 23:59:60.
        guard year >= 1, (1...12).contains(month), day >= 1, day <= daysIn(month: month, year: year),
              hour <= 23, minute <= 59, second <= 59 else { throw .outOfRange }
        let days = daysFromCivil(year: year, month: month, day: day)
        let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offset
        return Date(timeIntervalSince1970: Double(seconds) + fraction)
    }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Days since 1970-01-01 in the proleptic Gregorian calendar (H. Hinnant's algorithm).
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// "12:00 PM": a clock time in `zone` (an IANA name; UTC if unknown).
    static func clockTime(_ date: Date, zone: String) -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: zone) ?? TimeZone(secondsFromGMT: 0)
        f.dateFormat = "h:mm a"
        return f.string(from: date)
    }

    /// IANA zone names this system knows (`UTC` included, abbreviations like `EST` and
    /// `GMT+5` not).
    static func isIANAZone(_ name: String) -> Bool {
        guard TimeZone(identifier: name) != nil else { return false }
        return name == "UTC" || name == "GMT" || TimeZone.knownTimeZoneIdentifiers.contains(name)
    }
}
