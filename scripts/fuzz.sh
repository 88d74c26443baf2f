#!/usr/bin/env bash
# Runs every fuzz target for N seconds (default 5) over a copy of its corpus; fails on a crash.
set -euo pipefail
seconds=${1:-5}
export SWIFT_BACKTRACE=enable=no
bin=$(swift build --package-path Fuzz --sanitize fuzzer -Xswiftc -sanitize=fuzzer,address --show-bin-path)
for dir in Fuzz/Sources/*/; do
  name=$(basename "$dir")
  [ -x "$bin/$name" ] || continue
  work=$(mktemp -d)
  [ -d "Fuzz/corpus/$name" ] && cp -r "Fuzz/corpus/$name/." "$work/"
  echo "fuzz: $name for ${seconds}s"
  "$bin/$name" -max_total_time="$seconds" -max_len=8192 -use_value_profile=1 -print_final_stats=0 \
      -artifact_prefix="$work/" "$work" 2>&1 | grep -E "Done [0-9]+ runs|==[0-9]+==ERROR|SUMMARY" || true
  if ls "$work"/crash-* "$work"/leak-* "$work"/timeout-* >/dev/null 2>&1; then
    echo "fuzz: $name found a failing input:"; ls "$work"/crash-* "$work"/leak-* "$work"/timeout-* 2>/dev/null
    exit 1
  fi
  rm -rf "$work"
done
