#!/bin/sh
# `kioskd devices` in the lab VM (issue 4): the real daemon binary lists vivid's cameras, the
# snd-aloop card, the uinput-less touch list and vkms' display. The JSON goes to
# $LAB_OUT/kioskd-devices.json and the host validates it against docs/devices.schema.json
# (host/monitor.py: kioskd_devices_schema). Here: both forms exit 0 and print something, and
# with no device nodes at all (an empty /dev in a private mount namespace) it still exits 0
# with valid, empty JSON ($LAB_OUT/kioskd-devices-nodev.json, checked on the host too).
out=${LAB_OUT:-/tmp}
bin=$(command -v kioskd 2>/dev/null)
if [ -z "$bin" ]; then
  echo "CHECK kioskd_devices fail kioskd not in the lab share"
  exit 1
fi
t0=$(cut -d' ' -f1 /proc/uptime)
timeout 60 "$bin" devices --json > "$out/kioskd-devices.json" 2> /tmp/kd-json.err; json_rc=$?
t1=$(cut -d' ' -f1 /proc/uptime)
timeout 60 "$bin" devices > /tmp/kd-table.txt 2>&1; table_rc=$?
sed 's/^/| /' /tmp/kd-table.txt
[ -s /tmp/kd-json.err ] && sed 's/^/json stderr: /' /tmp/kd-json.err
bytes=$(wc -c < "$out/kioskd-devices.json")
lines=$(wc -l < /tmp/kd-table.txt)
secs=$(awk "BEGIN{print $t1-$t0}")
if [ $json_rc = 0 ] && [ $table_rc = 0 ] && [ "$bytes" -gt 100 ] && grep -q vivid /tmp/kd-table.txt \
   && grep -q Loopback /tmp/kd-table.txt && grep -q Virtual-1 /tmp/kd-table.txt; then
  echo "CHECK kioskd_devices ok json_rc=$json_rc json_bytes=$bytes json_seconds=$secs table_rc=$table_rc table_lines=$lines"
else
  echo "CHECK kioskd_devices fail json_rc=$json_rc json_bytes=$bytes table_rc=$table_rc table_lines=$lines (table must name vivid, Loopback and Virtual-1)"
fi

# No devices: an empty /dev (and no /dev/dri, /dev/snd, /dev/input) in a private mount namespace.
unshare -m sh -c 'mount -t tmpfs nodev /dev && exec timeout 60 "$0" devices --json' "$bin" \
  > "$out/kioskd-devices-nodev.json" 2> /tmp/kd-nodev.err; nodev_rc=$?
if [ $nodev_rc = 0 ] && grep -q '"cameras"' "$out/kioskd-devices-nodev.json"; then
  echo "CHECK kioskd_devices_nodev ok exit_status=0 json_bytes=$(wc -c < "$out/kioskd-devices-nodev.json")"
else
  echo "CHECK kioskd_devices_nodev fail exit_status=$nodev_rc $(head -c 300 /tmp/kd-nodev.err)"
fi
