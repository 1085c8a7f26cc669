#!/bin/bash
# scan_exclude.sh — the global exclusion list (`scanq exclude`, [scope]
# exclude, /api/v1/exclusions), on both backends.  NET is a loopback /29 of
# this run's own.  A listener on NET.3, excluded, counts every connection
# it accepts: a port scan of NET.0/29 never connects to it, while the
# listener on NET.2 is found, and the summary counts the one address
# skipped.  A submit whose targets are all excluded (by the store's list or
# by [scope] exclude) is refused with the database unchanged, as is every
# bad entry.  A chain's discovery finds an address that is excluded while
# it runs: the next stage never gets it.
source "$(dirname "$0")/lib.sh"
export SCANQ_CONFIG=/dev/null

# count_listener FILE ADDR: a listener on ADDR (free port, in FILE) that
# appends a line to FILE.hits for every connection it accepts.
count_listener() {
	local file=$1 addr=$2
	perl -MIO::Socket::INET -e '
		my ($file, $addr) = @ARGV;
		my $s = IO::Socket::INET->new(Listen => 64, LocalAddr => $addr, LocalPort => 0,
			ReuseAddr => 1) or die "listen $addr: $!";
		open(my $f, ">", "$file.tmp") or die; print $f $s->sockport, "\n"; close $f;
		rename("$file.tmp", $file);
		$SIG{PIPE} = "IGNORE";
		while (my $c = $s->accept) {
			open(my $h, ">>", "$file.hits") or die; print $h "hit\n"; close $h; close $c;
		}
	' "$file" "$addr" &
	pids+=($!)
	wait_for 10 "the listener on $addr" test -s "$file"
	: >>"$file.hits"
}

NET=127.$((100 + RANDOM % 100)).$((RANDOM % 256))

# ---- bad input changes nothing -------------------------------------------------
q migrate >/dev/null || fail "migrate"
before=$(db_hash)
for bad in "10.0.0.0/33" "not a cidr" "300.1.1.1" ""; do
	out=$(q exclude add "$bad" 2>&1) && fail "exclude add '$bad' was accepted"
	echo "$out" | grep -q "bad exclusion" || fail "exclude add '$bad': unclear error: $out"
done
out=$(q exclude rm 10.9.9.9 2>&1) && fail "exclude rm of an entry not listed succeeded"
echo "$out" | grep -q "no exclusion '10.9.9.9'" || fail "exclude rm: unclear error: $out"
long=$(head -c 300 /dev/zero | tr '\0' x)
q exclude add 10.1.0.0/16 --reason "$long" >/dev/null 2>&1 && fail "a 300-byte reason was accepted"
[ "$(db_hash)" = "$before" ] || fail "a refused exclude changed the database"
ok "a bad entry, an unknown one and a long reason are refused with one line; nothing changes"

q exclude add "$NET.3" --reason "fragile printer" >/dev/null || fail "exclude add"
out=$(q exclude add "$NET.3" 2>&1) && fail "a second add of one entry succeeded"
echo "$out" | grep -q "already excluded" || fail "a second add: unclear error: $out"
q exclude list | grep -q "^$NET.3 .* by cli:.*: fragile printer" || fail "list: $(q exclude list)"
q exclude list --json | grep -q '"source": "store"' || fail "list --json: $(q exclude list --json)"
q audit | grep -q "exclude add.*$NET.3: fragile printer" || fail "the audit trail lacks the add"
ok "exclude add records the entry with who, when and why, and in the audit trail"

# ---- submit: wholly excluded targets are refused -------------------------------
before=$(db_hash)
out=$(q submit portscan "$NET.3" 2>&1) && fail "a scan of an excluded address was queued"
echo "$out" | grep -q "every target is excluded" || fail "submit: unclear error: $out"
out=$(SCANQ_SCOPE_EXCLUDE="$NET.4/31" q submit portscan "$NET.4" "$NET.5" 2>&1) \
	&& fail "a scan excluded by [scope] exclude was queued"
echo "$out" | grep -q "every target is excluded" || fail "submit ([scope] exclude): $out"
[ "$(db_hash)" = "$before" ] || fail "a refused submit changed the database"
ok "a submit whose targets are all excluded (list or [scope] exclude) is refused, nothing stored"

# ---- the scanner never connects to an excluded address --------------------------
count_listener "$T/l3" "$NET.3"
P=$(cat "$T/l3")
perl -MIO::Socket::INET -e 'IO::Socket::INET->new(Listen => 1, LocalAddr => $ARGV[0],
	LocalPort => $ARGV[1], ReuseAddr => 1) or exit 1; exit 0' "$NET.2" "$P" \
	|| fail "port $P is taken on $NET.2"
count_listener "$T/l2" "$NET.2"
P2=$(cat "$T/l2")
id=$(q submit portscan "$NET.0/29" --ports "$P,$P2") || fail "submit of a partly excluded block"
"$S" --db "$DB" worker --once --name w1 >"$T/w1.log" 2>&1 || fail "worker --once"
is_status "$id" completed || fail "scan $id is $(status "$id")"
[ ! -s "$T/l3.hits" ] || fail "the excluded $NET.3 saw $(wc -l <"$T/l3.hits") connections"
[ -s "$T/l2.hits" ] || fail "the listener on $NET.2 saw no connection: the test proves nothing"
sum=$(sql "SELECT summary FROM scans WHERE id = $id")
echo "$sum" | grep -q '"excluded":1[,}]' || fail "summary does not count the excluded address: $sum"
echo "$sum" | grep -q '"hosts":7[,}]' || fail "summary: 7 hosts expected: $sum"
sql_is "SELECT count(*) FROM findings WHERE scan_id = $id AND target = '$NET.3'" 0 \
	|| fail "a finding names the excluded address"
sql_is "SELECT count(*) FROM findings WHERE scan_id = $id AND target = '$NET.2' AND kind = 'open_port'" 1 \
	|| fail "the open port on $NET.2 was not found"
ok "a scan of a /29 never connects to its excluded address; the summary counts it (excluded: 1)"

q exclude rm "$NET.3" >/dev/null || fail "exclude rm"
q exclude list | grep -q "$NET.3" && fail "rm left the entry listed"
q audit | grep -q "exclude rm.*$NET.3" || fail "the audit trail lacks the rm"
id=$(q submit portscan "$NET.3" --ports "$P") || fail "submit after rm"
"$S" --db "$DB" worker --once --name w2 >"$T/w2.log" 2>&1 || fail "worker --once"
[ -s "$T/l3.hits" ] || fail "after exclude rm, $NET.3 is still not scanned"
ok "after exclude rm the address is scanned again"

# ---- follow-up stages never get an excluded address ------------------------------
# Discovery at 12 probes/s takes 8 s for 8 addresses: NET.6 is excluded
# while it runs (its child was started without the entry), so discovery
# finds it live, and the portscan stage must still not get it.
root=$(q submit discovery "$NET.0/29" --options '{"rate":12}' --then "portscan:$P2") \
	|| fail "submit of the chain"
start_worker w3 --concurrency 1
wait_for 20 "discovery $root to run" is_status "$root" running
q exclude add "$NET.6" --reason "found late" >/dev/null || fail "exclude add during the chain"
wait_for 60 "discovery $root to complete" is_status "$root" completed
sql_is "SELECT count(*) FROM findings WHERE scan_id = $root AND kind = 'host' AND target = '$NET.6'" 1 \
	|| fail "discovery did not find $NET.6 live; the stage check below would prove nothing"
stage=$(sql "SELECT id FROM scans WHERE parent_id = $root")
[ -n "$stage" ] || fail "no portscan stage"
targets=$(sql "SELECT targets FROM scans WHERE id = $stage")
echo "$targets" | grep -q "\"$NET.6\"" && fail "the stage's targets hold the excluded $NET.6: $targets"
echo "$targets" | grep -q "\"$NET.2\"" || fail "the stage lacks $NET.2: $targets"
ok "a chain's discovered address excluded meanwhile gets no follow-up stage"

# ---- the HTTP API: admin to change, any role to read, audited --------------------------
kill -TERM "$last_pid"; wait "$last_pid" 2>/dev/null
VIEW=$(q token create --role viewer --name v) || fail "token create viewer"
OP=$(q token create --role operator --name o) || fail "token create operator"
ADMIN=$(q token create --role admin --name a) || fail "token create admin"
start_serve --workers 0
J=(-H "Content-Type: application/json")
before=$(db_hash)
code=$(req POST /api/v1/exclusions "${J[@]}" -H "Authorization: Bearer $OP" -d '{"entry":"10.0.0.0/8"}')
[ "$code" = 403 ] || fail "an operator added an exclusion ($code)"
for body in '{"entry":"10.0.0.0/33"}' '{"entry":42}' '{}' '{"entry":"10.0.0.0/8","reason":7}' \
	'{"entry":"10.0.0.0/8","extra":1}'; do
	code=$(req POST /api/v1/exclusions "${J[@]}" -H "Authorization: Bearer $ADMIN" -d "$body")
	[ "$code" = 422 ] || fail "POST $body answered $code, not 422: $(cat "$T/body")"
done
code=$(req POST /api/v1/exclusions "${J[@]}" -H "Authorization: Bearer $ADMIN" -d "{\"entry\":\"$NET.6\"}")
[ "$code" = 409 ] || fail "a second add of $NET.6 answered $code, not 409"
code=$(req DELETE "/api/v1/exclusions?entry=10.9.9.9" -H "Authorization: Bearer $ADMIN")
[ "$code" = 404 ] || fail "DELETE of an unknown entry answered $code"
code=$(req DELETE "/api/v1/exclusions?entry=$NET.6" -H "Authorization: Bearer $VIEW")
[ "$code" = 403 ] || fail "a viewer removed an exclusion ($code)"
[ "$(db_hash)" = "$before" ] || fail "a refused API request changed the database"
ok "the API refuses bad entries (422), duplicates (409), unknown ones (404) and non-admins (403); nothing changes"

code=$(req POST /api/v1/exclusions "${J[@]}" -H "Authorization: Bearer $ADMIN" \
	-d '{"entry":"10.20.0.0/16","reason":"lab network"}')
[ "$code" = 201 ] || fail "POST answered $code: $(cat "$T/body")"
code=$(req GET /api/v1/exclusions -H "Authorization: Bearer $VIEW")
[ "$code" = 200 ] || fail "GET answered $code"
grep -q '"entry":"10.20.0.0/16","reason":"lab network"' "$T/body" || fail "GET: $(cat "$T/body")"
grep -q '"created_by":"token:a"' "$T/body" || fail "GET: no creator token:a: $(cat "$T/body")"
code=$(req POST /api/v1/scans "${J[@]}" -H "Authorization: Bearer $OP" \
	-d "{\"type\":\"portscan\",\"targets\":[\"$NET.6\"]}")
[ "$code" = 403 ] && grep -q '"code":"excluded"' "$T/body" || fail "API submit of an excluded target: $code $(cat "$T/body")"
code=$(req DELETE "/api/v1/exclusions?entry=10.20.0.0/16" -H "Authorization: Bearer $ADMIN")
[ "$code" = 200 ] || fail "DELETE answered $code"
q audit | grep -q "token:a .*exclude add.*10.20.0.0/16: lab network" || fail "audit lacks the API add: $(q audit)"
q audit | grep -q "token:a .*exclude rm.*10.20.0.0/16" || fail "audit lacks the API rm"
ok "an admin adds and removes exclusions through the API, in the audit trail; a submit of excluded targets is 403 excluded"
