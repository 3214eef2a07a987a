#!/usr/bin/env bash
# .ci/systemd.sh: checks deploy/pressfeed.service with systemd's own analyzer.
#
#   1. builds pressfeed to a temp folder (verify needs the ExecStart binary)
#   2. copies the unit there with ExecStart pointing at that binary
#   3. systemd-analyze verify: fails on ANY output (it exits 0 even for
#      misspelt keys)
#   4. systemd-analyze security --offline=true: prints the score, fails
#      above 1.5
#
# Installs the systemd package when systemd-analyze is missing (as root).
# Writes only to a mktemp -d folder, removed on exit. Called by .ci/run.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export PATH="/usr/local/go/bin:$PATH"
max_score=1.5

if ! command -v systemd-analyze >/dev/null; then
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq || { sleep 5; apt-get update -qq; }
	apt-get install -y -qq --no-install-recommends systemd >/dev/null
fi
echo "systemd-analyze: $(systemd-analyze --version | head -1)"

tmp=$(mktemp -d -t pressfeed-systemd.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/pressfeed" ./cmd/pressfeed
unit="$tmp/pressfeed.service"
sed -E "s|^ExecStart=[^ ]+|ExecStart=$tmp/pressfeed|" deploy/pressfeed.service >"$unit"
grep -q "^ExecStart=$tmp/pressfeed " "$unit" || { echo "systemd: FAILED: no ExecStart= line to rewrite in deploy/pressfeed.service"; exit 1; }

failed=0
out=$(systemd-analyze verify "$unit" 2>&1) || failed=1
if [[ -n $out ]]; then
	echo "systemd: systemd-analyze verify printed:"
	sed 's/^/    /' <<<"$out"
	failed=1
elif ((failed)); then
	echo "systemd: systemd-analyze verify failed without output"
else
	echo "systemd: verify: no output (ok)"
fi

sec=$(systemd-analyze security --offline=true --no-pager "$unit" 2>&1) || true
score=$(sed -nE 's/.*Overall exposure level for [^:]*: ([0-9]+(\.[0-9]+)?).*/\1/p' <<<"$sec" | tail -1)
if [[ -z $score ]]; then
	echo "systemd: FAILED: no score from systemd-analyze security:"
	sed 's/^/    /' <<<"$sec"
	exit 1
fi
echo "systemd: security exposure score $score (limit $max_score)"
if awk -v s="$score" -v m="$max_score" 'BEGIN { exit !(s > m) }'; then
	echo "systemd: FAILED: score $score is above $max_score; what is exposed:"
	grep '✗' <<<"$sec" | sed 's/^/    /' || true
	failed=1
fi
exit $failed
