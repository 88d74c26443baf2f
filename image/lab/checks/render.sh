#!/bin/sh
# Render lab checks (issue 5), run inside the lab VM against vkms: writeback read-back of the
# composed picture, overlay plane vs software composition, 300 page flips, connector hotplug.
# Prints `CHECK <name> ok|fail <detail>` lines; exits non-zero if a check failed.
# The binary is the package's `render-labcheck` product, which lab.sh builds and shares in
# /mnt/share/bin (on the guest's PATH); its libdrm/libgbm/libyuv/libfreetype are in the
# initramfs. RENDER_LABCHECK=path overrides (e.g. when run by hand in `lab.sh shell`).
bin=${RENDER_LABCHECK:-$(command -v render-labcheck 2>/dev/null)}
if [ -z "$bin" ] || [ ! -x "$bin" ]; then
  echo "CHECK render_binary fail render-labcheck not in the lab share (swift build --product render-labcheck)"
  exit 1
fi
out=${LAB_OUT:-/mnt/out}
[ -d "$out" ] && [ -w "$out" ] && set -- --out "$out" "$@"
timeout 240 "$bin" "$@"
rc=$?
[ $rc -eq 127 ] && echo "CHECK render_binary fail $bin cannot start (missing shared libraries?)"
[ $rc -eq 124 ] || [ $rc -eq 143 ] && echo "CHECK render_timeout fail render-labcheck ran longer than 240 s"
exit $rc
