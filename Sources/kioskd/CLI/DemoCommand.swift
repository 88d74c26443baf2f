import ArgumentParser
import Foundation
import KioskCore
#if canImport(Glibc)
import Glibc
#endif

/// `kioskd demo`: runs `kioskd-demo`, installed beside this binary, with the same arguments.
/// The demo's harness (a practice-dev launcher, a browser driver) lives there, not in the
/// daemon that ships on every kiosk.
struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run a demonstration call with synthetic devices against a local practice endpoint.",
        discussion: """
            Runs kioskd-demo from kioskd's own folder with these arguments: \
            [--seconds N] [--out DIR] [--offerer clinician|kiosk] [--no-browser]. \
            `kioskd demo --help` shows them in full.
            """
    )

    @Argument(parsing: .captureForPassthrough, help: "kioskd-demo's options.")
    var arguments: [String] = []

    func run() throws {
        let binary = Self.demoBinary()
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            printError("kioskd demo: \(binary) is missing (swift build --product kioskd-demo)")
            throw KioskdExit.runtimeFailure
        }
        let argv: [UnsafeMutablePointer<CChar>?] = ([binary] + arguments).map { strdup($0) } + [nil]
        execv(binary, argv)
        // Only reached when exec failed.
        printError("kioskd demo: cannot run \(binary): \(String(cString: strerror(errno)))")
        throw KioskdExit.runtimeFailure
    }

    /// `kioskd-demo` in the folder of the running kioskd (found through /proc, so a kioskd
    /// started through $PATH or a symlink finds it too).
    static func demoBinary() -> String {
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return URL(fileURLWithPath: exe).resolvingSymlinksInPath().deletingLastPathComponent()
            .appendingPathComponent("kioskd-demo").path
    }
}
