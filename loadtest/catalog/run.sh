#!/usr/bin/env bash
# Storefront load test: GET /api/v1/products on a catalog of 10,000 published products, the
# marketplace (embedded store, full middleware) against a bare Gin handler returning the same
# bytes, measured alternately with wrk under the same conditions.
#
#   loadtest/catalog/run.sh                  # defaults below
#   PRODUCTS=10000 CONNS=64 DURATION=20s ROUNDS=3 loadtest/catalog/run.sh
#   NICE=-10 loadtest/catalog/run.sh         # on a machine others share: both servers and wrk
#                                            # get the same raised CPU priority
#
# Needs wrk (apt-get install -y wrk). Prints a Markdown table for README.md.
set -euo pipefail
cd "$(dirname "$0")/../.."

PRODUCTS=${PRODUCTS:-10000}
CONNS=${CONNS:-64}
THREADS=${THREADS:-2}
DURATION=${DURATION:-20s}
ROUNDS=${ROUNDS:-2}
LOG_LEVEL=${LOG_LEVEL:-warn}
QUERY=${QUERY:-/api/v1/products}
NICE=${NICE:-0}
MP_ADDR=127.0.0.1:${MP_PORT:-18080}
BARE_ADDR=127.0.0.1:${BARE_PORT:-18081}

command -v wrk >/dev/null || { echo "wrk is not installed: apt-get install -y wrk" >&2; exit 1; }

tmp=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT

echo "building…" >&2
go build -o "$tmp/marketplace" ./cmd/marketplace
go build -o "$tmp/bare" ./loadtest/catalog/bare

echo "seeding $PRODUCTS products…" >&2
start=$(date +%s)
DATA_DIR="$tmp/data" LOG_LEVEL=warn "$tmp/marketplace" seed --products "$PRODUCTS" >"$tmp/seed.log"
echo "seeded in $(( $(date +%s) - start )) s: $(tail -1 "$tmp/seed.log")" >&2

ADDR=$MP_ADDR DATA_DIR="$tmp/data" LOG_LEVEL=$LOG_LEVEL nice -n "$NICE" "$tmp/marketplace" serve 2>"$tmp/server.log" &
pids+=($!)
for _ in $(seq 1 600); do
	curl -fs "http://$MP_ADDR/readyz" >/dev/null 2>&1 && break
	sleep 0.1
done
curl -fs "http://$MP_ADDR/readyz" >/dev/null || { echo "marketplace did not start:" >&2; cat "$tmp/server.log" >&2; exit 1; }

nice -n "$NICE" "$tmp/bare" -addr "$BARE_ADDR" -from "http://$MP_ADDR$QUERY" 2>"$tmp/bare.log" &
pids+=($!)
for _ in $(seq 1 100); do
	curl -fs "http://$BARE_ADDR/api/v1/products" >/dev/null 2>&1 && break
	sleep 0.1
done

curl -fs "http://$MP_ADDR$QUERY" >"$tmp/a.json"
curl -fs "http://$BARE_ADDR/api/v1/products" >"$tmp/b.json"
cmp -s "$tmp/a.json" "$tmp/b.json" || { echo "the two servers do not return the same bytes" >&2; exit 1; }
total=$(grep -o '"total":[0-9]*' "$tmp/a.json")
echo "response: $(wc -c <"$tmp/a.json") bytes, $total" >&2

# run NAME URL: one wrk run, printing "NAME req/s p99"
run() {
	local out
	out=$(nice -n "$NICE" wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --latency "$2")
	local rps p99 errs
	rps=$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")
	p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
	errs=$(awk '/Non-2xx|Socket errors/ {print}' <<<"$out" | tr '\n' ' ')
	echo "$1 $rps $p99 $errs"
}

wrk -t"$THREADS" -c"$CONNS" -d3s "http://$MP_ADDR$QUERY" >/dev/null 2>&1 || true # warm up
echo "| round | server | requests/s | p99 latency |"
echo "|---|---|---|---|"
for r in $(seq 1 "$ROUNDS"); do
	for which in bare marketplace; do
		if [ "$which" = bare ]; then url="http://$BARE_ADDR/api/v1/products"; else url="http://$MP_ADDR$QUERY"; fi
		read -r name rps p99 errs <<<"$(run "$which" "$url")"
		echo "| $r | $name | $rps | $p99 | $errs"
	done
done
echo
echo "wrk -t$THREADS -c$CONNS -d$DURATION, $PRODUCTS products, query $QUERY, LOG_LEVEL=$LOG_LEVEL, nice $NICE, $(nproc) cores, load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
