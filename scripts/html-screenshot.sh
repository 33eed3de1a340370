#!/usr/bin/env bash
# Open an smprof HTML report in headless Chromium (Debian's `chromium`), fail on
# console errors, check the charts are in the rendered DOM, and save a screenshot.
#
#   scripts/html-screenshot.sh REPORT.html [SCREENSHOT.png]
#
# Exit codes: 0 ok, 1 the page has errors or no charts, 2 usage, 3 chromium missing.
set -euo pipefail

page=${1:?usage: $0 REPORT.html [SCREENSHOT.png]}
shot=${2:-${page%.html}.png}
[[ -f $page ]] || { echo "no such file: $page" >&2; exit 2; }
chrome=$(command -v chromium || command -v chromium-browser || true)
[[ -n $chrome ]] || { echo "chromium not installed (apt-get install -y chromium): skipping" >&2; exit 3; }

profile=$(mktemp -d)
log=$(mktemp)
trap 'rm -rf "$profile" "$log"' EXIT
url="file://$(realpath "$page")"
flags=(--headless --no-sandbox --disable-gpu --no-first-run --disable-background-networking
       --disable-component-update --disable-sync --user-data-dir="$profile"
       --enable-logging=stderr --v=0 --virtual-time-budget=2000)

# The DOM as rendered (scripts run, if any) and the console log on stderr.
dom=$(timeout 60 "$chrome" "${flags[@]}" --dump-dom "$url" 2>"$log")
if grep -E 'CONSOLE\(|Uncaught|ERR_FILE|Failed to load' "$log" | grep -vE 'dbus|Fontconfig|sandbox' >&2; then
  echo "console errors while loading $page" >&2
  exit 1
fi
charts=$(grep -o '<svg' <<<"$dom" | wc -l)
if (( charts == 0 )); then
  echo "no charts (<svg>) in the rendered page" >&2
  exit 1
fi
timeout 60 "$chrome" "${flags[@]}" --hide-scrollbars --window-size=1200,1600 \
  --screenshot="$(realpath -m "$shot")" "$url" 2>/dev/null
[[ -s $shot ]] || { echo "no screenshot written" >&2; exit 1; }
echo "ok: $charts charts, no console errors; screenshot $shot"
