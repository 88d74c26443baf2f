import Devices

/// The human form of `kioskd devices`: one section per device kind, the stable id first (it is
/// what the configuration takes), then what a technician needs to recognise the device.
enum DevicesTable {
    static func render(_ report: DevicesReport) -> String {
        var out: [String] = []
        let inv = report.inventory

        out.append(header("Cameras", inv.cameras.count))
        for cam in inv.cameras {
            out.append("  \(cam.id)  \(cam.path)  \"\(cam.name)\" (\(cam.driver))\(cam.builtIn ? "  built-in" : "")")
            let usable = cam.formats.filter(\.supported)
            for f in usable {
                let sizes = f.sizes.map { s in "\(s.width)x\(s.height)@\(s.fps.first.map(DisplayEntry.hertz) ?? "?")" }
                out.append("    \(f.fourcc.padding(4))  \(sizes.isEmpty ? "(no sizes)" : sizes.joined(separator: " "))")
            }
            let other = cam.formats.filter { !$0.supported }.map(\.fourcc)
            if usable.isEmpty { out.append("    no format kioskd can convert") }
            if !other.isEmpty {
                out.append("    + \(other.count) other format\(other.count == 1 ? "" : "s") kioskd does not convert: "
                           + other.prefix(12).joined(separator: " ") + (other.count > 12 ? " ..." : ""))
            }
        }

        for (title, list) in [("Microphones", inv.microphones), ("Speakers", inv.speakers)] {
            out.append(header(title, list.count))
            for d in list {
                out.append("  \(d.id)  \(d.device)  \"\(d.name)\"\(d.card.isEmpty ? "" : " on \(d.card)") [\(d.backend)]"
                           + (d.builtIn ? "  built-in" : ""))
            }
        }

        out.append(header("Touch panels", inv.touchPanels.count))
        for t in inv.touchPanels {
            out.append("  \(t.id)  \(t.path)  \"\(t.name)\"  \(t.multitouch ? "multitouch" : "single-touch")"
                       + "  x \(t.minX)...\(t.maxX)  y \(t.minY)...\(t.maxY)")
        }

        out.append(header("Displays", report.displays.count))
        var planesShown = Set<String>()
        for d in report.displays {
            var line = "  \(d.id)  \(d.card)  \(d.writeback ? "writeback" : d.status)"
            if let first = d.modes.first {
                line += "  \(first)" + (d.modes.count > 1 ? " (+\(d.modes.count - 1) modes)" : "")
            }
            if d.writeback, !d.writebackFormats.isEmpty { line += "  formats " + d.writebackFormats.joined(separator: " ") }
            out.append(line)
            if planesShown.insert(d.card).inserted, !d.planes.isEmpty {
                // Planes belong to the card: listed once, under its first connector.
                var byKind: [(String, [DisplayEntry.Plane])] = []
                for kind in ["primary", "overlay", "cursor"] {
                    let p = d.planes.filter { $0.type == kind }
                    if !p.isEmpty { byKind.append((kind, p)) }
                }
                for (kind, planes) in byKind {
                    let formats = Array(Set(planes.flatMap(\.formats))).sorted()
                    out.append("    \(planes.count) \(kind) plane\(planes.count == 1 ? "" : "s"): " + formats.joined(separator: " "))
                }
            }
        }
        for e in report.errors { out.append("  unreadable: \(e)") }
        return out.joined(separator: "\n")
    }

    private static func header(_ title: String, _ count: Int) -> String {
        "\(title) (\(count))" + (count == 0 ? "\n  none" : "")
    }
}

extension String {
    fileprivate func padding(_ width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }
}
