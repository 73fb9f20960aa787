#!/usr/bin/env bash
# measure-quota.sh: three `keapsync work` release-style binaries (no -race)
# share one account against keapfake (at nice -10, as Keap's gateway is not
# starved by our machine), optionally with CPU hogs and skewed clocks, for a
# given time; prints keapfake's rejections, the peak minute and the
# minute-budget utilization measured from keapfake's own arrival times.
#
#   bash docs/measure-quota.sh [--minutes N] [--hogs K] [--skew "0 700ms -400ms"]
#
# Needs PostgreSQL on 127.0.0.1:5432 with trust auth (bash .ci/postgres) and
# python3. It creates (and drops at the end) the database keapsync_measure.
set -euo pipefail
cd "$(dirname "$0")/.."
minutes=10 hogs=0 skew="0 0 0"
while [ $# -gt 0 ]; do
  case "$1" in
    --minutes) minutes=$2; shift 2 ;;
    --hogs) hogs=$2; shift 2 ;;
    --skew) skew=$2; shift 2 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  psql -q -h 127.0.0.1 -U postgres -d postgres -c 'DROP DATABASE IF EXISTS keapsync_measure' >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

go build -o "$work/keapfake" ./cmd/keapfake
go build -tags keapsync_testclock -o "$work/keapsync" ./cmd/keapsync
psql -q -h 127.0.0.1 -U postgres -d postgres -c 'DROP DATABASE IF EXISTS keapsync_measure' -c 'CREATE DATABASE keapsync_measure'

key=measure-$RANDOM$RANDOM
# 60,000 contacts and the other streams scaled with them, read in pages of
# 100: more work than ten minutes of 120 calls a minute can do.
nice -n -10 "$work/keapfake" --contacts 60000 --per-second 5 --per-minute 120 --per-day -1 \
  --tenant-per-minute -1 --api-key "$key" --log-level warn >"$work/fake.url" 2>"$work/fake.log" &
pids+=($!)
for _ in $(seq 1 600); do [ -s "$work/fake.url" ] && break; sleep 0.1; done
url=$(head -1 "$work/fake.url")
root=${url%/crm/rest}

cat >"$work/keapsync.yaml" <<EOF
database_url: postgres://postgres@127.0.0.1:5432/keapsync_measure
accounts:
  - name: acme
    base_url: $url
    api_key: \${KEAP_API_KEY}
    schedule: "off"
    reconcile_deletes: "off"
    quota: {per_second: 5, per_minute: 120, per_day: 1000000}
worker: {concurrency: 4, page_size: 100}
http: {listen: "off"}
EOF
export KEAP_API_KEY=$key
"$work/keapsync" -c "$work/keapsync.yaml" migrate >/dev/null
"$work/keapsync" -c "$work/keapsync.yaml" sync >/dev/null

for _ in $(seq 1 "$hogs"); do ( while :; do :; done ) & pids+=($!); done
i=0
for offset in $skew; do
  KEAPSYNC_TEST_CLOCK_OFFSET=$offset "$work/keapsync" -c "$work/keapsync.yaml" work --log-level warn \
    >"$work/work$i.log" 2>&1 &
  pids+=($!)
  i=$((i + 1))
  sleep 0.4
done
sleep $((minutes * 60))

curl -s "$root/_sim/stats" >"$work/stats.json"
curl -s "$root/_sim/arrivals" >"$work/arrivals.json"
python3 - "$work/stats.json" "$work/arrivals.json" "$minutes" "$hogs" "$skew" <<'EOF'
import json, sys
from datetime import datetime
st = json.load(open(sys.argv[1]))
ts = [datetime.fromisoformat(t.replace("Z", "+00:00")).timestamp() for t in json.load(open(sys.argv[2]))]
n, window = 120, 60.0
# Batches of 120: while work is queued each starts a window after the one
# before; from the second batch's first call to the last batch's first,
# k windows were used in span seconds.
last = (len(ts) - 1) // n
k = last - 1
span = ts[last * n] - ts[n]
print(f"{sys.argv[3]} min, {sys.argv[4]} hogs, clocks {sys.argv[5]}: {st['requests']} requests, "
      f"{st['rejected']} rejected (spike {st['rejected_spike']}, minute {st['rejected_minute']}), "
      f"peak second {st['peak_second']}, peak minute {st['peak_minute']}; "
      f"minute-budget utilization {k * window / span:.3f} ({k} windows of {n} in {span:.1f}s)")
EOF
