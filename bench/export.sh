#!/bin/bash
# bench/export.sh — `scanq export` of one scan holding BENCH_FINDINGS
# (default 100,000) findings, each format, on SQLite, against a peer: the
# sqlite3 shell dumping the same rows as CSV (`sqlite3 -csv`, reading the
# table with no rendering, fingerprint or JSON parse: the floor of any
# export).  A B A B for PAIRS pairs (default 3): each pair prints both
# times and the ratio scanq / sqlite3; then each format's wall and CPU
# time and peak RSS (/usr/bin/time), to show memory stays bounded (on a
# shared, loaded machine the CPU time says more than the wall time).
# Target (issue 24): every format <= 1 s.
#
#   SCANQ=build/scanq bash bench/export.sh [PAIRS]
#
# The findings are a realistic mix: 60 % open ports with a detected
# service, 30 % TLS checks, 10 % vulnerabilities with a CVE.  Nothing is
# scanned: no network at all.
set -eu
SCANQ=${SCANQ:-build/scanq}
N=${BENCH_FINDINGS:-100000}
PAIRS=${1:-3}
command -v sqlite3 >/dev/null || { echo "sqlite3 is missing" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "/usr/bin/time is missing (apt-get install time)" >&2; exit 1; }
dir=$(mktemp -d "${TMPDIR:-/tmp}/scanq-bench-export-XXXXXX")
trap 'rm -rf "$dir"' EXIT
db="$dir/bench.db"
"$SCANQ" --db "sqlite://$db" migrate >/dev/null
sqlite3 "$db" <<SQL
PRAGMA synchronous = OFF;
BEGIN;
INSERT INTO scans (id, type, targets, options, status, attempt, run_after, created_at, claimed_at, finished_at, progress, summary)
VALUES (1, 'portscan', '["10.0.0.0/16"]', '{}', 'completed', 1, 0, 0, 1, 2, 1.0, '{}');
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $N)
INSERT INTO findings (scan_id, kind, target, port, proto, service, severity, title, detail, created_at)
SELECT 1,
  CASE WHEN i % 10 < 6 THEN 'open_port' WHEN i % 10 < 9 THEN 'tls' ELSE 'vuln' END,
  '10.0.' || (i / 250 % 256) || '.' || (i % 250 + 1),
  CASE WHEN i % 10 < 6 THEN 22 + i % 7 ELSE 443 END, 'tcp',
  CASE WHEN i % 10 < 6 THEN 'ssh' ELSE 'https' END,
  CASE WHEN i % 10 < 6 THEN 'info' WHEN i % 10 < 9 THEN 'medium' ELSE 'high' END,
  CASE WHEN i % 10 < 6 THEN 'open port ' || (22 + i % 7) || '/tcp ssh (OpenSSH 9.2p1)'
       WHEN i % 10 < 9 THEN 'certificate expires in 12 days'
       ELSE 'Apache byterange filter DoS, "Range" header, CVE-2011-3192' END,
  CASE WHEN i % 10 < 6 THEN '{"state":"open","product":"OpenSSH","version":"9.2p1","banner":"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3"}'
       WHEN i % 10 < 9 THEN '{"check":"cert_expiring","days_left":12,"subject":"CN=host","fix":"renew the certificate"}'
       ELSE '{"script":"http-vuln-cve2011-3192","cve":["CVE-2011-3192"],"output":"VULNERABLE: Apache byterange filter DoS"}' END,
  1796608987909 + i
FROM n;
COMMIT;
SQL
echo "== $N findings; $(nproc) cores; $(sqlite3 --version | cut -d' ' -f1) ; $(date -u +%FT%TZ)"
secs() { local t0 t1; t0=$(date +%s.%N); "$@" >/dev/null; t1=$(date +%s.%N); echo "$t1 - $t0" | bc; }
/usr/bin/time -f "%e %U %S %M" -o "$dir/t" sqlite3 -csv "$db" "SELECT * FROM findings WHERE scan_id = 1 ORDER BY id" >"$dir/out"
read -r e u sy m <"$dir/t"
printf '%-10s wall %.2f s, CPU %.2f s user + %.2f s sys, peak RSS %d KiB (the peer)\n' sqlite3 "$e" "$u" "$sy" "$m"
peer() { sqlite3 -csv "$db" "SELECT id, scan_id, kind, target, port, proto, service, severity, title, detail, created_at FROM findings WHERE scan_id = 1 ORDER BY id"; }
for f in sarif defectdojo csv jsonl; do
	for i in $(seq "$PAIRS"); do
		a=$(secs "$SCANQ" --db "sqlite://$db" export 1 --format "$f")
		b=$(secs peer)
		printf '%-10s pair %d: scanq %.3f s, sqlite3 -csv %.3f s, ratio %.2f\n' "$f" "$i" "$a" "$b" "$(echo "scale=4; $a / $b" | bc)"
	done
done
for f in sarif defectdojo csv jsonl; do
	/usr/bin/time -f "%e %U %S %M" -o "$dir/t" "$SCANQ" --db "sqlite://$db" export 1 --format "$f" >"$dir/out"
	read -r e u sy m <"$dir/t"
	printf '%-10s wall %.2f s, CPU %.2f s user + %.2f s sys, peak RSS %d KiB, %d bytes out\n' \
		"$f" "$e" "$u" "$sy" "$m" "$(stat -c %s "$dir/out")"
done
