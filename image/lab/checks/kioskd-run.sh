#!/bin/sh
# `kioskd run` on real kernel drivers (issue 6): the daemon as systemd starts it, with
# camera/microphone/speaker/display/touch = auto, so it picks vivid, snd-aloop, vkms and a uinput
# touch panel, and a
# practice-dev --dev on loopback assigns it the demo appointment. Driven through
# `kioskd control` (the technician's tool over the control socket):
#   ready: the daemon draws on vkms and the camera stays closed on the appointment screen;
#   appointment → Join tapped on a uinput touch panel (the real evdev path, hit-tested on
#   the drawn screen) → device check with live vivid frames and the Continue button;
#   camera loss: vivid unbound during the device check → frames stop and the kiosk's own
#     media state reads "unavailable" (what a call would tell the clinician), rebind → frames
#     resume by themselves, the state is "on" again, and the screen never left the device check;
#   stop: SIGTERM → exit 0 within 5 s, and the camera is released (another process can open it);
#   display late: started with vkms unloaded, the screen opens as soon as vkms is loaded (a DRM uevent).
out=${LAB_OUT:-/tmp}
kioskd=$(command -v kioskd 2>/dev/null); practice=$(command -v practice-dev 2>/dev/null)
if [ -z "$kioskd" ] || [ -z "$practice" ]; then
  echo "CHECK kioskd_run_ready fail kioskd or practice-dev not in the lab share"
  exit 1
fi
ip link set lo up 2>/dev/null || ifconfig lo 127.0.0.1 up
d=/tmp/kioskd-run; mkdir -p $d
echo dev > $d/token
cat > $d/kioskd.toml <<CONF
[kiosk]
id = "kiosk-1"
[practice]
url = "ws://127.0.0.1:8080/ws"
token_file = "$d/token"
[devices]
camera = "auto"
microphone = "auto"
speaker = "auto"
touch = "auto"
[display]
device = "auto"
[service]
state_directory = "$d"
control_socket = "$d/control.sock"
control_screenshots = true
CONF
"$practice" --dev --port 8080 > $d/practice.log 2>&1 &
ppid=$!
"$kioskd" run --config $d/kioskd.toml > $d/kioskd.log 2>&1 &
kpid=$!
ctl() { "$kioskd" control --config $d/kioskd.toml "$@"; }
field() { ctl status 2>/dev/null | sed -n "s/^  \"$1\" : \\(.*\\),\\{0,1\\}\$/\\1/p" | tr -d '",'; }
callfield() { ctl status 2>/dev/null | sed -n "s/^    \"$1\" : \\([0-9]*\\).*/\\1/p"; }
wait_for() { # wait_for SECONDS CMD... : polls every 0.5 s
  n=$(($1 * 2)); shift
  while [ $n -gt 0 ]; do "$@" && return 0; sleep 0.5; n=$((n - 1)); done
  return 1
}
screen_is() { [ "$(field screen)" = "$1" ]; }
# The kiosk's own camera state ("on", "off", "unavailable"): status's keys are sorted, so
# "own" comes before "remote" and its camera is the first one printed.
own_camera() { ctl status 2>/dev/null | sed -n 's/^    "camera" : "\(.*\)",\{0,1\}$/\1/p' | head -1; }
own_camera_is() { [ "$(own_camera)" = "$1" ]; }
finish() {
  kill $kpid $ppid 2>/dev/null
  sed 's/^/kioskd: /' $d/kioskd.log | tail -40
}

# ready: drawing on vkms, the appointment on screen, the camera closed
if wait_for 60 screen_is appointment && [ "$(callfield videoFramesCaptured)" = 0 ]; then
  echo "CHECK kioskd_run_ready ok screen=appointment frames_presented=$(field framesPresented) camera_frames=0 $(grep -o 'display opened.*' $d/kioskd.log | head -1)"
else
  echo "CHECK kioskd_run_ready fail screen=$(field screen) camera_frames=$(callfield videoFramesCaptured)"
  finish; exit 1
fi
ctl screenshot "$out/kioskd-run-appointment.png" 2>/dev/null
if grep -q "Dr. Demo" $d/kioskd.log || ! ctl status | grep -q "Your visit with Dr. Demo"; then
  echo "CHECK kioskd_run_appointment fail $(ctl status | head -c 400)"
else
  echo "CHECK kioskd_run_appointment ok first_text="$(ctl status | grep -A1 '"texts"' | tail -1 | sed 's/^ *"//; s/",\{0,1\}$//')""
fi

# Join by touch: a uinput panel appears (kioskd opens it), a finger taps the Join button's middle
centre() { # centre BUTTON -> "X Y" of the button on screen
  ctl status | awk -v b="\"$1\"," '
    $1 == "\"button\"" && $3 == b { f = 1 }
    f && $1 == "\"height\"" { h = $3 + 0 } f && $1 == "\"width\"" { w = $3 + 0 }
    f && $1 == "\"x\"" { x = $3 + 0 } f && $1 == "\"y\"" { print x + int(w / 2), $3 + int(h / 2); exit }'
}
size=$(grep -o 'display opened.*size=[0-9]*x[0-9]*' $d/kioskd.log | sed 's/.*size=//; s/x/ /')
xy=$(centre join)
devices-labcheck touch-tap $size $xy > $d/touch.out 2>&1
if grep -q "button pressed button=join" $d/kioskd.log && grep -q "touch panel opened" $d/kioskd.log; then
  echo "CHECK kioskd_run_touch ok tapped_at=$(echo $xy | tr ' ' ,) screen=${size% *}x${size#* } $(grep -o 'touch panel opened.*' $d/kioskd.log | head -1)"
else
  echo "CHECK kioskd_run_touch fail tapped_at=$xy screen=$size $(cat $d/touch.out) $(grep -i touch $d/kioskd.log | tail -3 | tr '\n' ' ')"
  ctl press join > /dev/null
fi
frames_over() { f=$(callfield videoFramesCaptured); [ "${f:-0}" -gt "$1" ]; }
if wait_for 30 screen_is device-check && wait_for 20 frames_over 20 && ctl status | grep -q continueToCall \
   && ctl status | grep -q '"Camera: vivid"'; then
  ctl screenshot "$out/kioskd-run-device-check.png" 2>/dev/null
  echo "CHECK kioskd_run_device_check ok camera_frames=$(callfield videoFramesCaptured) $(grep -o 'camera chosen.*' $d/kioskd.log | head -1)"
else
  echo "CHECK kioskd_run_device_check fail screen=$(field screen) camera_frames=$(callfield videoFramesCaptured)"
fi

# camera loss: unbind vivid's platform device, frames stop; rebind, frames resume
dev=$(ls /sys/bus/platform/drivers/vivid 2>/dev/null | grep vivid | head -1)
if [ -n "$dev" ]; then
  echo "$dev" > /sys/bus/platform/drivers/vivid/unbind
  sleep 2; a=$(callfield videoFramesCaptured); sleep 2; b=$(callfield videoFramesCaptured)
  gone=$(own_camera)
  echo "$dev" > /sys/bus/platform/drivers/vivid/bind
  t0=$(cut -d' ' -f1 /proc/uptime)
  if wait_for 30 frames_over $((b + 10)); then
    t1=$(cut -d' ' -f1 /proc/uptime)
    s=$(field screen)
    wait_for 5 own_camera_is on
    back=$(own_camera)
    if [ "$a" = "$b" ] && [ "$s" = device-check ] && [ "$gone" = unavailable ] && [ "$back" = on ]; then
      echo "CHECK kioskd_run_camera_loss ok frames_while_unbound=$((b - a)) resumed_after_s=$(awk "BEGIN{print $t1-$t0}") screen=$s camera_while_unbound=$gone camera_after=$back"
    else
      echo "CHECK kioskd_run_camera_loss fail frames_while_unbound=$((b - a)) screen=$s camera_while_unbound=$gone camera_after=$back"
    fi
  else
    echo "CHECK kioskd_run_camera_loss fail frames did not resume after rebind ($(callfield videoFramesCaptured))"
  fi
else
  echo "CHECK kioskd_run_camera_loss fail no vivid platform device to unbind"
fi

# stop: SIGTERM → exit 0 quickly; the camera is free again
t0=$(cut -d' ' -f1 /proc/uptime)
kill -TERM $kpid
n=0; while kill -0 $kpid 2>/dev/null && [ $n -lt 50 ]; do sleep 0.1; n=$((n + 1)); done
wait $kpid; rc=$?
t1=$(cut -d' ' -f1 /proc/uptime)
secs=$(awk "BEGIN{print $t1-$t0}")
if [ $rc = 0 ] && [ $n -lt 50 ] && ! grep -q '"Ada\|[0-9]\{1,3\}\.[0-9]\{1,3\}\.[0-9]\{1,3\}\.[0-9]\{1,3\}' $d/kioskd.log; then
  echo "CHECK kioskd_run_stop ok exit_status=0 seconds=$secs log_lines=$(wc -l < $d/kioskd.log) no_addresses_in_log=1"
else
  echo "CHECK kioskd_run_stop fail exit_status=$rc seconds=$secs"
fi
cp $d/kioskd.log "$out/kioskd-run.log" 2>/dev/null

# display late: vkms unloaded, kioskd starts without a screen ("no display yet"); vkms loaded
# again (a DRM uevent) → the screen opens at once, not at the 30 s retry.
vk=$(grep '^[^#]*vkms' /lib/modules/load.list | head -1)
if [ -n "$vk" ] && rmmod vkms 2>/dev/null; then
  : > $d/kioskd.log
  "$kioskd" run --config $d/kioskd.toml > $d/kioskd.log 2>&1 &
  kpid=$!
  wait_for 20 grep -q "no display yet" $d/kioskd.log
  # shellcheck disable=SC2086
  set -- $vk; mod=$1; shift
  t0=$(cut -d' ' -f1 /proc/uptime)
  insmod "/lib/modules/$mod" "$@" 2>/dev/null
  if wait_for 15 grep -q "display opened" $d/kioskd.log; then
    t1=$(cut -d' ' -f1 /proc/uptime)
    echo "CHECK kioskd_run_display_late ok opened_after_s=$(awk "BEGIN{print $t1-$t0}") (retry fallback 30 s)"
  else
    echo "CHECK kioskd_run_display_late fail no display opened within 15 s of loading vkms: $(grep -o 'no display yet.*' $d/kioskd.log | head -1)"
  fi
  kill -TERM $kpid 2>/dev/null; wait $kpid 2>/dev/null
  [ -e /dev/dri/card0 ] || insmod "/lib/modules/$mod" "$@" 2>/dev/null
else
  echo "CHECK kioskd_run_display_late fail cannot unload vkms to start without a display"
fi
kill $ppid 2>/dev/null
exit 0
