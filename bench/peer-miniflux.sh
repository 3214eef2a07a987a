#!/usr/bin/env bash
# bench/peer-miniflux.sh: Miniflux v2.3.5 and pressfeed side by side on the
# same loopback feed farm (bench/farm.go). Manual, not part of CI; run as
# root on a Debian machine (it installs PostgreSQL if missing and runs it
# as the postgres user from a temporary folder).
#
#   bash bench/peer-miniflux.sh            # 400 feeds × 50 items
#   FEEDS=100 ITEMS=20 bash bench/peer-miniflux.sh
#
# Miniflux fetches, parses and stores a feed when it is subscribed to, so
# subscribing to every farm feed with 8 requests in flight is its cold
# ingest ("tuned to refresh everything at once": 8 workers, one batch).
# pressfeed's cold ingest is `pressfeed fetch` over the same feeds with
# fetch.concurrency = 8.
#
# Memory is the peak proportional set size (PSS, from smaps_rollup,
# sampled every 0.2 s): Miniflux plus the processes of the PostgreSQL
# cluster this script starts (its postmaster and that postmaster's
# children, never another cluster on the machine), against pressfeed's
# single process. PSS splits shared pages (PostgreSQL's shared buffers)
# between the processes that map them, so they are counted once. CPU is
# user + system seconds of the same processes, exited children included.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export PATH="/usr/local/go/bin:$PATH"
feeds=${FEEDS:-400}
items=${ITEMS:-50}
port_pg=55432
port_mf=18081

tmp=$(mktemp -d -t pressfeed-peer.XXXXXX)
chmod 755 "$tmp"
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	if [[ -n ${pgbin:-} && -f $tmp/pg/postmaster.pid ]]; then
		runuser -u postgres -- "$pgbin/pg_ctl" -D "$tmp/pg" -m fast stop >/dev/null 2>&1 || true
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT

missing=()
for tool in curl bc python3 runuser pgrep; do command -v "$tool" >/dev/null || missing+=("$tool"); done
if ((${#missing[@]})); then
	echo "peer-miniflux: missing tools: ${missing[*]} (apt-get install -y curl bc python3 util-linux procps)" >&2
	exit 1
fi

echo "== building pressfeed, the farm and Miniflux v2.3.5"
go build -o "$tmp/bench" ./bench
go build -o "$tmp/pressfeed" ./cmd/pressfeed
GOFLAGS= GOBIN="$tmp" go install miniflux.app/v2@v2.3.5
miniflux="$tmp/miniflux.app"

if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
	apt-get update -qq && apt-get install -y -qq --no-install-recommends postgresql >/dev/null
fi
pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
mkdir "$tmp/pg" && chown postgres "$tmp/pg"
runuser -u postgres -- "$pgbin/initdb" -D "$tmp/pg" -A trust >/dev/null
runuser -u postgres -- "$pgbin/pg_ctl" -D "$tmp/pg" -l "$tmp/pg/log" -w \
	-o "-p $port_pg -k $tmp/pg -c listen_addresses=127.0.0.1 -c shared_buffers=128MB" start >/dev/null
runuser -u postgres -- "$pgbin/createdb" -h 127.0.0.1 -p $port_pg miniflux

echo "== farm: $feeds feeds × $items items"
"$tmp/bench" -serve-farm -feeds "$feeds" -items "$items" -farm-churn 0 >"$tmp/farm.addr" &
pids+=($!)
for _ in $(seq 50); do [[ -s $tmp/farm.addr ]] && break; sleep 0.1; done
farm="http://$(head -1 "$tmp/farm.addr")"

# pss PID...: the sum of the current PSS of the processes, in KiB.
pss() {
	local total=0 p kb
	for p in "$@"; do
		kb=$(awk '/^Pss:/ {print $2}' "/proc/$p/smaps_rollup" 2>/dev/null || true)
		total=$((total + ${kb:-0}))
	done
	echo "$total"
}

# cpu_ticks PID...: user + system clock ticks of the processes and of their
# children that have exited and been waited for.
cpu_ticks() {
	local total=0 p t
	for p in "$@"; do
		t=$(awk '{sub(/^.*\) /, ""); print $12 + $13 + $14 + $15}' "/proc/$p/stat" 2>/dev/null || true)
		total=$((total + ${t:-0}))
	done
	echo "$total"
}

# cluster PID: the postmaster PID and its children (this cluster only).
cluster() { echo "$1" $(pgrep -P "$1" || true); }

# sample_pss FILE PIDFUNC...: writes the highest PSS sum seen to FILE every
# 0.2 s until killed; PIDFUNC is re-evaluated each time (backends come and go).
sample_pss() {
	local out=$1 peak=0 now
	shift
	while :; do
		now=$(pss $("$@"))
		((now > peak)) && peak=$now && echo "$peak" >"$out"
		sleep 0.2
	done
}

echo "== Miniflux: subscribing to every feed (8 at a time)"
DATABASE_URL="postgres://postgres@127.0.0.1:$port_pg/miniflux?sslmode=disable" RUN_MIGRATIONS=1 CREATE_ADMIN=1 \
	ADMIN_USERNAME=admin ADMIN_PASSWORD=benchpassword LISTEN_ADDR=127.0.0.1:$port_mf \
	FETCHER_ALLOW_PRIVATE_NETWORKS=1 WORKER_POOL_SIZE=8 BATCH_SIZE="$feeds" POLLING_FREQUENCY=1440 \
	LOG_LEVEL=error "$miniflux" >"$tmp/miniflux.log" 2>&1 &
mf_pid=$!
pids+=("$mf_pid")
pg_pid=$(head -1 "$tmp/pg/postmaster.pid")
mf_procs() { echo "$mf_pid" $(cluster "$pg_pid"); }
echo 0 >"$tmp/mf.pss"
sample_pss "$tmp/mf.pss" mf_procs &
pids+=($!)
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$port_mf/healthcheck" >/dev/null && break; sleep 0.2; done
api="http://admin:benchpassword@127.0.0.1:$port_mf/v1"
category=$(curl -fs "$api/categories" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')
start=$(date +%s.%N)
seq 0 $((feeds - 1)) | xargs -P 8 -I{} curl -fs -o /dev/null -X POST "$api/feeds" \
	-H 'Content-Type: application/json' -d "{\"feed_url\": \"$farm/f/{}.xml\", \"category_id\": $category}"
end=$(date +%s.%N)
mf_entries=$(curl -fs "$api/entries?limit=1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["total"])')
mf_secs=$(echo "$end - $start" | bc -l)
sleep 0.5
mf_pss=$(cat "$tmp/mf.pss")
mf_cpu=$(echo "$(cpu_ticks $(mf_procs)) / $(getconf CLK_TCK)" | bc -l)

echo "== pressfeed: fetch over the same feeds"
{
	printf '[server]\nlisten = "127.0.0.1:18082"\nbase_url = "http://127.0.0.1:18082"\n'
	printf '[store]\npath = "%s/pressfeed.db"\n' "$tmp"
	printf '[fetch]\nconcurrency = 8\nper_host = 8\nallow_networks = ["127.0.0.0/8"]\n[log]\nlevel = "warn"\n'
	for i in $(seq 0 $((feeds - 1))); do printf '[[feeds]]\nname = "bao-%d"\nurl = "%s/f/%d.xml"\n' "$i" "$farm" "$i"; done
} >"$tmp/pressfeed.toml"
start=$(date +%s.%N)
"$tmp/pressfeed" fetch -config "$tmp/pressfeed.toml" >"$tmp/pf.out" 2>&1 &
pf_pid=$!
pf_procs() { echo "$pf_pid"; }
echo 0 >"$tmp/pf.pss"
sample_pss "$tmp/pf.pss" pf_procs &
sampler=$!
pf_cpu=0
while kill -0 "$pf_pid" 2>/dev/null; do
	t=$(cpu_ticks "$pf_pid")
	((t > 0)) && pf_cpu=$t
	sleep 0.1
done
wait "$pf_pid"
end=$(date +%s.%N)
kill "$sampler" 2>/dev/null || true
pf_secs=$(echo "$end - $start" | bc -l)
pf_pss=$(cat "$tmp/pf.pss")
pf_cpu=$(echo "$pf_cpu / $(getconf CLK_TCK)" | bc -l)
pf_items=$(grep -Eo 'fetched [0-9]+ feeds: [0-9]+ new items' "$tmp/pf.out" | grep -Eo '[0-9]+ new' | grep -Eo '[0-9]+')

echo
printf '%-10s %10s %10s %12s %12s %14s\n' "" items seconds "items/s" "CPU seconds" "peak PSS MiB"
printf '%-10s %10d %10.1f %12.0f %12.1f %14.0f\n' miniflux "$mf_entries" "$mf_secs" "$(echo "$mf_entries / $mf_secs" | bc -l)" "$mf_cpu" "$(echo "$mf_pss / 1024" | bc -l)"
printf '%-10s %10d %10.1f %12.0f %12.1f %14.0f\n' pressfeed "$pf_items" "$pf_secs" "$(echo "$pf_items / $pf_secs" | bc -l)" "$pf_cpu" "$(echo "$pf_pss / 1024" | bc -l)"
echo "(Miniflux's figures include this script's PostgreSQL cluster and no other; both ingest the same $((feeds * items)) items from the same farm.)"
