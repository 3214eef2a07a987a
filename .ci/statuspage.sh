#!/usr/bin/env bash
# .ci/statuspage.sh: opens pressfeed's status page (/) in Debian's chromium,
# headless, as a person on a phone would, and fails on a console error
# (an uncaught exception, a CSP violation) or an empty render.
#
# It builds the real binary, writes a config of file:// feeds from
# publisher/testdata/statuspage/ (dates filled in relative to today; one feed
# is not a feed and one is missing, so the page shows sick feeds too), runs
# `pressfeed fetch`, then `pressfeed run` in the background, waits for
# /healthz, takes a screenshot and dumps the DOM, then stops the daemon.
#
#   bash .ci/statuspage.sh            # prints one verdict line; exit 0 or 1
#   PRESSFEED_STATUSPAGE_OUT=DIR      # also copy status.png, dom.html and the
#                                     # browser log there
# It writes only to a mktemp -d folder (removed on success, kept on failure)
# and, when chromium is missing, installs it with apt-get.
set -uo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
repo=$(pwd -P)
export PATH="/usr/local/go/bin:$PATH"
tmp=$(mktemp -d -t pressfeed-statuspage.XXXXXX)
daemon_pid=""
verdict=""

finish() {
	local rc=$?
	if [[ -n $daemon_pid ]] && kill -0 "$daemon_pid" 2>/dev/null; then
		kill -TERM "$daemon_pid" 2>/dev/null
		wait "$daemon_pid" 2>/dev/null
	fi
	if [[ -n ${PRESSFEED_STATUSPAGE_OUT:-} ]]; then
		mkdir -p "$PRESSFEED_STATUSPAGE_OUT"
		cp -f "$tmp"/status.png "$tmp"/dom.html "$tmp"/chromium.log "$tmp"/daemon.log "$PRESSFEED_STATUSPAGE_OUT"/ 2>/dev/null
	fi
	if ((rc == 0)); then
		rm -rf "$tmp"
	else
		echo "statuspage: files kept in $tmp" >&2
	fi
	echo "${verdict:-statuspage: FAILED: interrupted}"
	exit "$rc"
}
trap finish EXIT

fail() {
	verdict="statuspage: FAILED: $*"
	exit 1
}

# Chromium from Debian.
chromium=/usr/bin/chromium
if [[ ! -x $chromium ]]; then
	export DEBIAN_FRONTEND=noninteractive
	{ apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium; } >"$tmp/apt.log" 2>&1 ||
		{ cat "$tmp/apt.log" >&2; fail "apt-get install chromium"; }
	[[ -x $chromium ]] || fail "chromium still missing after apt-get install"
fi

# The binary.
go build -o "$tmp/pressfeed" ./cmd/pressfeed 2>"$tmp/build.log" || { cat "$tmp/build.log" >&2; fail "go build ./cmd/pressfeed"; }

# Fixtures with dates relative to today: @DAY-n@ is n days ago, 06:00 UTC.
fixtures="$repo/publisher/testdata/statuspage"
mkdir -p "$tmp/feeds"
for f in "$fixtures"/*; do
	out="$tmp/feeds/$(basename "$f")"
	cp "$f" "$out"
	for n in 0 1 2 3 4 5 6 7 8 9 10 11 12 13; do
		if [[ $f == *.xml ]] && grep -q '<feed' "$f"; then
			d=$(date -u -d "$(date -u +%F) 06:00 UTC - $n days" +%Y-%m-%dT%H:%M:%SZ)
		else
			d=$(date -u -d "$(date -u +%F) 06:00 UTC - $n days" -R)
		fi
		sed -i "s/@DAY-$n@/$d/g" "$out"
	done
done

# A free loopback port: ask the kernel through python, else pick one.
port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null) ||
	port=$((20000 + RANDOM % 20000))
base="http://127.0.0.1:$port"
cat >"$tmp/config.toml" <<TOML
[server]
listen   = "127.0.0.1:$port"
base_url = "$base"

[store]
path = "$tmp/data/pressfeed.db"

[fetch]
interval = "1h"
timeout  = "10s"

[[feeds]]
name  = "vnexpress"
url   = "file://$tmp/feeds/vnexpress.xml"
title = "VnExpress"
tags  = ["tong-hop"]

[[feeds]]
name = "tuoitre"
url  = "file://$tmp/feeds/tuoitre.xml"
tags = ["tong-hop", "thoi-su"]

[[feeds]]
name  = "sggp"
url   = "file://$tmp/feeds/sggp.xml"
title = "SGGP"
tags  = ["kinh-te"]

[[feeds]]
name  = "bao-tri"
url   = "file://$tmp/feeds/baotri.html"
title = "Báo đang bảo trì"

[[feeds]]
name  = "mat-tich"
url   = "file://$tmp/feeds/khong-co.xml"
title = "Nguồn đã mất"
TOML

"$tmp/pressfeed" -config "$tmp/config.toml" check >"$tmp/check.log" 2>&1 || { cat "$tmp/check.log" >&2; fail "pressfeed check"; }
"$tmp/pressfeed" -config "$tmp/config.toml" fetch >"$tmp/fetch.log" 2>&1 || { cat "$tmp/fetch.log" >&2; fail "pressfeed fetch"; }
"$tmp/pressfeed" -config "$tmp/config.toml" run >"$tmp/daemon.log" 2>&1 &
daemon_pid=$!

ready=""
for _ in $(seq 1 100); do
	if curl -fsS -o /dev/null --max-time 2 "$base/healthz" 2>/dev/null; then
		ready=yes
		break
	fi
	kill -0 "$daemon_pid" 2>/dev/null || { cat "$tmp/daemon.log" >&2; fail "pressfeed run exited early"; }
	sleep 0.2
done
[[ -n $ready ]] || { cat "$tmp/daemon.log" >&2; fail "no 200 from $base/healthz within 20 s"; }

# The browser: one run for the screenshot and the console, one for the DOM.
flags=(--headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking
	--disable-component-update --disable-sync --hide-scrollbars --window-size=412,915)
timeout 90s "$chromium" "${flags[@]}" --user-data-dir="$(mktemp -d -p "$tmp")" --enable-logging=stderr --v=0 \
	--screenshot="$tmp/status.png" "$base/" >"$tmp/chromium.out" 2>"$tmp/chromium.log" ||
	{ tail -20 "$tmp/chromium.log" >&2; fail "chromium --screenshot exited non-zero"; }
timeout 90s "$chromium" "${flags[@]}" --user-data-dir="$(mktemp -d -p "$tmp")" --enable-logging=stderr --v=0 \
	--dump-dom "$base/" >"$tmp/dom.html" 2>>"$tmp/chromium.log" ||
	{ tail -20 "$tmp/chromium.log" >&2; fail "chromium --dump-dom exited non-zero"; }

# Console messages: chromium logs them as "INFO:CONSOLE:N]" lines; the page has
# no script, so any message at all (a CSP violation, an error) is a failure.
if grep -E 'Uncaught|Refused to|Content Security Policy|violates|:CONSOLE[:(]' "$tmp/chromium.log" >"$tmp/console.txt"; then
	sed 's/^/    /' "$tmp/console.txt" >&2
	fail "console errors on / ($(wc -l <"$tmp/console.txt") line(s))"
fi

# An empty render: a tiny screenshot or a DOM without the feed rows.
[[ -s $tmp/status.png ]] || fail "no screenshot"
png_size=$(stat -c %s "$tmp/status.png")
((png_size > 10000)) || fail "screenshot is only $png_size bytes: empty render?"
rows=$(grep -o 'id="feed-[a-z0-9-]*"' "$tmp/dom.html" | sort -u | wc -l)
((rows == 5)) || fail "the DOM has $rows feed rows, want 5"
bars=$(grep -o '<rect ' "$tmp/dom.html" | wc -l)
((bars == 5 * 14)) || fail "the DOM has $bars chart bars, want 70"
for want in 'data-health="ok"' 'data-health="down"' 'VnExpress' 'Nguồn đã mất'; do
	grep -q "$want" "$tmp/dom.html" || fail "the DOM lacks $want"
done

verdict="statuspage: OK: $rows feeds, $bars bars, screenshot $png_size bytes, no console errors"
exit 0
