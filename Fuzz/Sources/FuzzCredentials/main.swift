import Foundation
import PracticeKit

/// practice-dev's users and kiosks files and password-hash strings (operator-written input read
/// at start-up). Parsing must never trap; every error names the file, a line within the text and
/// a key; a hash string that parses must print back as the same string.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    // Counted as the parser counts them: "\r\n" is one Character, so it is a separator of its own.
    let lines = text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }).count
    for parse in [{ _ = try CredentialsFile.users(text, file: "users") }, { _ = try CredentialsFile.kiosks(text, file: "kiosks") }] {
        do {
            try parse()
        } catch let error as CredentialsFileError {
            precondition((0...lines).contains(error.line) && !error.key.isEmpty && !error.message.isEmpty)
        } catch {
            preconditionFailure("an untyped error: \(error)")
        }
    }
    if let hash = try? PasswordHash(parsing: text) {
        precondition(hash.description == text, "a parsed hash prints as itself")
    }
    return 0
}
