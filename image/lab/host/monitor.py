#!/usr/bin/env python3
"""Host side of a lab run. Reads the guest serial console on stdin, time-stamps it into --log
and echoes it, collects the guest's check lines, then at EOF adds the host-side checks (the
inventories the guest wrote, validated against docs/devices.schema.json; the benchmark line),
prints "LAB-RESULT {json}", writes --result and exits 0 only if every check passed and the
guest's summary was seen.

Guest lines:
  CHECK <name> ok|fail <detail>   one result; numbers written key=value in the detail are
                                  collected into the check's "figures"
  CHECK <name> retry <detail>     a failed attempt that the check is allowed to repeat once;
                                  kept under the final result's "attempts"
  LAB-SUMMARY {json}              the guest finished (printed just before it powers off)
"""
import argparse
import json
import os
import re
import sys
import time

T0 = time.monotonic()
NUMBER = re.compile(r"^-?\d+(\.\d+)?")
KEY = re.compile(r"^[A-Za-z][\w.:]*$")
COUNTER = re.compile(r"^([A-Za-z_]+\+)(\d+)$")

# The figures LAB-RESULT summarises at the top level: (summary key, check, figure key).
SUMMARY = [
    ("camera_frames_5s", "camera_capture", "frames"),
    ("camera_delivered_fps", "camera_capture", "delivered_fps"),
    ("camera_dropped_by_driver", "camera_capture", "dropped"),
    ("camera_loop_busy_pct", "camera_capture", "loop_busy_pct"),
    ("camera_cpu_ms_per_frame", "camera_capture", "cpu_ms_per_frame"),
    ("audio_freq_hz", "audio_loopback", "freq_hz"),
    ("audio_rms_dbfs", "audio_loopback", "rms_dbfs"),
    ("audio_peak_dbfs", "audio_loopback", "peak_dbfs"),
    ("hotplug_resume_ms", "hotplug", "resumed_after_ms"),
    ("render_flips", "render_flips", "flips"),
    ("render_ebusy", "render_flips", "ebusy"),
    ("render_mean_flip_interval_ms", "render_flips", "mean_flip_interval_ms"),
    ("render_max_flip_interval_ms", "render_flips", "max_ms"),
    ("render_mode_refresh_hz", "render_flips", "mode_refresh_hz"),
    ("render_wall_fps", "render_flips", "wall_fps"),
    ("render_hotplug_modesets", "render_hotplug", "modesets+"),
    ("render_hotplug_uevent_off", "render_hotplug", "off:event"),
    ("render_hotplug_uevent_on", "render_hotplug", "on:event"),
    ("render_writeback_pixels_differing", "render_writeback_overlay", "pixels_differing_from_software"),
    ("touch_tap", "touch_tap", "tap"),
]


def figures_of(detail):
    """key=value pairs of a detail. Numbers, also with a unit ("142/5s", "78.7%"), become
    numbers; anything else ("256,575", "4095x4095", "kernel") stays a string. A token like
    "a=1,b=2" holds two pairs; "modesets+1" counts as modesets+ = 1."""
    out = {}
    for token in detail.split():
        token = token.strip("()[]")
        parts, cur = [], ""
        for piece in token.split(","):
            if "=" in piece and cur:
                parts.append(cur)
                cur = piece
            else:
                cur = piece if not cur else cur + "," + piece
        parts.append(cur)
        for part in parts:
            if "=" in part:
                k, v = part.split("=", 1)
                if not KEY.match(k):
                    continue
                m = NUMBER.match(v)
                if m and (m.end() == len(v) or v[m.end():] in ("%", "s", "ms") or v[m.end()] == "/"):
                    n = m.group(0)
                    out.setdefault(k, float(n) if "." in n else int(n))
                else:
                    out.setdefault(k, v)
            else:
                m = COUNTER.match(part)
                if m:
                    out.setdefault(m.group(1), int(m.group(2)))
    return out


def subset_validate(value, schema, root, path="$"):
    """Fallback when python3-jsonschema is missing: the subset docs/devices.schema.json uses
    (type, required, properties, additionalProperties, items, enum, minimum, $ref)."""
    if "$ref" in schema:
        ref = schema["$ref"]
        return subset_validate(value, root["$defs"][ref[len("#/$defs/"):]], root, path)
    errors = []
    types = schema.get("type")
    if types:
        types = types if isinstance(types, list) else [types]
        pytypes = {"object": dict, "array": list, "string": str, "boolean": bool, "null": type(None),
                   "integer": int, "number": (int, float)}
        if not any(isinstance(value, pytypes[t]) and not (t in ("integer", "number") and isinstance(value, bool))
                   for t in types):
            return ["%s: expected %s, got %s" % (path, "|".join(types), type(value).__name__)]
    if "enum" in schema and value not in schema["enum"]:
        errors.append("%s: %r not in %r" % (path, value, schema["enum"]))
    if "minimum" in schema and isinstance(value, (int, float)) and value < schema["minimum"]:
        errors.append("%s: %r < minimum %r" % (path, value, schema["minimum"]))
    if isinstance(value, dict):
        errors += ["%s: missing %s" % (path, k) for k in schema.get("required", []) if k not in value]
        props = schema.get("properties", {})
        for k, v in value.items():
            if k in props:
                errors += subset_validate(v, props[k], root, path + "." + k)
            elif schema.get("additionalProperties") is False:
                errors.append("%s: unexpected property %s" % (path, k))
    if isinstance(value, list) and "items" in schema:
        for i, v in enumerate(value):
            errors += subset_validate(v, schema["items"], root, "%s[%d]" % (path, i))
    return errors


def validate(doc, schema):
    """(errors, validator name)."""
    try:
        import jsonschema
    except ImportError:
        return subset_validate(doc, schema, schema), "subset"
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    errors = ["$%s: %s" % ("".join("[%r]" % p for p in e.absolute_path), e.message)
              for e in sorted(cls(schema).iter_errors(doc), key=lambda e: list(e.absolute_path))]
    return errors, "jsonschema " + cls.__name__


def check_inventory(path, schema, require_displays):
    """Schema validity plus what issue 4 asks `kioskd devices --json` to show in the lab."""
    if not os.path.exists(path):
        return {"status": "fail", "detail": "%s missing" % os.path.basename(path)}
    try:
        doc = json.load(open(path))
    except ValueError as e:
        return {"status": "fail", "detail": "%s is not JSON: %s" % (os.path.basename(path), e)}
    errors, how = validate(doc, schema)
    cams = [c for c in doc.get("cameras", []) if c.get("driver") == "vivid"]
    fourccs = sorted({f.get("fourcc") for c in cams for f in c.get("formats", [])})
    sized = [f for c in cams for f in c.get("formats", []) if f.get("sizes")]
    mics = [m["id"] for m in doc.get("microphones", []) if "Loopback" in m.get("card", "")]
    spks = [s["id"] for s in doc.get("speakers", []) if "Loopback" in s.get("card", "")]
    disp = [d for d in doc.get("displays", []) if d.get("connected")]
    if not cams or "YUYV" not in fourccs or not sized:
        errors.append("no vivid camera with YUYV and frame sizes")
    if not mics or not spks:
        errors.append("no Loopback capture and playback devices")
    if require_displays and not any(d.get("modes") for d in disp):
        errors.append("no connected display with modes")
    detail = "%s via %s: vivid_cameras=%d formats=%d mics=%s speakers=%s displays=%s" % (
        os.path.basename(path), how, len(cams), len(fourccs), mics, spks,
        ["%s:%s(%d modes)" % (d.get("card", "?").split("/")[-1], d.get("connector"), len(d.get("modes", [])))
         for d in doc.get("displays", [])])
    if errors:
        detail += " ERRORS: " + "; ".join(errors[:6])
    return {"status": "ok" if not errors else "fail", "detail": detail}


def check_empty(path, schema):
    """`kioskd devices --json` with no device nodes: valid and empty."""
    if not os.path.exists(path):
        return {"status": "fail", "detail": "%s missing" % os.path.basename(path)}
    try:
        doc = json.load(open(path))
    except ValueError as e:
        return {"status": "fail", "detail": "not JSON: %s" % e}
    errors, how = validate(doc, schema)
    lists = {k: len(v) for k, v in doc.items() if isinstance(v, list)}
    if any(lists.values()):
        errors.append("expected no devices, got %s" % lists)
    return {"status": "ok" if not errors else "fail",
            "detail": "%s via %s: %s" % (os.path.basename(path), how, "; ".join(errors[:4]) or "valid, %s" % lists)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--log", required=True)
    ap.add_argument("--result")
    ap.add_argument("--label", default="tcg")
    ap.add_argument("--out", help="the run's output folder (the guest's /mnt/out)")
    ap.add_argument("--schema", help="docs/devices.schema.json")
    ap.add_argument("--bench", help="file holding the host benchmark's BENCH line")
    ap.add_argument("--expect", default="", help="comma-separated checks that must have reported")
    ap.add_argument("--meta", default="{}", help="JSON merged into the result (build facts)")
    ap.add_argument("--quiet", action="store_true")
    a = ap.parse_args()

    checks, attempts, summary, marks, order = {}, {}, None, {}, []
    with open(a.log, "w", encoding="utf-8", errors="replace") as log:
        for raw in sys.stdin.buffer:
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            t = time.monotonic() - T0
            log.write("[%8.3f] %s\n" % (t, line))
            log.flush()
            if not a.quiet:
                print("[%7.3f] %s" % (t, line), flush=True)
            if "LAB: init started" in line:
                marks.setdefault("guest_init_s", round(t, 3))
            elif "LAB: ready at" in line:
                marks.setdefault("guest_ready_s", round(t, 3))
            if line.startswith("CHECK "):
                parts = line.split(" ", 3)
                if len(parts) < 3:
                    continue
                name, status, detail = parts[1], parts[2], parts[3] if len(parts) > 3 else ""
                entry = {"status": status, "detail": detail, "figures": figures_of(detail), "at_s": round(t, 3)}
                if status == "retry":
                    attempts.setdefault(name, []).append(dict(entry, status="fail"))
                    continue
                if name in attempts:
                    entry["attempts"] = attempts.pop(name) + [dict(entry)]
                if name in checks:  # a name reported twice keeps both
                    name = "%s_%d" % (name, len(checks))
                checks[name] = entry
                order.append(name)
            elif line.startswith("LAB-SUMMARY "):
                marks["guest_summary_s"] = round(t, 3)
                try:
                    summary = json.loads(line[len("LAB-SUMMARY "):])
                except ValueError:
                    summary = {"parse_error": line}
    marks["host_exit_s"] = round(time.monotonic() - T0, 3)
    for name, tries in attempts.items():  # a retry never followed by a result
        checks[name] = dict(tries[-1], attempts=tries)

    host = {}
    expected = set(filter(None, a.expect.split(",")))
    if a.schema and a.out:
        schema = json.load(open(a.schema))
        def wanted(check, name):  # validated when the run was meant to produce it, or did
            return check in expected or os.path.exists(os.path.join(a.out, name))
        if wanted("inventory", "inventory.json"):
            host["inventory_schema"] = check_inventory(os.path.join(a.out, "inventory.json"), schema, False)
        if wanted("kioskd_devices", "kioskd-devices.json"):
            host["kioskd_devices_schema"] = check_inventory(os.path.join(a.out, "kioskd-devices.json"), schema, True)
        if wanted("kioskd_devices_nodev", "kioskd-devices-nodev.json"):
            host["kioskd_devices_nodev_schema"] = check_empty(os.path.join(a.out, "kioskd-devices-nodev.json"), schema)
    for name in sorted(expected):
        if not any(k == name or k.startswith(name + "_") for k in checks):
            host["reported_" + name] = {"status": "fail", "detail": "the guest never reported %s" % name}
    if a.bench and os.path.exists(a.bench):
        bench = [l.strip() for l in open(a.bench) if l.startswith("BENCH ")]
        host["benchmark"] = ({"status": "ok", "detail": bench[0][len("BENCH "):], "figures": figures_of(bench[0])}
                             if bench else {"status": "fail", "detail": "no BENCH line"})

    failed = sorted(k for k, c in list(checks.items()) + list(host.items()) if c["status"] != "ok")
    if summary is None:
        failed.append("guest_summary_missing")
    figures = {}
    for key, check, fig in SUMMARY:
        c = checks.get(check)
        if c and fig in c["figures"]:
            figures[key] = c["figures"][fig]
    if "camera_capture" in checks:
        figures["camera_attempts"] = len(checks["camera_capture"].get("attempts", [])) or 1
        figures["camera_frames_per_attempt"] = [t["figures"].get("frames") for t in
                                                checks["camera_capture"].get("attempts", [checks["camera_capture"]])]
    res = {"label": a.label, "checks": checks, "host_checks": host, "guest": summary, "timing": marks,
           "figures": figures, "failures": len(failed), "failed": failed, "summary_seen": summary is not None}
    res.update(json.loads(a.meta))
    print("LAB-RESULT " + json.dumps(res, sort_keys=True), flush=True)
    if a.result:
        with open(a.result, "w") as f:
            f.write(json.dumps(res, indent=2, sort_keys=True) + "\n")
    sys.exit(0 if not failed else 1)


if __name__ == "__main__":
    main()
