#!/bin/bash
# bench/agents.sh — agents against local workers, same machine, same run,
# alternating (workers then agents) for PAIRS pairs, on SQLite:
#
#   drain    N test-ok scans (real children) queued through the API while
#            nothing claims, then 4 `scanq agent` over HTTPS on loopback
#            (pool bench, --concurrency 8) or 4 `scanq worker`
#            (--concurrency 8) start: scans/s from their start to the last
#            completion.  The seeded count is checked before each drain.
#   pickup   one agent idle on its long poll; M scans submitted one at a
#            time: submit (the scan's created_at) -> child started (the
#            agent's "scan marked running" line), p50 / p99.
#   idle     one idle agent for 60 s: its PSS, and the requests the server
#            counted from it (scanq_http_requests_total of the agent routes).
#
#   bash bench/agents.sh [N [M [PAIRS]]]        (defaults 4000 100 3)
set -e
cd "$(dirname "$0")/.."
N=${1:-4000}
M=${2:-100}
PAIRS=${3:-3}
make -s build/scanq build/scanq-scan
S=$PWD/build/scanq
T=$(mktemp -d "${TMPDIR:-/tmp}/scanq-bench-agents-XXXXXX")
PIDS=()
stop_all() {
	local p
	for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
	PIDS=()
}
trap 'stop_all; rm -rf "$T"' EXIT

openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/key.pem" -out "$T/cert.pem" -days 2 \
	-subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 >/dev/null 2>&1
printf '[pool.bench]\nallow = 127.0.0.0/8\n' >"$T/scanq.ini"
export SCANQ_CONFIG=$T/scanq.ini

# serve DB: an HTTPS serve without workers on a fresh database; sets URL
serve() {
	rm -f "$T"/db*
	DB=sqlite://$T/db
	"$S" --db "$DB" migrate >/dev/null
	"$S" --db "$DB" token create --role agent --pool bench --name b >"$T/agent.token"
	ADMIN=$("$S" --db "$DB" token create --role admin --name a)
	: >"$T/serve.log"
	SCANQ_HTTP_TLS_CERT=$T/cert.pem SCANQ_HTTP_TLS_KEY=$T/key.pem SCANQ_LOG_LEVEL=info \
		"$S" --db "$DB" serve --listen 127.0.0.1:0 --workers 0 >>"$T/serve.log" 2>&1 &
	PIDS+=($!)
	for _ in $(seq 100); do grep -q 'msg="http listening"' "$T/serve.log" && break; sleep 0.1; done
	URL=https://127.0.0.1:$(sed -n 's/.*msg="http listening".* port=\([0-9]*\).*/\1/p' "$T/serve.log")
}

# seed POOL N: N test-ok scans through the API (one keep-alive connection)
seed() {
	python3 - "$URL" "$ADMIN" "$T/cert.pem" "$1" "$2" <<'EOF'
import http.client, json, ssl, sys
url, tok, ca, pool, n = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
host, port = url[len("https://"):].split(":")
c = http.client.HTTPSConnection(host, int(port), context=ssl.create_default_context(cafile=ca))
body = json.dumps({"type": "test-ok", "targets": ["127.0.0.1"], "pool": pool})
h = {"Authorization": "Bearer " + tok, "Content-Type": "application/json"}
for _ in range(n):
    c.request("POST", "/api/v1/scans", body, h)
    r = c.getresponse(); r.read()
    if r.status != 202:
        sys.exit("seed: %d" % r.status)
EOF
}

count() { sqlite3 "$T/db" "SELECT count(*) FROM scans WHERE status = '$1'"; }
ms() { date +%s%3N; }

# drain KIND: 4 agents or 4 workers, each --concurrency 8; prints scans/s
drain() {
	local kind=$1 t0 t1 i
	serve
	seed "$([ "$kind" = agents ] && echo bench || echo local)" "$N"
	[ "$(count pending)" = "$N" ] || { echo "seeded $(count pending) of $N" >&2; exit 1; }
	t0=$(ms)
	for i in 1 2 3 4; do
		if [ "$kind" = agents ]; then
			"$S" agent --server "$URL" --token-file "$T/agent.token" --ca "$T/cert.pem" \
				--spool "$T/spool$i" --concurrency 8 --name "b$i" 2>>"$T/agent$i.log" &
		else
			"$S" --db "$DB" worker --concurrency 8 --name "w$i" 2>>"$T/worker$i.log" &
		fi
		PIDS+=($!)
	done
	while [ "$(count completed)" != "$N" ]; do sleep 0.05; done
	t1=$(ms)
	stop_all
	echo $(( N * 1000 / (t1 - t0) ))
}

echo "N=$N M=$M, $PAIRS pairs, $(nproc) cores, $(date -u +%Y-%m-%d)"
for i in $(seq "$PAIRS"); do
	w=$(drain workers)
	a=$(drain agents)
	echo "pair $i: drain workers $w/s agents $a/s ratio $(echo "scale=2; $a / $w" | bc)"
done

# pickup and idle: one agent on its long poll
serve
SCANQ_LOG_LEVEL=info "$S" agent --server "$URL" --token-file "$T/agent.token" --ca "$T/cert.pem" \
	--spool "$T/spoolp" --concurrency 8 --name p 2>"$T/agentp.log" &
AGENT=$!
PIDS+=($AGENT)
for _ in $(seq 100); do grep -q 'msg="agent started"' "$T/agentp.log" && break; sleep 0.1; done
sleep 1
for i in $(seq "$M"); do
	id=$(curl -s --cacert "$T/cert.pem" -H "Authorization: Bearer $ADMIN" \
		-H 'Content-Type: application/json' \
		-d '{"type":"test-ok","targets":["127.0.0.1"],"pool":"bench"}' "$URL/api/v1/scans" \
		| sed -n 's/.*"id":\([0-9]*\).*/\1/p')
	[ -n "$id" ] || { echo "pickup: the submit was refused" >&2; exit 1; }
	while [ "$(sqlite3 "$T/db" "SELECT status FROM scans WHERE id = $id")" != completed ]; do sleep 0.01; done
done
python3 - "$T/db" "$T/agentp.log" <<'EOF'
import re, sqlite3, sys, datetime
db = sqlite3.connect(sys.argv[1])
created = dict(db.execute("SELECT id, created_at FROM scans"))
d = []
for line in open(sys.argv[2]):
    m = re.search(r'ts=(\S+) .*msg="scan marked running" scan=(\d+)', line)
    if m:
        t = datetime.datetime.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S.%fZ").replace(
            tzinfo=datetime.timezone.utc).timestamp() * 1000
        d.append(t - created[int(m.group(2))])
d.sort()
print("pickup (submit -> child started), %d scans: p50 %.0f ms, p99 %.0f ms"
      % (len(d), d[len(d) // 2], d[min(len(d) - 1, int(len(d) * 0.99))]))
EOF
metric() { curl -s --cacert "$T/cert.pem" -H "Authorization: Bearer $ADMIN" "$URL/metrics" \
	| awk '/^scanq_http_requests_total\{route="agent/ { s += $NF } END { print s + 0 }'; }
r0=$(metric)
sleep 60
r1=$(metric)
pss=$(awk '/^Pss:/ { print $2 }' "/proc/$AGENT/smaps_rollup")
echo "idle agent: PSS $(( pss / 1024 )) MiB ($pss kB), $(( r1 - r0 )) requests in 60 s"
