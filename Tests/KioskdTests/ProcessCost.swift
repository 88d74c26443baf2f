import Foundation

/// What processes cost, read from /proc as `top` and `smem` do: CPU time (user + system) and
/// PSS (proportional set size: shared pages split between their users). For `make bench`'s
/// side-by-side of kioskd and the Chromium clinician of the same call.
struct ProcessCost: Sendable {
    var cpuSeconds = 0.0
    var pssKiB = 0
    var processes = 0

    var pssMB: Double { Double(pssKiB) / 1024 }

    static func of(_ pids: [Int32]) -> ProcessCost {
        var c = ProcessCost()
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        for pid in pids {
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { continue }
            // After the command's ")": state is field 3, utime 14 and stime 15.
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else { continue }
            c.cpuSeconds += (user + system) / ticks
            c.processes += 1
            let rollup = (try? String(contentsOfFile: "/proc/\(pid)/smaps_rollup", encoding: .utf8)) ?? ""
            for line in rollup.split(separator: "\n") where line.hasPrefix("Pss:") {
                c.pssKiB += Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0
            }
        }
        return c
    }

    /// Every process whose command line contains `text` (e.g. a browser's profile folder),
    /// and all their descendants (a browser's renderers, forked by its zygote).
    static func pids(commandLineContaining text: String) -> [Int32] {
        let all = ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap(Int32.init)
        var parent: [Int32: Int32] = [:]
        var chosen = Set<Int32>()
        for pid in all {
            if let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline"),
               String(decoding: data.map { $0 == 0 ? 0x20 : $0 }, as: UTF8.self).contains(text) { chosen.insert(pid) }
            if let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8), let close = stat.lastIndex(of: ")") {
                let fields = stat[stat.index(after: close)...].split(separator: " ")
                if fields.count > 1, let ppid = Int32(fields[1]) { parent[pid] = ppid }
            }
        }
        var grew = true
        while grew {
            grew = false
            for (pid, ppid) in parent where !chosen.contains(pid) && chosen.contains(ppid) {
                chosen.insert(pid)
                grew = true
            }
        }
        return chosen.sorted()
    }

    /// The change from `before` to `self` over `seconds`, as CPU-s per 20 s; PSS is this sample's.
    func cpuPer20Seconds(since before: ProcessCost, over seconds: Double) -> Double {
        (cpuSeconds - before.cpuSeconds) * 20 / seconds
    }
}
