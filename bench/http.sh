#!/bin/bash
# bench/http.sh — the built-in `http` scan against nmap's service and
# script scan over loopback web endpoints (started here; loopback only).
#
#   bench/http.sh [RUNS] [ADDRS] [PORTS_PER_ADDR]   (defaults 2, 20, 50:
#   1,000 endpoints; SCANQ_SCAN=path/to/scanq-scan, default build/scanq-scan;
#   PEERS="nmap whatweb", default "nmap": which peers run)
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
#
# With whatweb in PEERS (Debian's package, installed here with apt-get
# when missing: a benchmark's dependency, not the test suite's), each
# round also runs
#   whatweb --no-errors -q --log-json=FILE -i URLS     (the same endpoints)
# and compares the technologies each names per endpoint, for the entries of
# scanq's table (src/scan/webtech.tsv) that whatweb has a plugin for
# (same name, or the names mapped below).  The ports play a technology
# each, in turn (nginx headers and page lines from the table's test
# cases): none, PHP, WordPress, Drupal, Varnish, jQuery + Bootstrap,
# Joomla, Jenkins.  Agreement is reported per technology, not required:
# the two tools' patterns differ.
set -u
cd "$(dirname "$0")/.." || exit 1
RUNS=${1:-2}
NADDR=${2:-20}
NPORT=${3:-50}
SCAN=${SCANQ_SCAN:-build/scanq-scan}
[ -x "$SCAN" ] || { echo "error: $SCAN is not built (make all)" >&2; exit 1; }
PEERS=${PEERS:-nmap}
for t in openssl python3 nginx; do
	command -v "$t" >/dev/null || { echo "error: $t is not installed (make deps-test)" >&2; exit 1; }
done
case " $PEERS " in *" nmap "*) command -v nmap >/dev/null || { echo "error: nmap is not installed (make deps-test)" >&2; exit 1; } ;; esac
case " $PEERS " in *" whatweb "*)
	if ! command -v whatweb >/dev/null; then
		[ "$(id -u)" = 0 ] && command -v apt-get >/dev/null \
			|| { echo "error: whatweb is not installed (apt-get install whatweb)" >&2; exit 1; }
		echo "installing Debian's whatweb (apt-get install whatweb)"
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q whatweb >/dev/null \
			|| { echo "error: apt-get install whatweb failed" >&2; exit 1; }
	fi ;;
esac

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
	# The technology each port plays: port k (from 0) plays k mod 8.
	echo "  map \$server_port \$bench_html {"
	k=0
	for p in ${ports//,/ }; do
		case $((k % 8)) in
		2) echo "    $p '<meta name=\"generator\" content=\"WordPress 6.3.1\" /><link rel=\"stylesheet\" href=\"/wp-content/themes/x/style.css\">';" ;;
		5) echo "    $p '<script src=\"/static/jquery-3.6.4.min.js\"></script><link rel=\"stylesheet\" href=\"/css/bootstrap.min.css\">';" ;;
		6) echo "    $p '<meta name=\"generator\" content=\"Joomla! - Open Source Content Management\" />';" ;;
		esac
		k=$((k + 1))
	done
	echo "    default ''; }"
	for h in 1:xpb 3:xgen 4:xvarnish 4:via 7:xjenkins; do
		echo "  map \$server_port \$bench_${h#*:} {"
		k=0
		for p in ${ports//,/ }; do
			if [ $((k % 8)) = "${h%%:*}" ]; then
				case ${h#*:} in
				xpb) echo "    $p 'PHP/8.2.7';" ;;
				xgen) echo "    $p 'Drupal 10 (https://www.drupal.org)';" ;;
				xvarnish) echo "    $p '32770 3';" ;;
				via) echo "    $p '1.1 varnish (Varnish/7.1)';" ;;
				xjenkins) echo "    $p '2.401.3';" ;;
				esac
			fi
			k=$((k + 1))
		done
		echo "    default ''; }"
	done
	for i in $(seq "$NADDR"); do
		a=127.0.1.$i
		echo "  server { ssl_certificate $T/$a.crt; ssl_certificate_key $T/$a.key;"
		k=0
		for p in ${ports//,/ }; do
			k=$((k + 1))
			if [ "$k" -le $((NPORT / 2)) ]; then echo "    listen $a:$p ssl;"; else echo "    listen $a:$p;"; fi
		done
		echo '    location = /favicon.ico { return 404; }'
		echo '    location / { default_type text/html; add_header X-Powered-By $bench_xpb; add_header X-Generator $bench_xgen;'
		echo '      add_header X-Varnish $bench_xvarnish; add_header Via $bench_via; add_header X-Jenkins $bench_xjenkins;'
		echo '      return 200 "<html><head><title>Bench $server_addr:$server_port</title>$bench_html</head><body>ok</body></html>\n"; } }'
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

# The whatweb plugin of a table entry named otherwise (the rest match by
# name, ignoring case).
WHATWEB_NAMES='{"Apache HTTP Server": "Apache", "Microsoft IIS": "Microsoft-IIS", "ASP.NET": "ASP_NET",
  "Apache Tomcat": "Apache-Tomcat", "Citrix NetScaler": "Citrix-NetScaler", "MikroTik RouterOS": "MikroTik",
  "Microsoft Exchange OWA": "Outlook-Web-App", "Ruby on Rails": "Ruby-on-Rails"}'
# technologies SCANQ_OUT WHATWEB_JSON: per comparable table entry, on how
# many endpoints scanq named it, whatweb named it, and both.
technologies() {
	python3 - "$1" "$2" "$WHATWEB_NAMES" <<'EOF'
import glob, json, re, sys
names = {l.split("\t")[0] for l in open("src/scan/webtech.tsv") if l.strip() and not l.startswith("#")}
plugins = set()
for f in glob.glob("/usr/share/whatweb/plugins/*.rb") + glob.glob("/usr/share/whatweb/my-plugins/*.rb"):
    m = re.search(r'^\s*name\s+"([^"]+)"', open(f, errors="replace").read(), re.M)
    if m:
        plugins.add(m.group(1))
lower = {p.lower(): p for p in plugins}
mapped = json.loads(sys.argv[3])
table = {}
for n in names:
    p = mapped.get(n) or lower.get(n.lower())
    if p in plugins:
        table[n] = p
sq, ww = {}, {}
for line in open(sys.argv[1]):
    f = json.loads(line).get("finding")
    if not f or f["kind"] != "http" or "check" in f["detail"]:
        continue
    key = "%s:%s" % (f["target"], f["port"])
    sq[key] = {t["name"] for t in f["detail"].get("technologies") or [] if t["name"] in table}
for r in json.load(open(sys.argv[2])):
    m = re.match(r"https?://([^/]+)/", r["target"])
    rev = {v: k for k, v in table.items()}
    ww[m.group(1)] = {rev[p] for p in r.get("plugins", {}) if p in rev}
keys = set(sq) | set(ww)
print("endpoints: scanq %d, whatweb %d; table entries comparable: %d of %d" % (len(sq), len(ww), len(table), len(names)))
for n in sorted(table, key=str.lower):
    a = sum(1 for k in keys if n in sq.get(k, ())); b = sum(1 for k in keys if n in ww.get(k, ()))
    both = sum(1 for k in keys if n in sq.get(k, ()) and n in ww.get(k, ()))
    if a or b:
        print("  %-22s scanq %4d  whatweb %4d  both %4d  %s" % (n + " (" + table[n] + ")", a, b, both,
              "agree" if a == b == both else "DISAGREE"))
EOF
}

now() { date +%s.%N; }
median() { sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
: > "$T/a.times"; : > "$T/b.times"; : > "$T/c.times"
total=$((NADDR * NPORT))
# whatweb's targets: a URL per endpoint, https on the first half of the ports.
: > "$T/urls"
for i in $(seq "$NADDR"); do
	k=0
	for p in ${ports//,/ }; do
		k=$((k + 1))
		if [ "$k" -le $((NPORT / 2)) ]; then echo "https://127.0.1.$i:$p/"; else echo "http://127.0.1.$i:$p/"; fi
	done
done >> "$T/urls"
echo "$total endpoints ($NADDR addresses x $NPORT ports, half TLS); peers: $PEERS; load $(cut -d' ' -f1-3 /proc/loadavg)"
for r in $(seq "$RUNS"); do
	t0=$(now)
	"$SCAN" http "$targets" --ports "$ports" --json > "$T/scanq.out" || { echo "error: scanq http failed" >&2; exit 1; }
	t1=$(now)
	a=$(awk "BEGIN { print $t1 - $t0 }")
	echo "$a" >> "$T/a.times"
	scanq_results "$T/scanq.out" > "$T/r.scanq"
	line=$(printf 'pair %-3s scanq %.3f s' "$r" "$a")
	case " $PEERS " in *" nmap "*)
		t1=$(now)
		nmap -sV --script http-title,http-server-header,ssl-cert -Pn -n -p "$ports" -oX "$T/nmap.xml" "$targets" \
			> /dev/null 2>"$T/nmap.err" || { echo "error: nmap failed: $(cat "$T/nmap.err")" >&2; exit 1; }
		b=$(awk "BEGIN { print $(now) - $t1 }")
		echo "$b" >> "$T/b.times"
		nmap_results "$T/nmap.xml" > "$T/r.nmap"
		same=yes; cmp -s "$T/r.scanq" "$T/r.nmap" || same=NO
		[ "$(wc -l < "$T/r.scanq")" = "$total" ] || same=NO
		line="$line$(printf ' | nmap %.3f s, %.1fx, same results: %s' "$b" "$(awk "BEGIN { print $b / $a }")" "$same")"
		if [ "$same" != yes ]; then
			echo "$line"
			echo "error: results differ (addr port title|server|names), scanq < > nmap:" >&2
			diff "$T/r.scanq" "$T/r.nmap" | head -20 >&2
			exit 1
		fi ;;
	esac
	case " $PEERS " in *" whatweb "*)
		rm -f "$T/whatweb.json"	# whatweb appends to a log that exists
		t1=$(now)
		whatweb --no-errors -q --log-json="$T/whatweb.json" -i "$T/urls" > /dev/null 2>"$T/whatweb.err" \
			|| { echo "error: whatweb failed: $(tail -3 "$T/whatweb.err")" >&2; exit 1; }
		c=$(awk "BEGIN { print $(now) - $t1 }")
		echo "$c" >> "$T/c.times"
		line="$line$(printf ' | whatweb %.3f s, %.1fx' "$c" "$(awk "BEGIN { print $c / $a }")")"
		technologies "$T/scanq.out" "$T/whatweb.json" > "$T/tech.$r" ;;
	esac
	echo "$line"
done
ma=$(median < "$T/a.times")
echo
echo "per endpoint (scanq): $(awk -F'|' '$3 != "" { tls++ } END { print NR " with a title and a server, " tls " with certificate names" }' "$T/r.scanq")"
echo "median wall time: scanq http $ma s"
if [ -s "$T/b.times" ]; then
	mb=$(median < "$T/b.times")
	awk -v a="$ma" -v b="$mb" 'BEGIN { printf "  nmap %.3f s, nmap/scanq = %.1fx\n", b, b / a }'
fi
if [ -s "$T/c.times" ]; then
	mc=$(median < "$T/c.times")
	awk -v a="$ma" -v c="$mc" 'BEGIN { printf "  whatweb %.3f s, whatweb/scanq = %.1fx\n", c, c / a }'
	echo "technologies named (last round), table entries whatweb has a plugin for:"
	cat "$T/tech.$RUNS"
fi
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
