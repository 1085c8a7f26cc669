#!/bin/bash
# bench/detect.sh — portscan's service detection against nmap -sV on 1,000
# loopback ports of which 20 listen (started here; loopback only).
#
#   bench/detect.sh [RUNS]        (default 3; SCANQ_SCAN=path/to/scanq-scan, default build/scanq-scan)
#
# The 20 listeners, on ports spread over BASE..BASE+999: 5 ssh banners, 6
# HTTP servers (Server header, title), 3 SMTP and 3 FTP greetings and 3
# TLS (openssl s_server -www).  (No Redis: nmap -sV at its default
# intensity sends its Redis probe only to port 6379.)  Runs,
# interleaved (A B A B), RUNS times each:
#   scanq-scan portscan 127.0.0.1 --ports BASE-BASE+999 --json --options '{"detect":true}'
#   nmap -sV -n -Pn -p BASE-BASE+999 -oX - 127.0.0.1
# and checks that both name the same service on every open port (nmap's
# "http" with tunnel="ssl" is https).  Prints each pair's times and ratio
# (nmap / scanq), and the medians.
set -u
cd "$(dirname "$0")/.." || exit 1
RUNS=${1:-3}
SCAN=${SCANQ_SCAN:-build/scanq-scan}
BASE=${BASE:-10000}	# below the ephemeral range, where no connection takes a port
[ -x "$SCAN" ] || { echo "error: $SCAN is not built (make all)" >&2; exit 1; }
command -v nmap >/dev/null || { echo "error: nmap is not installed" >&2; exit 1; }

T=$(mktemp -d "${TMPDIR:-/tmp}/scanq-bench-XXXXXX")
PIDS=""
trap 'for p in $PIDS; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$T"' EXIT
export SCANQ_CONFIG=/dev/null
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/k.pem" -out "$T/c.pem" -days 30 -subj /CN=localhost 2>/dev/null

# serve PORT KIND: one listener; each connection in its own child.
serve() {
	perl -MIO::Socket::INET -e '
		my ($port, $kind) = @ARGV;
		my $s = IO::Socket::INET->new(Listen => 64, LocalAddr => "127.0.0.1", LocalPort => $port,
			ReuseAddr => 1) or die "listen $port: $!";
		$SIG{PIPE} = "IGNORE"; $SIG{CHLD} = "IGNORE";
		while (my $c = $s->accept) {
			if (fork) { close $c; next; }
			alarm 10; $c->autoflush(1);
			if ($kind eq "ssh") { print $c "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n"; sleep 5 }
			elsif ($kind eq "smtp") { print $c "220 mx.example ESMTP Postfix (Debian/GNU)\r\n"; while (<$c>) { print $c "250 ok\r\n" } }
			elsif ($kind eq "ftp") { print $c "220 (vsFTPd 3.0.3)\r\n"; while (<$c>) { print $c "500 ?\r\n" } }
			elsif ($kind eq "http") {
				my $l = <$c>; while (defined $l && $l !~ /^\r?\n$/) { $l = <$c> }
				my $b = "<html><head><title>bench</title></head><body>ok</body></html>\n";
				print $c "HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nContent-Type: text/html\r\nContent-Length: ",
					length($b), "\r\nConnection: close\r\n\r\n$b";
			}
			exit;
		}' "$1" "$2" &
	PIDS="$PIDS $!"
}
: > "$T/expect"
i=0
for kind in ssh ssh ssh ssh ssh http http http http http http smtp smtp smtp ftp ftp ftp tls tls tls; do
	p=$((BASE + 7 + i * 49)); i=$((i + 1))
	if [ "$kind" = tls ]; then
		openssl s_server -accept "127.0.0.1:$p" -quiet -www -cert "$T/c.pem" -key "$T/k.pem" </dev/null >/dev/null 2>&1 &
		PIDS="$PIDS $!"
	else
		serve "$p" "$kind"
	fi
	echo "$p" >> "$T/expect"
done
for p in $(cat "$T/expect"); do
	for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null && break; sleep 0.05; done
	(exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "error: no listener on $p (port taken?)" >&2; exit 1; }
done

scanq_services() {
	grep '"kind":"open_port"' "$1" | sed -n 's/.*"port":\([0-9]*\),.*"service":"\([a-z0-9-]*\)".*/\1 \2/p' | sort -n
}
nmap_services() {
	perl -ne 'if (/<port protocol="tcp" portid="(\d+)"><state state="open"/) { $p = $1 }
		if ($p && /<service name="([^"]*)"(.*)/) { my ($n, $r) = ($1, $2);
			$n = "https" if $n eq "http" && $r =~ /tunnel="ssl"/; $n = "tls" if $n eq "ssl";
			print "$p $n\n"; $p = 0 }' "$1" | sort -n
}

now() { date +%s.%N; }
median() { sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
: > "$T/a.times"; : > "$T/b.times"
range="$BASE-$((BASE + 999))"
printf '%-4s %-10s %-10s %-8s %s\n' pair scanq_s nmap_s ratio same_services
for r in $(seq "$RUNS"); do
	t0=$(now)
	"$SCAN" portscan 127.0.0.1 --ports "$range" --json --options '{"detect":true}' > "$T/scanq.out" \
		|| { echo "error: scanq failed" >&2; exit 1; }
	t1=$(now)
	nmap -sV -n -Pn -p "$range" -oX "$T/nmap.xml" 127.0.0.1 > /dev/null || { echo "error: nmap failed" >&2; exit 1; }
	t2=$(now)
	a=$(awk "BEGIN { print $t1 - $t0 }"); b=$(awk "BEGIN { print $t2 - $t1 }")
	echo "$a" >> "$T/a.times"; echo "$b" >> "$T/b.times"
	scanq_services "$T/scanq.out" > "$T/s.scanq"; nmap_services "$T/nmap.xml" > "$T/s.nmap"
	same=yes; cmp -s "$T/s.scanq" "$T/s.nmap" || same=NO
	[ "$(wc -l < "$T/s.scanq")" = 20 ] || same=NO
	printf '%-4s %-10.3f %-10.3f %-8.1f %s\n' "$r" "$a" "$b" "$(awk "BEGIN { print $b / $a }")" "$same"
	if [ "$same" != yes ]; then
		echo "error: services differ (port service):" >&2
		diff "$T/s.scanq" "$T/s.nmap" >&2
		exit 1
	fi
done
ma=$(median < "$T/a.times"); mb=$(median < "$T/b.times")
echo
echo "services named by both: $(cut -d' ' -f2 "$T/s.scanq" | sort | uniq -c | awk '{ printf "%s%s x%s", sep, $2, $1; sep = ", " }')"
awk -v a="$ma" -v b="$mb" 'BEGIN { printf "median wall time: scanq detect %.3f s, nmap -sV %.3f s, nmap/scanq = %.1fx\n", a, b, b / a }'
