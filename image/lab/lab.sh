#!/usr/bin/env bash
# lab.sh - kioskd's device lab: boots a Debian kernel with real virtual drivers (vivid camera,
# snd-aloop sound card, vkms display, uinput touch) in a throwaway QEMU VM, runs the
# host-built Devices checks (devices-labcheck) and every executable image/lab/checks/*.sh
# inside it, prints one line "LAB-RESULT {json}" and exits non-zero if anything failed.
# Everything downloaded or built is cached outside the clone (LAB_CACHE); nothing is
# installed on the host except the tools of the deps step. Needs root. docs/lab.md explains
# what each check proves; `make lab` runs it, and `make test` (CI) runs it after swift test.
#
# Usage: image/lab/lab.sh [STEP...]        (default: deps fetch build run)
#   deps    apt-get install qemu-system-x86 busybox-static kmod cpio zstd gcc make python3
#           python3-jsonschema ... plus scripts/deps.sh build (the C libraries the binaries link)
#   fetch   apt-get download the kernel image + headers + kbuild + linux-source (for vkms,
#           which Debian does not build); bookworm-backports via a private apt config when
#           reachable, else the host's bookworm. A cached kernel is reused (no network) unless
#           LAB_REFRESH=1 or it is older than LAB_REFRESH_DAYS (30)
#   build   extract, build vkms.ko out of tree (patched: host/patch_vkms.py), swift build the
#           lab products (debug), assemble the initramfs and the 9p share (binaries, checks/)
#   run     boot (KVM only with real vmx/svm, else TCG), run the checks, LAB-RESULT, exit code
#   shell   boot with an interactive shell on the serial console (Ctrl-A x quits)
#   clean   remove builds and runs (keeps downloads)
#
# Settings (environment):
#   LAB_CACHE=/var/cache/kioskd-lab    downloads, builds and runs (results: runs/<stamp>/)
#   LAB_PRODUCTS="devices-labcheck render-labcheck kioskd practice-dev"   SwiftPM products built (debug) and
#                                      shared in /mnt/share/bin (on the guest's PATH)
#   LAB_SCRATCH=path                   swift build --scratch-path (default: the package's .build,
#                                      so after `swift build --build-tests` nothing is rebuilt)
#   LAB_LABCHECK_BIN=path              use this devices-labcheck instead of building it
#   LAB_BINS="a b"                     more host binaries to share (in /mnt/share/bin)
#   LAB_ONLY="devices-labcheck render kioskd-devices"   run only these guest check programs
#   LAB_DEVICES_ONLY=camera_capture,hotplug   devices-labcheck runs only these (for iterating)
#   LAB_SUITE=auto|backports|bookworm  kernel suite    LAB_ACCEL=auto|kvm|tcg
#   LAB_TIMEOUT=secs (480)  LAB_SMP=2  LAB_MEM=1024  LAB_APPEND='kernel args'  LAB_KEEP_RUNS=20
#   LAB_BUILD_TIMEOUT=secs (1800)      bound on the swift build of the lab products
#   LAB_VIVID_PARAMS, LAB_ALOOP_PARAMS, LAB_VKMS_PARAMS   module parameters
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
CACHE=${LAB_CACHE:-/var/cache/kioskd-lab}
BUILD=$CACHE/build
ARCH=amd64
export DEBIAN_FRONTEND=noninteractive

say() { printf '[lab] %s\n' "$*" >&2; }
die() { say "ERROR: $*"; exit 1; }
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN{printf "%.1f", b-a}'; }
TIMES=()
timed() { # runs a step in a subshell with errexit really on (a function called from && / ||
  # would silently run with errexit off), keeps its exit status
  local name=$1 t0 r; shift; t0=$(now)
  set +e; ( set -e; "$@" ); r=$?; set -e
  TIMES+=("$name=$(elapsed "$t0")s"); say "step $name took $(elapsed "$t0")s (rc=$r)"; return $r
}

# ------------------------------------------------------------------ deps --
step_deps() {
  local pkgs=(qemu-system-x86 busybox-static kmod cpio xz-utils zstd gcc libc6-dev make binutils python3
              libelf1 debian-archive-keyring ca-certificates)
  local missing=() p
  for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  # schema validation of `kioskd devices --json` (any jsonschema will do, e.g. one from pip)
  python3 -c 'import jsonschema' 2>/dev/null || missing+=(python3-jsonschema)
  if [[ ${#missing[@]} -gt 0 ]]; then
    say "apt-get install ${missing[*]}"
    timeout 300 apt-get update -q >/dev/null
    timeout 900 apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
  fi
  # the C libraries devices-labcheck links (the project's own dependency list)
  [[ -x $REPO/scripts/deps.sh ]] && "$REPO/scripts/deps.sh" build
  say "host tools: $(qemu-system-x86_64 --version | head -1)"
}

# ----------------------------------------------------------------- fetch --
BPO_OPTS=(-o "Dir::Etc::SourceList=$CACHE/apt/sources.list" -o Dir::Etc::SourceParts=/dev/null
          -o "Dir::State::Lists=$CACHE/apt/lists" -o "Dir::Cache=$CACHE/apt" -o APT::Sandbox::User=root)
HOST_OPTS=(-o APT::Sandbox::User=root)

mirror_url() { # the host's first non-security Debian mirror
  local u
  u=$( { grep -hE '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '{print $2}'
         grep -hE '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null \
           | sed -E 's/\[[^]]*\]//' | awk '{print $2}'; } | grep -v security | grep -m1 'debian' || true)
  echo "${LAB_MIRROR:-${u:-http://deb.debian.org/debian}}"
}

choose_suite() { # sets KOPTS and SUITE
  SUITE=${LAB_SUITE:-auto}
  if [[ $SUITE != bookworm ]]; then
    mkdir -p "$CACHE/apt/lists/partial" "$CACHE/apt/archives/partial"
    echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $(mirror_url) bookworm-backports main" \
      > "$CACHE/apt/sources.list"
    if timeout 120 apt-get "${BPO_OPTS[@]}" update -q >/dev/null 2>&1 \
       && apt-cache "${BPO_OPTS[@]}" show linux-image-amd64 >/dev/null 2>&1; then
      SUITE=backports; KOPTS=("${BPO_OPTS[@]}"); return
    fi
    [[ $SUITE == backports ]] && die "bookworm-backports not reachable"
    say "bookworm-backports not reachable, using the host's bookworm sources"
  fi
  SUITE=bookworm; KOPTS=("${HOST_OPTS[@]}")
}

cached_kernel_ok() { # the kernel resolved earlier, all its .debs present, not too old
  [[ ${LAB_REFRESH:-0} != 1 && -f $CACHE/kernel.env ]] || return 1
  [[ -n $(find "$CACHE/kernel.env" -mtime -"${LAB_REFRESH_DAYS:-30}" 2>/dev/null) ]] || return 1
  [[ -z ${LAB_SUITE:-} || ${LAB_SUITE} == auto || $(grep -c "^SUITE=${LAB_SUITE}$" "$CACHE/kernel.env") == 1 ]] || return 1
  local p
  # shellcheck disable=SC1091
  for p in $(source "$CACHE/kernel.env"; echo "$KPKG $HPKG $HCOMMON $KBUILD $SRCPKG"); do
    compgen -G "$CACHE/debs/${p}_*.deb" >/dev/null || return 1
  done
}

step_fetch() {
  if cached_kernel_ok; then say "cached kernel: $(grep ^KV= "$CACHE/kernel.env") (LAB_REFRESH=1 to re-resolve)"; return; fi
  choose_suite
  local kpkg kv hpkg hcommon kbuild srcpkg
  kpkg=$(apt-cache "${KOPTS[@]}" depends linux-image-$ARCH | awk '/Depends: linux-image-/{print $2; exit}')
  [[ -n $kpkg ]] || die "cannot resolve linux-image-$ARCH"
  kv=${kpkg#linux-image-}; hpkg=linux-headers-$kv
  hcommon=$(apt-cache "${KOPTS[@]}" depends "$hpkg" | awk '/Depends: linux-headers-.*-common/{print $2; exit}')
  kbuild=$(apt-cache "${KOPTS[@]}" depends "$hpkg" | awk '/Depends: linux-kbuild-/{print $2; exit}')
  srcpkg=linux-source-$(echo "$kv" | cut -d. -f1,2)
  say "suite=$SUITE kernel=$kv"
  mkdir -p "$CACHE/debs"
  local want=() p
  for p in "$kpkg" "$hpkg" "$hcommon" "$kbuild" "$srcpkg"; do
    compgen -G "$CACHE/debs/${p}_*.deb" >/dev/null || want+=("$p")
  done
  [[ ${#want[@]} -eq 0 ]] || (cd "$CACHE/debs" && timeout 900 apt-get "${KOPTS[@]}" download "${want[@]}" >/dev/null)
  printf '%s\n' "KPKG=$kpkg" "KV=$kv" "HPKG=$hpkg" "HCOMMON=$hcommon" "KBUILD=$kbuild" "SRCPKG=$srcpkg" "SUITE=$SUITE" \
    > "$CACHE/kernel.env"
}

# ----------------------------------------------------------------- build --
# $SWIFT may be a bare name (the Makefile passes SWIFT=swift): resolve it before deriving the
# toolchain's runtime folder, which the guest mounts at the same path (the binaries' RUNPATH)
SWIFT=$(command -v "${SWIFT:-swift}" || command -v /opt/swift/usr/bin/swift || echo swift)
SWIFT_RT=$(dirname "$(dirname "$(readlink -f "$SWIFT")")")/lib/swift/linux

copy_libs() { # copy_libs ROOT BIN - the ldd-resolved libraries (not the Swift runtime: 9p) + loader
  local root=$1 bin=$2 a b c _
  mkdir -p "$root/lib/x86_64-linux-gnu" "$root/lib64"
  while read -r a b c _; do
    if [[ $b == "=>" && -f $c ]]; then
      case $c in "$SWIFT_RT"/*) ;; *) cp -Ln "$c" "$root/lib/x86_64-linux-gnu/" ;; esac
    elif [[ $a == /lib64/ld-linux* ]]; then cp -Ln "$a" "$root/lib64/"
    elif [[ $b == "=>" && $c == "not" ]]; then die "$bin: $a not found"; fi
  done < <(ldd "$bin")
}

build_products() { # -> $BUILD/share/bin/: devices-labcheck, render-labcheck, kioskd
  local bin=${LAB_LABCHECK_BIN:-} p bindir t0
  local args=(--package-path "$REPO" ${LAB_SCRATCH:+--scratch-path "$LAB_SCRATCH"})
  bindir=$("$SWIFT" build "${args[@]}" --show-bin-path)
  for p in ${LAB_PRODUCTS:-devices-labcheck render-labcheck kioskd practice-dev}; do
    [[ $p == devices-labcheck && -n $bin ]] && continue
    grep -q "\"$p\"" "$REPO/Package.swift" || die "Package.swift declares no product $p"
    say "swift build --product $p (debug)"; t0=$(now)
    timeout "${LAB_BUILD_TIMEOUT:-1800}" "$SWIFT" build "${args[@]}" --product "$p" >&2 \
      || die "swift build --product $p failed"
    say "built $p in $(elapsed "$t0")s"
    install -m 755 "$bindir/$p" "$BUILD/share/bin/$p"
  done
  [[ -n $bin ]] && install -m 755 "$bin" "$BUILD/share/bin/devices-labcheck"
  [[ -x $BUILD/share/bin/devices-labcheck ]] || die "no devices-labcheck (add the product, or set LAB_LABCHECK_BIN)"
}

step_build() {
  [[ -f $CACHE/kernel.env ]] || die "run fetch first"
  [[ -d $SWIFT_RT ]] || die "no Swift runtime at $SWIFT_RT (SWIFT=$SWIFT)"
  # shellcheck disable=SC1091
  source "$CACHE/kernel.env"
  # the vkms build is keyed by the patch script: a changed patch rebuilds the module
  local K=$CACHE/kernel/$KV KB=$CACHE/kbuild/$KV VK M
  VK=$BUILD/vkms-$KV-$(sha256sum "$HERE/host/patch_vkms.py" | cut -c1-12)
  if [[ -z ${SUITE:-} ]]; then  # kernel.env written before SUITE was recorded
    SUITE=bookworm; compgen -G "$CACHE/debs/${KPKG}_*bpo*.deb" >/dev/null && SUITE=backports
  fi
  mkdir -p "$BUILD"; echo "$KV ($SUITE)" > "$BUILD/kernel.release"
  if [[ ! -d $K/lib/modules/$KV ]]; then rm -rf "$K"; mkdir -p "$K"; dpkg -x "$CACHE"/debs/"${KPKG}"_*.deb "$K"; fi
  if ! cmp -s "$K/boot/vmlinuz-$KV" "$BUILD/vmlinuz"; then
    cp "$K/boot/vmlinuz-$KV" "$BUILD/vmlinuz"
    rm -f "$BUILD/vmlinux"   # the uncompressed ELF boots through PVH: no in-guest decompression
    python3 "$HERE/host/extract_vmlinux.py" "$BUILD/vmlinuz" "$BUILD/vmlinux" || say "no vmlinux extracted; booting the bzImage"
  fi
  # vkms: Debian builds CONFIG_DRM_VKMS=n, so build it against the matching headers
  if [[ ! -f $VK/vkms.ko ]]; then
    if [[ ! -f $KB/usr/src/$HPKG/Makefile ]]; then
      rm -rf "$KB"; mkdir -p "$KB"
      for p in "$HPKG" "$HCOMMON" "$KBUILD"; do dpkg -x "$CACHE"/debs/"${p}"_*.deb "$KB"; done
      sed -i "s#^include /usr/src/#include $KB/usr/src/#" "$KB/usr/src/$HPKG/Makefile"
    fi
    local srcdeb S
    srcdeb=$(ls "$CACHE"/debs/"${SRCPKG}"_*.deb | head -1); S=$CACHE/src/$(basename "$srcdeb" .deb)
    if [[ ! -d $S/$SRCPKG/drivers/gpu/drm/vkms ]]; then
      rm -rf "$S"; mkdir -p "$S"
      dpkg --fsys-tarfile "$srcdeb" | tar -xO "./usr/src/$SRCPKG.tar.xz" \
        | tar -xJ -C "$S" --wildcards "$SRCPKG/drivers/gpu/drm/vkms/*"
    fi
    rm -rf "$BUILD"/vkms-"$KV"*; cp -r "$S/$SRCPKG/drivers/gpu/drm/vkms" "$VK"; rm -rf "$VK/tests"
    python3 "$HERE/host/patch_vkms.py" "$VK" clones refcount hotplug > "$VK/patch.log" \
      || { cat "$VK/patch.log" >&2; rm -rf "$VK"; die "vkms patches did not apply"; }
    while read -r l; do say "vkms patch $l"; done < "$VK/patch.log"
    timeout 900 make -C "$KB/usr/src/$HPKG" M="$VK" CONFIG_DRM_VKMS=m CONFIG_DEBUG_INFO_BTF_MODULES= \
      -j"$(nproc)" modules > "$VK/build.log" 2>&1 || { tail -30 "$VK/build.log"; die "vkms build failed"; }
    strip --strip-debug "$VK/vkms.ko"
  fi
  mkdir -p "$K/lib/modules/$KV/extra"
  if ! cmp -s "$VK/vkms.ko" "$K/lib/modules/$KV/extra/vkms.ko" || [[ ! -f $K/lib/modules/$KV/modules.dep ]]; then
    cp "$VK/vkms.ko" "$K/lib/modules/$KV/extra/"; depmod -b "$K" "$KV"
  fi
  # initramfs: busybox, modules in dependency order, init
  local R=$BUILD/root; rm -rf "$R"
  mkdir -p "$R"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,tmp,run,mnt,root,etc,lib/modules}
  cp /bin/busybox "$R/bin/busybox"
  busybox --list-full | while read -r a; do [[ -e $R/$a ]] || ln -s /bin/busybox "$R/$a"; done
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' > "$R/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' > "$R/etc/group"
  local -A PARAMS=(
    [vkms]=${LAB_VKMS_PARAMS-enable_overlay=1 enable_writeback=1 enable_cursor=1}
    [vivid]=${LAB_VIVID_PARAMS-n_devs=2 node_types=0x1,0x1}
    [snd-aloop]=${LAB_ALOOP_PARAMS-index=0 pcm_substreams=2}
  )
  local list="$R/lib/modules/load.list"
  echo "# module parameters (generated by lab.sh from modules.dep)" > "$list"
  for M in vkms vivid snd-aloop uinput evdev virtio_pci 9pnet_virtio 9p; do
    modprobe -d "$K" -S "$KV" --show-depends "$M" | while read -r kind path _; do
      [[ $kind == insmod ]] || continue     # "builtin" needs nothing
      local rel=${path#"$K/lib/modules/$KV/"} name out key
      out=${rel%.xz}; out=${out%.zst}
      [[ -f $R/lib/modules/$out ]] && continue
      mkdir -p "$(dirname "$R/lib/modules/$out")"
      case $path in *.xz) xz -dc "$path" ;; *.zst) zstd -qdc "$path" ;; *) cat "$path" ;; esac > "$R/lib/modules/$out"
      name=$(basename "$out" .ko); name=${name//_/-}; key=$name; [[ $key == snd-aloop ]] || key=${key//-/_}
      echo "$out ${PARAMS[$key]:-}" >> "$list"
    done
  done
  # the share: devices-labcheck + extra binaries + checks; their libraries go into the initramfs
  rm -rf "$BUILD/share"; mkdir -p "$BUILD/share/bin" "$BUILD/share/checks"
  build_products
  local b
  for b in ${LAB_BINS:-}; do install -m 755 "$b" "$BUILD/share/bin/"; done
  for b in "$HERE"/checks/*.sh; do [[ -e $b ]] && install -m 755 "$b" "$BUILD/share/checks/"; done
  for b in "$BUILD"/share/bin/*; do copy_libs "$R" "$b"; done
  # libasound reads its configuration (alsa.conf, pcm definitions) from /usr/share/alsa
  mkdir -p "$R/usr/share/alsa"; cp -r /usr/share/alsa/. "$R/usr/share/alsa/"
  # kioskd draws its screens' text with DejaVu Sans (fonts-dejavu-core)
  mkdir -p "$R/usr/share/fonts/truetype/dejavu"
  cp /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf /usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf "$R/usr/share/fonts/truetype/dejavu/"
  install -m 755 "$HERE/guest/init" "$R/init"
  (cd "$R" && find . | LC_ALL=C sort | cpio -o -H newc --quiet) | zstd -q -T0 -10 -f -o "$BUILD/initramfs.cpio.zst"
  say "initramfs $(du -h "$BUILD/initramfs.cpio.zst" | cut -f1), modules $(grep -vc '^#' "$list"), share: $(ls "$BUILD/share/bin" "$BUILD/share/checks" | tr '\n' ' ')"
}

# ------------------------------------------------------------------- run --
# KVM only with real hardware virtualisation: some sandboxes offer a /dev/kvm (kvm-pvm) that
# runs only patched guest kernels; a stock kernel then crawls and dies (notes in README).
kvm_usable() {
  [[ -c /dev/kvm ]] && python3 -c 'import os; os.close(os.open("/dev/kvm", os.O_RDWR))' 2>/dev/null \
    && grep -qwE 'vmx|svm' /proc/cpuinfo && [[ ! -d /sys/module/kvm_pvm ]]
}

qemu_cmd() { # qemu_cmd MODE OUTDIR -> QEMU array, ACCEL
  local mode=$1 out=$2 accel=${LAB_ACCEL:-auto}
  [[ $accel == auto ]] && { kvm_usable && accel=kvm || accel=tcg; }
  ACCEL=$accel
  local kernel=$BUILD/vmlinuz; [[ -f $BUILD/vmlinux ]] && kernel=$BUILD/vmlinux
  QEMU=(qemu-system-x86_64 -machine pc -smp "${LAB_SMP:-2}" -m "${LAB_MEM:-1024}" -nographic -vga none -no-reboot
        -kernel "$kernel" -initrd "$BUILD/initramfs.cpio.zst" -nic none)
  if [[ $accel == kvm ]]; then QEMU+=(-accel kvm -cpu "${LAB_CPU:-host,-arch-capabilities}")
  else QEMU+=(-accel tcg,thread=multi -cpu "${LAB_CPU:-max}"); fi
  QEMU+=(-virtfs "local,path=$out,mount_tag=labout,security_model=none,id=labout"
         -virtfs "local,path=$BUILD/share,mount_tag=labshare,security_model=none,readonly=on,id=labshare"
         -virtfs "local,path=$SWIFT_RT,mount_tag=swiftrt,security_model=none,readonly=on,id=swiftrt")
  local only=${LAB_ONLY:-}; only=${only// /,}
  QEMU+=(-append "console=ttyS0,115200 panic=-1 quiet loglevel=3 lab.mode=$mode lab.swiftrt=$SWIFT_RT${only:+ lab.only=$only}${LAB_DEVICES_ONLY:+ lab.devices_only=$LAB_DEVICES_ONLY} ${LAB_APPEND:-}")
}

# Checks that must report (unless LAB_ONLY narrows the run): a guest program that dies early
# must not pass by saying nothing.
EXPECT_devices_labcheck=inventory,camera_capture,camera_nv12,camera_yu12,audio_loopback,audio_xrun_recovery,error_missing_node,error_unsupported_format,error_alsa_busy,error_permission_denied,error_vanished,hotplug,touch_tap
EXPECT_render=render_inventory,render_writeback_software,render_writeback_overlay,render_flips,render_hotplug
EXPECT_kioskd_devices=kioskd_devices,kioskd_devices_nodev
EXPECT_kioskd_run=kioskd_run_ready,kioskd_run_appointment,kioskd_run_touch,kioskd_run_device_check,kioskd_run_camera_loss,kioskd_run_stop,kioskd_run_display_late
EXPECT_devices_partial=inventory

step_run() {
  [[ -f $BUILD/initramfs.cpio.zst ]] || die "run build first"
  local out; out=$CACHE/runs/$(date +%Y%m%d-%H%M%S); mkdir -p "$out"
  # keep the newest LAB_KEEP_RUNS runs
  ls -1d "$CACHE"/runs/2*/ 2>/dev/null | head -n -"${LAB_KEEP_RUNS:-20}" | xargs -r rm -rf
  qemu_cmd test "$out"
  local limit=${LAB_TIMEOUT:-480} t0 expect=() prog var
  for prog in ${LAB_ONLY:-devices-labcheck render kioskd-devices kioskd-run}; do
    var=EXPECT_${prog//-/_}
    [[ $prog == devices-labcheck && -n ${LAB_DEVICES_ONLY:-} ]] && var=EXPECT_devices_partial
    [[ -n ${!var:-} ]] && expect+=("${!var}")
  done
  expect=("$(IFS=,; echo "${expect[*]}")")
  t0=$(now)
  say "booting ($ACCEL, limit ${limit}s); results in $out"
  # benchmark on the host (TCG figures would mean nothing): CPU cost per 1280x720 frame
  timeout 120 "$BUILD/share/bin/devices-labcheck" bench > "$out/bench.txt" 2>&1 || true
  local meta
  meta=$(python3 -c 'import json,sys; print(json.dumps({"kernel": sys.argv[1], "accel": sys.argv[2], "host_cpus": int(sys.argv[3]),
    "steps": dict(t.split("=", 1) for t in sys.argv[4:])}))' "$(cat "$BUILD/kernel.release" 2>/dev/null || echo "?")" "$ACCEL" "$(nproc)" "${TIMES[@]}")
  set +e
  timeout --kill-after=10 "$limit" "${QEMU[@]}" < /dev/null 2>&1 \
    | python3 "$HERE/host/monitor.py" --log "$out/console.log" --result "$out/result.json" --label "$ACCEL" \
        --out "$out" --schema "$REPO/docs/devices.schema.json" --bench "$out/bench.txt" \
        --expect "${expect[0]}" --meta "$meta"
  local st=("${PIPESTATUS[@]}"); set -e
  [[ ${st[0]} == 124 || ${st[0]} == 137 ]] && say "VM hit the ${limit}s limit"
  say "VM run $(elapsed "$t0")s (accel=$ACCEL, qemu rc=${st[0]}, result rc=${st[1]}); results in $out"
  return "${st[1]}"
}

step_shell() {
  [[ -f $BUILD/initramfs.cpio.zst ]] || die "run build first"
  local out=$CACHE/runs/shell; mkdir -p "$out"
  qemu_cmd shell "$out"
  say "interactive VM ($ACCEL); Ctrl-A x quits, 'poweroff -f' powers off; checks: /mnt/share"
  exec "${QEMU[@]}"
}

step_clean() { rm -rf "$BUILD" "$CACHE/kernel" "$CACHE/kbuild" "$CACHE/src" "$CACHE/runs"; }

main() {
  [[ $(id -u) == 0 ]] || die "run as root (qemu's 9p export and apt need it)"
  local steps=("$@"); [[ ${#steps[@]} -eq 0 || ${steps[0]} == all ]] && steps=(deps fetch build run)
  T_START=$(now)
  # one lab at a time per cache (CI jobs sharing a machine queue here instead of clobbering)
  mkdir -p "$CACHE"; exec 9> "$CACHE/lock"
  flock -w "${LAB_LOCK_WAIT:-900}" 9 || die "another lab run holds $CACHE/lock"
  trap 'say "timings: ${TIMES[*]:-} total=$(elapsed "$T_START")s"' EXIT
  for s in "${steps[@]}"; do
    case $s in
      deps|fetch|build|run) timed "$s" "step_$s" ;;
      shell) step_shell ;;
      clean) step_clean ;;
      *) die "unknown step $s (see the header of $0)" ;;
    esac
  done
}
main "$@"
