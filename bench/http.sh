#!/bin/bash
# bench/http.sh — the built-in `http` scan against nmap's service and
# script scan over loopback web endpoints (started here; loopback only).
#
#   bench/http.sh [RUNS] [ADDRS] [PORTS_PER_ADDR]   (defaults 2, 20, 50:
#   1,000 endpoints; SCANQ_SCAN=path/to/scanq-scan, default build/scanq-scan)
#
# The endpoints: one Debian nginx (nginx-light, one worker process)
# listening on ADDRS addresses 127.0.1.1... x PORTS_PER_ADDR ports, the
# first half of the ports TLS (a certificate per address with two DNS
# SANs), the rest plain; every page is titled "Bench ADDR:PORT".  Runs,
# interleaved (A B A B), RUNS times each:
#   scanq-scan http 127.0.1.1-N --ports P1,...,Pn --json         (default options)
#   nmap -sV --script http-title,http-server-header,ssl-cert -Pn -n -p P1,...,Pn -oX FILE 127.0.1.1-N
# and checks that both found, per endpoint, the same title, the same
# Server and (TLS) the same certificate names.  Prints each pair's times
# and ratio (nmap / scanq), and the medians.
set -u
cd "$(dirname "$0")/.." || exit 1
RUNS=${1:-2}
NADDR=${2:-20}
NPORT=${3:-50}
SCAN=${SCANQ_SCAN:-build/scanq-scan}
[ -x "$SCAN" ] || { echo "error: $SCAN is not built (make all)" >&2; exit 1; }
for t in nmap openssl python3 nginx; do
	command -v "$t" >/dev/null || { echo "error: $t is not installed (make deps-test)" >&2; exit 1; }
done

T=$(mktemp -d "${TMPDIR:-/tmp}/scanq-bench-XXXXXX")
PIDS=""
trap 'for p in $PIDS; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$T"' EXIT
export SCANQ_CONFIG=/dev/null

for i in $(seq "$NADDR"); do
	a=127.0.1.$i
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/$a.key" -out "$T/$a.crt" -days 365 \
		-subj "/CN=bench-$i.test" -addext "subjectAltName=DNS:bench-$i.test,DNS:www.bench-$i.test" \
		2>/dev/null || exit 1
done
# NPORT ports free on every address: a run of ports from 20000 up.
ports=""; p=20000; n=0
while [ "$n" -lt "$NPORT" ]; do
	p=$((p + 1))
	ss -Htln "sport = :$p" | grep -q . && continue
	ports="$ports${ports:+,}$p"; n=$((n + 1))
done
# One nginx serves them all: a server block per address.
mkdir -p "$T/nginx/logs"
{
	echo "worker_processes 1; pid $T/nginx/pid; error_log $T/nginx/error.log; daemon off;"
	echo "events { worker_connections 4096; }"
	echo "http { access_log off; client_body_temp_path $T/nginx/body; proxy_temp_path $T/nginx/proxy;"
	echo "  fastcgi_temp_path $T/nginx/fcgi; uwsgi_temp_path $T/nginx/uwsgi; scgi_temp_path $T/nginx/scgi;"
	for i in $(seq "$NADDR"); do
		a=127.0.1.$i
		echo "  server { ssl_certificate $T/$a.crt; ssl_certificate_key $T/$a.key;"
		k=0
		for p in ${ports//,/ }; do
			k=$((k + 1))
			if [ "$k" -le $((NPORT / 2)) ]; then echo "    listen $a:$p ssl;"; else echo "    listen $a:$p;"; fi
		done
		echo '    location = /favicon.ico { return 404; }'
		echo '    location / { default_type text/html; return 200 "<html><head><title>Bench $server_addr:$server_port</title></head><body>ok</body></html>\n"; } }'
	done
	echo "}"
} > "$T/nginx/nginx.conf"
nginx -p "$T/nginx" -c "$T/nginx/nginx.conf" 2>"$T/nginx/start.log" &
PIDS="$PIDS $!"
last=${ports##*,}
for _ in $(seq 300); do (exec 3<>"/dev/tcp/127.0.1.$NADDR/$last") 2>/dev/null && break; sleep 0.1; done
(exec 3<>"/dev/tcp/127.0.1.$NADDR/$last") 2>/dev/null \
	|| { echo "error: nginx did not start: $(cat "$T/nginx/start.log" "$T/nginx/error.log" 2>/dev/null)" >&2; exit 1; }
targets="127.0.1.1-$NADDR"

# results: "addr port title|server|names" per endpoint, sorted.
scanq_results() {
	python3 -c '
import json, sys
for line in open(sys.argv[1]):
    f = json.loads(line).get("finding")
    if not f or f["kind"] != "http" or "check" in f["detail"]:
        continue
    d = f["detail"]
    names = sorted(s[4:] for s in (d.get("certificate") or {}).get("sans", []) if s.startswith("DNS:"))
    print(f["target"], f["port"], "%s|%s|%s" % (d["html_title"], d["server"], ",".join(names)))' "$1" | sort
}
nmap_results() {
	python3 -c '
import sys, xml.etree.ElementTree as E
for h in E.parse(sys.argv[1]).getroot().iter("host"):
    addr = h.find("address").get("addr")
    for p in h.iter("port"):
        if p.find("state").get("state") != "open":
            continue
        s = {x.get("id"): x for x in p.iter("script")}
        title = s["http-title"].findtext("elem[@key=\"title\"]") if "http-title" in s else None
        server = s["http-server-header"].findtext("elem") if "http-server-header" in s else None
        names = []
        if "ssl-cert" in s:
            for t in s["ssl-cert"].iter("table"):
                if t.get("key") == "extensions":
                    for ext in t.iter("table"):
                        if ext.findtext("elem[@key=\"name\"]") == "X509v3 Subject Alternative Name":
                            names = sorted(n.strip()[4:] for n in ext.findtext("elem[@key=\"value\"]").split(","))
        print(addr, p.get("portid"), "%s|%s|%s" % (title, server, ",".join(names)))' "$1" | sort
}

now() { date +%s.%N; }
median() { sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
: > "$T/a.times"; : > "$T/b.times"
total=$((NADDR * NPORT))
echo "$total endpoints ($NADDR addresses x $NPORT ports, half TLS)"
printf '%-4s %-10s %-10s %-8s %s\n' pair scanq_s nmap_s ratio same_results
for r in $(seq "$RUNS"); do
	t0=$(now)
	"$SCAN" http "$targets" --ports "$ports" --json > "$T/scanq.out" || { echo "error: scanq http failed" >&2; exit 1; }
	t1=$(now)
	nmap -sV --script http-title,http-server-header,ssl-cert -Pn -n -p "$ports" -oX "$T/nmap.xml" "$targets" \
		> /dev/null 2>"$T/nmap.err" || { echo "error: nmap failed: $(cat "$T/nmap.err")" >&2; exit 1; }
	t2=$(now)
	a=$(awk "BEGIN { print $t1 - $t0 }"); b=$(awk "BEGIN { print $t2 - $t1 }")
	echo "$a" >> "$T/a.times"; echo "$b" >> "$T/b.times"
	scanq_results "$T/scanq.out" > "$T/r.scanq"; nmap_results "$T/nmap.xml" > "$T/r.nmap"
	same=yes; cmp -s "$T/r.scanq" "$T/r.nmap" || same=NO
	[ "$(wc -l < "$T/r.scanq")" = "$total" ] || same=NO
	printf '%-4s %-10.3f %-10.3f %-8.1f %s\n' "$r" "$a" "$b" "$(awk "BEGIN { print $b / $a }")" "$same"
	if [ "$same" != yes ]; then
		echo "error: results differ (addr port title|server|names), scanq < > nmap:" >&2
		diff "$T/r.scanq" "$T/r.nmap" | head -20 >&2
		exit 1
	fi
done
ma=$(median < "$T/a.times"); mb=$(median < "$T/b.times")
echo
echo "per endpoint (both): $(awk -F'|' '$3 != "" { tls++ } END { print NR " with a title and a server, " tls " with certificate names" }' "$T/r.scanq")"
awk -v a="$ma" -v b="$mb" 'BEGIN { printf "median wall time: scanq http %.3f s, nmap %.3f s, nmap/scanq = %.1fx\n", a, b, b / a }'
