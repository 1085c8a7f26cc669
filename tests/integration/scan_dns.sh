#!/bin/bash
# scan_dns.sh — the built-in `dns` scan against a real authoritative server:
# Debian's nsd, started here on a loopback address of its own and a free
# port, serving example.test (records of each type, a CNAME, a wildcard
# subzone *.dev, a name out of scope, AXFR allowed), closed.test (AXFR
# refused) and the reverse zone of the test's /24 (PTR names).  The scan
# finds the records, the names of its word list and the names only the
# transfer shows, reports the wildcard once, the allowed transfer as high
# and the refused one as nothing; a wildcard zone scanned with the word
# list is one finding, not one per word.  Bad options are refused at
# submit with nothing queued.  Then `dns example.test --then portscan` runs
# through serve: the port scan gets exactly the addresses in scope.
source "$(dirname "$0")/lib.sh"
cd "$T" || exit 1
LEAN=$(dirname "$SCANQ")/scanq-scan
[ -x "$LEAN" ] || fail "$LEAN is not built"
command -v nsd >/dev/null || fail "nsd is not installed (make deps-test)"

# A /24 of loopback of this run's own, so two runs (two backends) at once
# never share an address.
B=$(( RANDOM % 200 + 20 )); C=$(( RANDOM % 250 + 1 ))
NET=127.$B.$C
NS=$NET.1
export SCANQ_CONFIG=$T/scanq.ini
printf '[scope]\nallow = 127.0.0.0/8, ::1, example.test, closed.test, silent.test\n' > "$SCANQ_CONFIG"

mkdir -p "$T/nsd"
cat > "$T/nsd/example.test.zone" <<EOF
\$ORIGIN example.test.
\$TTL 300
@	IN SOA ns1.example.test. hostmaster.example.test. 2026120701 3600 600 86400 300
@	IN NS ns1.example.test.
@	IN A $NET.10
@	IN AAAA ::1
@	IN MX 10 mail.example.test.
@	IN TXT "v=spf1 mx -all"
ns1	IN A $NS
www	IN A $NET.10
mail	IN A $NET.11
vpn	IN A $NET.12
api	IN CNAME www.example.test.
outside	IN A 192.0.2.7
dev	IN A $NET.20
*.dev	IN A $NET.99
hidden-zz	IN A $NET.13
v6only	IN AAAA ::1
dual	IN A $NET.14
dual	IN AAAA ::1
EOF
cat > "$T/nsd/closed.test.zone" <<EOF
\$ORIGIN closed.test.
\$TTL 300
@	IN SOA ns1.closed.test. hostmaster.closed.test. 1 3600 600 86400 300
@	IN NS ns1.closed.test.
ns1	IN A $NS
www	IN A $NET.30
EOF
cat > "$T/nsd/silent.test.zone" <<EOF
\$ORIGIN silent.test.
\$TTL 300
@	IN SOA ns1.silent.test. hostmaster.silent.test. 1 3600 600 86400 300
@	IN NS ns1.silent.test.
ns1	IN A $NET.2
EOF
cat > "$T/nsd/reverse.zone" <<EOF
\$ORIGIN $C.$B.127.in-addr.arpa.
\$TTL 300
@	IN SOA ns1.example.test. hostmaster.example.test. 1 3600 600 86400 300
@	IN NS ns1.example.test.
10	IN PTR www.example.test.
11	IN PTR mail.example.test.
EOF

# start_nsd: nsd in the foreground on $NS:$PORT (a port that was free; tried
# again on another if it was taken meanwhile).
start_nsd() {
	local try
	for try in 1 2 3; do
		PORT=$(closed_port)
		cat > "$T/nsd/nsd.conf" <<EOF
server:
	ip-address: $NS@$PORT
	username: ""
	chroot: ""
	zonesdir: "$T/nsd"
	database: ""
	zonelistfile: "$T/nsd/zone.list"
	xfrdfile: "$T/nsd/xfrd.state"
	pidfile: "$T/nsd/nsd.pid"
	logfile: "$T/nsd/nsd.log"
	server-count: 1
	rrl-ratelimit: 0
remote-control:
	control-enable: no
zone:
	name: example.test
	zonefile: example.test.zone
	provide-xfr: 127.0.0.0/8 NOKEY
zone:
	name: closed.test
	zonefile: closed.test.zone
zone:
	name: silent.test
	zonefile: silent.test.zone
zone:
	name: $C.$B.127.in-addr.arpa
	zonefile: reverse.zone
EOF
		: > "$T/nsd/nsd.log"
		nsd -d -c "$T/nsd/nsd.conf" > "$T/nsd.log" 2>&1 &
		NSD_PID=$!
		pids+=($NSD_PID)
		for _ in $(seq 100); do
			grep -q 'nsd started' "$T/nsd/nsd.log" "$T/nsd.log" 2>/dev/null && return 0
			kill -0 "$NSD_PID" 2>/dev/null || break
			sleep 0.1
		done
		kill "$NSD_PID" 2>/dev/null; wait "$NSD_PID" 2>/dev/null
	done
	fail "nsd did not start: $(cat "$T/nsd.log" "$T/nsd/nsd.log")"
}
start_nsd
OPTS='"resolver":"'$NS:$PORT'","ns_port":'$PORT
printf 'www\nmail\nvpn\napi\ndev\nns1\noutside\nnope\nnothing-here\n# a comment\n\n' > "$T/words"

# has KIND TARGET [TEXT]: the output has a finding of that kind and target
# (containing TEXT).
has() { grep "\"kind\":\"$1\",\"target\":\"$2\"" "$T/out" | grep -qF -- "${3:-}"; }

"$LEAN" dns example.test closed.test $NET.8/29 --json --options "{$OPTS,\"wordlist\":\"$T/words\"}" \
	> "$T/out" 2> "$T/err" || fail "dns scan failed: $(cat "$T/out" "$T/err")"
for rec in "A $NET.10" "AAAA ::1" "MX 10 mail.example.test" "NS ns1.example.test" 'TXT \"v=spf1 mx -all\"' \
	   "SOA ns1.example.test hostmaster.example.test 2026120701"; do
	has dns_record example.test "\"title\":\"example.test $rec" || fail "no record '$rec': $(grep dns_record "$T/out")"
done
ok "the domain's A, AAAA, MX, NS, TXT and SOA records are reported"

for n in www mail vpn dev ns1; do
	has dns_name $n.example.test '"source":"wordlist"' || fail "$n.example.test not found: $(grep dns_name "$T/out")"
done
has dns_name api.example.test "\"addresses\":[\"$NET.10\"]" || fail "api: no address through its CNAME"
has dns_name api.example.test '"cname":"www.example.test"' || fail "api: CNAME not recorded"
has dns_name www.closed.test || fail "www.closed.test not found"
grep -q 'nope\.\|nothing-here\.' "$T/out" && fail "a name that does not exist was reported"
ok "the word list's names are found (a CNAME with its target's address); missing ones are not"

[ "$(grep -c '"kind":"dns_wildcard"' "$T/out")" = 1 ] || fail "wildcards: $(grep dns_wildcard "$T/out")"
has dns_wildcard '\*.dev.example.test' || fail "the wildcard under dev is not *.dev.example.test"
ok "the wildcard subzone *.dev.example.test is reported, once"

has dns_axfr example.test '"severity":"high"' || fail "no high AXFR finding: $(grep axfr "$T/out")"
has dns_axfr example.test '"hidden-zz.example.test"' || fail "the transfer's names are not listed"
has dns_name hidden-zz.example.test '"source":"axfr"' || fail "a name only the transfer shows is not found"
has dns_axfr closed.test && fail "a refused transfer was reported as allowed"
grep '"summary"' "$T/out" | grep -q '"zone":"closed.test","server":"ns1.closed.test","address":"'$NS'","result":"refused"' \
	|| fail "the refused transfer is not in the summary: $(grep summary "$T/out")"
ok "an allowed zone transfer is a high finding with its names; a refused one is only noted"

has dns_ptr $NET.10 '"name":"www.example.test"' || fail "no PTR for $NET.10: $(grep dns_ptr "$T/out")"
has dns_ptr $NET.11 '"name":"mail.example.test"' || fail "no PTR for $NET.11"
[ "$(grep -c '"kind":"dns_ptr"' "$T/out")" = 2 ] || fail "PTR findings for addresses without a name"
ok "reverse names of an address range are reported"

has dns_name outside.example.test '"out_of_scope":["192.0.2.7"]' || fail "the out-of-scope address is not marked"
has host 192.0.2.7 && fail "an address out of scope became a host finding"
has host $NET.10 '"www.example.test"' || fail "no host finding for $NET.10"
ok "resolved addresses in scope are host findings; one out of scope is only noted"

"$LEAN" dns dev.example.test --json --options "{$OPTS,\"wordlist\":\"$T/words\"}" > "$T/out" \
	|| fail "wildcard zone scan failed"
[ "$(grep -c '"kind":"dns_name"' "$T/out")" = 0 ] || fail "a wildcard zone flooded names: $(grep dns_name "$T/out")"
[ "$(grep -c '"kind":"dns_wildcard"' "$T/out")" = 1 ] || fail "the wildcard zone is not reported once"
has dns_wildcard '\*.dev.example.test' '"words_hidden":9' || fail "words hidden by the wildcard not counted"
ok "a wildcard zone scanned with a word list is one finding, not one per word"

"$LEAN" dns example.test --json --options "{$OPTS}" > "$T/out" || fail "scan with the built-in list failed"
for n in www mail vpn api dev ns1; do has dns_name $n.example.test || fail "built-in list: $n not found"; done
words=$(grep '"summary"' "$T/out" | sed 's/.*"words":\([0-9]*\).*/\1/')
[ "$words" -ge 1000 ] && [ "$words" -le 5000 ] || fail "the built-in list has $words names"
grep -q '"progress":1' "$T/out" || fail "no final progress"
ok "the built-in word list ($words names) finds the common names"

# A word's AAAA is asked only when its A did not say NXDOMAIN: a name with
# an AAAA and no A, and one with both, are found with their addresses.
printf 'v6only\ndual\nnope\n' > "$T/words6"
"$LEAN" dns example.test --json --options "{$OPTS,\"wordlist\":\"$T/words6\",\"axfr\":false}" > "$T/out" \
	|| fail "v6 scan failed: $(cat "$T/out")"
has dns_name v6only.example.test '"addresses":["::1"]' || fail "v6only: $(grep dns_name "$T/out")"
has dns_name dual.example.test "\"addresses\":[\"$NET.14\",\"::1\"]" || fail "dual: $(grep dns_name "$T/out")"
grep '"summary"' "$T/out" | grep -q '"aaaa_skipped":1' || fail "nope's AAAA was asked: $(grep summary "$T/out")"
ok "a word's AAAA is asked unless its A said NXDOMAIN (an AAAA-only name and a dual one are found)"

# Progress once a second: at 800 queries/s the list takes about 3 s.
start=$(date +%s%N)
"$LEAN" dns example.test --json --options "{$OPTS,\"rate\":800,\"axfr\":false}" > "$T/out" || fail "paced scan failed"
ms=$(( ($(date +%s%N) - start) / 1000000 ))
n=$(grep -c '"progress":0\.' "$T/out")
q=$(grep '"summary"' "$T/out" | sed 's/.*"queries":\([0-9]*\).*/\1/')
[ "$ms" -ge $(( q * 1000 / 800 * 9 / 10 )) ] || fail "$q queries at 800/s took only $ms ms: the rate is not held"
[ "$ms" -ge 2000 ] || fail "the paced scan took only $ms ms ($q queries)"
[ "$n" -ge $(( ms / 1000 - 1 )) ] && [ "$n" -le $(( ms / 1000 + 1 )) ] \
	|| fail "$n progress lines in $ms ms, not one a second"
ok "the rate is held and progress comes once a second ($n lines in $ms ms)"

# A name server that accepts the transfer's connection and never answers
# costs one timeout, not a hang.
perl -MIO::Socket::INET -e '
	my $s = IO::Socket::INET->new(Listen => 8, LocalAddr => $ARGV[0], LocalPort => $ARGV[1], ReuseAddr => 1) or die;
	my @keep; while (my $c = $s->accept) { push @keep, $c; }' $NET.2 "$PORT" &
pids+=($!)
wait_for 10 "the silent name server" bash -c "exec 3<>/dev/tcp/$NET.2/$PORT"
start=$(date +%s%N)
"$LEAN" dns silent.test --json --options "{$OPTS,\"subdomains\":false,\"timeout_ms\":500}" > "$T/out" \
	|| fail "silent.test scan failed: $(cat "$T/out")"
ms=$(( ($(date +%s%N) - start) / 1000000 ))
has dns_axfr silent.test && fail "a silent name server counted as a transfer"
grep '"summary"' "$T/out" | grep -q '"zone":"silent.test","server":"ns1.silent.test","address":"'$NET.2'","result":"[^"]*","records":0' \
	|| fail "the silent transfer is not in the summary: $(grep summary "$T/out")"
[ "$ms" -lt 5000 ] || fail "a silent name server held the scan $ms ms (timeout 500 ms)"
ok "a name server that never answers the transfer costs a timeout ($ms ms): $(grep -o '"zone":"silent.test"[^}]*' "$T/out" | sed 's/.*"result":"\([^"]*\)".*/\1/')"

# A resolver that never answers costs its timeouts, then fails the scan.
perl -MIO::Socket::INET -e '
	my $s = IO::Socket::INET->new(LocalAddr => "127.0.0.1", LocalPort => 0, Proto => "udp") or die;
	open(my $f, ">", "$ARGV[0].tmp") or die; print $f $s->sockport, "\n"; close $f;
	rename("$ARGV[0].tmp", $ARGV[0]); sleep 600' "$T/silent" &
pids+=($!)
wait_for 10 "the silent resolver" test -s "$T/silent"
start=$(date +%s%N)
"$LEAN" dns example.test --json --options '{"resolver":"127.0.0.1:'"$(cat "$T/silent")"'","subdomains":false,"timeout_ms":300}' \
	> "$T/out" 2>/dev/null && fail "a scan against a silent resolver succeeded"
ms=$(( ($(date +%s%N) - start) / 1000000 ))
grep -q '"code":"scanner_error","message":"resolver 127.0.0.1:[0-9]* answered none of 7 queries (7 errors)"' "$T/out" \
	|| fail "silent resolver: $(cat "$T/out")"
[ "$ms" -lt 5000 ] || fail "a silent resolver held the scan $ms ms (timeout 300 ms, two tries)"
ok "a resolver that never answers fails the scan after its timeouts ($ms ms), with a reason"

# Bad input: a clear one-line error, nothing queued.
q migrate >/dev/null || fail "migrate"
before=$(sql "SELECT count(*) FROM scans")
bad() {
	local want=$1; shift
	out=$(q submit dns "$@" 2>&1) && fail "accepted: $*"
	echo "$out" | grep -q "$want" || fail "error for '$*' is '$out', not '$want'"
	[ "$(echo "$out" | wc -l)" = 1 ] || fail "error for '$*' is not one line: $out"
}
bad "not a valid\|invalid" 'exa mple..test'
bad "wordlist '/nonexistent/words' cannot be read" example.test --options '{"wordlist":"/nonexistent/words"}'
bad "resolver 192.0.2.53 is out of scope" example.test --options '{"resolver":"192.0.2.53:53"}'
bad "resolver 'ns.example' is not ADDRESS" example.test --options '{"resolver":"ns.example"}'
bad "unknown option 'wordlst'" example.test --options '{"wordlst":"/etc/hostname"}'
bad "option rate must be an integer" example.test --options '{"rate":0}'
bad "out of scope" example.com
[ "$(sql "SELECT count(*) FROM scans")" = "$before" ] || fail "a refused submit queued a scan"
out=$("$LEAN" dns example.test --json --options '{"resolver":"192.0.2.53"}' 2>/dev/null) && fail "scanner accepted an out-of-scope resolver"
echo "$out" | grep -q '"code":"out_of_scope"' || fail "scanner: $out"
printf 'www\nbad_name!\n' > "$T/badwords"
out=$("$LEAN" dns example.test --options "{$OPTS,\"wordlist\":\"$T/badwords\"}" 2>&1) && fail "a bad word list was used"
echo "$out" | grep -q "line 2: 'bad_name!' is not a valid name" || fail "bad word list: $out"
ok "a bad domain, word list, resolver or option is refused in one line and queues nothing"

# The chain: names found become the port scan's targets, in scope only.
P=$(closed_port)
banner_on "$P" "SSH-2.0-test" $NET.10
banner_on "$P" "SSH-2.0-test" $NET.11
start_serve --workers 1 --concurrency 2
code=$(req POST /api/v1/scans -H 'Content-Type: application/json' \
	-d '{"type":"dns","targets":["example.test"],"options":{"resolver":"192.0.2.53"}}')
[ "$code" = 403 ] && grep -q 'resolver 192.0.2.53 is out of scope' "$dir/body" || fail "API, resolver out of scope: $code $(cat "$dir/body")"
code=$(req POST /api/v1/scans -H 'Content-Type: application/json' \
	-d '{"type":"dns","targets":["example.test"],"options":{"wordlist":"/nonexistent/words"}}')
[ "$code" = 422 ] && grep -q "wordlist '/nonexistent/words' cannot be read" "$dir/body" || fail "API, bad word list: $code $(cat "$dir/body")"
[ "$(sql "SELECT count(*) FROM scans")" = "$before" ] || fail "a refused API submit queued a scan"
ok "the API refuses the same options (403 out of scope, 422 bad word list) and queues nothing"
root=$(q submit dns example.test --options "{$OPTS,\"wordlist\":\"$T/words\"}" --then "portscan:$P") \
	|| fail "submit of the chain"
finished() { sql_is "SELECT count(*) FROM scans WHERE status NOT IN ('completed', 'failed', 'cancelled')" 0; }
wait_for 60 "the chain of $root to finish" finished
[ "$(status "$root")" = completed ] || fail "dns stage: $(status "$root")"
ps=$(sql "SELECT id FROM scans WHERE parent_id = $root AND type = 'portscan'")
[ -n "$ps" ] || fail "no portscan stage: $(sql "SELECT id, type, status FROM scans")"
targets=$(sql "SELECT targets FROM scans WHERE id = $ps" | tr -d '[]"' | tr , '\n' | sort | paste -sd,)
hosts=$(sql "SELECT target FROM findings WHERE scan_id = $root AND kind = 'host'" | sort | paste -sd,)
[ "$targets" = "$hosts" ] || fail "portscan targets '$targets', host findings '$hosts'"
echo ",$targets," | grep -q ",$NET.10," || fail "$NET.10 not a target: $targets"
echo ",$targets," | grep -q "192.0.2" && fail "an out-of-scope address became a target: $targets"
for t in $(echo "$targets" | tr , ' '); do
	case $t in 127.*|::1) ;; *) fail "target $t is not loopback" ;; esac
done
[ "$(status "$ps")" = completed ] || fail "portscan stage: $(status "$ps")"
open=$(sql "SELECT target FROM findings WHERE scan_id = $ps AND kind = 'open_port' AND port = $P" | sort | paste -sd,)
[ "$open" = "$NET.10,$NET.11" ] || fail "open ports found on '$open'"
ok "dns example.test --then portscan: the names' addresses in scope are scanned, nothing else"

# The names the dns stage found are hostnames of their addresses in the
# inventory: the CLI (JSON and text) and the API.
sq inventory --json > "$T/inv" || fail "inventory failed"
python3 - "$T/inv" "$NET.10" "$P" <<'PY' || fail "inventory hostnames: $(cat "$T/inv")"
import json, sys
items = json.load(open(sys.argv[1]))
rows = [i for i in items if i["target"] == sys.argv[2]]
assert rows, "no row for " + sys.argv[2]
for r in rows:
    names = {h["name"]: h for h in r["hostnames"]}
    assert "www.example.test" in names, names
    assert names["www.example.test"]["sources"] == ["dns"], names
    assert names["www.example.test"]["first_seen"] > 0 and names["www.example.test"]["last_scan"] > 0, names
    assert all(h["name"] != sys.argv[2] for h in r["hostnames"]), "an address named itself"
assert any(r["port"] == int(sys.argv[3]) for r in rows), "no open port row"
PY
sq inventory --target "$NET.10" | grep -q "www.example.test" || fail "text inventory: $(sq inventory --target "$NET.10")"
code=$(req GET "/api/v1/inventory?target=$NET.10")
[ "$code" = 200 ] && grep -q '"hostnames":\[{"name":"[a-z.]*example.test"' "$dir/body" || fail "API inventory: $code $(cat "$dir/body")"
ok "the dns stage's names are hostnames of their addresses in the inventory (CLI, JSON, API)"

kill "$NSD_PID"; wait "$NSD_PID" 2>/dev/null
kill -0 "$NSD_PID" 2>/dev/null && fail "nsd did not stop"
ok "nsd stopped"
