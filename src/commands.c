/*
 * commands.c — the dispatch table of `scanq`: every subcommand, its usage
 * line, its one-line summary and its help text.  `scanq help` and
 * `scanq CMD --help` print from here, so the two can never disagree.
 */
#include <stddef.h>
#include "cli.h"
#include "cmd/cmd.h"

const struct cli_command cli_commands[] = {
	{ "submit", cmd_submit,
	  "submit TYPE TARGET... [--ports SPEC] [--priority N] [--max-attempts N]"
	  " [--time-limit SECONDS] [--idempotency-key KEY] [--options JSON] [--json]",
	  "queue a scan and print its id",
	  "  --ports SPEC            ports: 22,80,443 or 1-1024 or - (all)\n"
	  "  --priority N            -1000..1000, higher runs first (default 0)\n"
	  "  --max-attempts N        attempts before the scan fails (default 3)\n"
	  "  --time-limit SECONDS    hard time limit of one attempt (default 1800)\n"
	  "  --idempotency-key KEY   a repeat with the same key returns the first scan\n"
	  "  --options JSON          scanner options as a JSON object\n"
	  "  --json                  print {\"id\":N,...} instead of the bare id\n" },
	{ "show", cmd_show, "show ID [--json]",
	  "show one scan, its error and its timeline",
	  "  --json   the scan as JSON (column names as keys) with \"events\"\n" },
	{ "list", cmd_list,
	  "list [--status S] [--type T] [--target TEXT] [--limit N] [--before ID] [--json]",
	  "list scans, newest first",
	  "  --status S    pending, running, completed, failed or cancelled\n"
	  "  --type T      only scans of this type\n"
	  "  --target TEXT only scans whose targets contain TEXT\n"
	  "  --limit N     at most N scans (default 50, at most 1000)\n"
	  "  --before ID   the page after the one that ended at ID\n"
	  "  --json        a JSON array\n" },
	{ "retry", cmd_retry, "retry ID",
	  "send a failed or cancelled scan back to pending with a fresh attempt budget", "" },
	{ "cancel", cmd_cancel, "cancel ID",
	  "cancel a pending scan, or ask the worker of a running one to stop it", "" },
	{ "queue", cmd_queue, "queue status [--json] [--watch [SECONDS]] [--count N]",
	  "counts by status and type, oldest pending age, throughput, workers",
	  "  --watch [SECONDS]   refresh every SECONDS (default 2): redrawn in place on a\n"
	  "                      terminal, one line per interval when piped\n"
	  "  --count N           with --watch: stop after N refreshes\n"
	  "  --json              JSON (with --watch: one compact object per line)\n"
	  "The oldest pending age counts from when a scan became due (run_after).\n"
	  "Throughput: scans finished per minute over the last 1 and 5 minutes.\n" },
	{ "migrate", cmd_migrate, "migrate [--to VERSION] [--status]",
	  "bring the database schema up to date (every command also does this)",
	  "  --to VERSION   stop at this schema version\n"
	  "  --status       print the schema version and change nothing\n" },
	{ "stuck", cmd_stuck, "stuck [--max-age-hours N] [--recover [--dry-run]] [--json]",
	  "report stuck scans (overdue pending, expired leases); --recover heals leases now",
	  "  --max-age-hours N   a due pending scan is stuck after N hours (default 2)\n"
	  "  --recover           run lease recovery now (serve does it every 2 s)\n"
	  "  --dry-run           with --recover: say what it would do, change nothing\n"
	  "  --json              the report as JSON\n" },
	{ "prune", cmd_prune, "prune [--older-than-days N] [--batch N] [--dry-run]",
	  "delete finished scans older than N days with their events and findings",
	  "  --older-than-days N   default 30 ([maintenance] prune_days)\n"
	  "  --batch N             scans per transaction (default 1000)\n"
	  "  --dry-run             count, delete nothing\n"
	  "Pending and running scans are never deleted.\n" },
	{ "doctor", cmd_doctor, "doctor [--json]",
	  "check the database, workers, backlog, stuck scans and tool profiles",
	  "Exit status 1 when a check fails; warnings alone exit 0.\n" },
	{ "serve", cmd_serve, "serve [--listen ADDR:PORT] [--workers N] [--concurrency C]"
	  " [--max-scans-per-worker N]",
	  "run scanq: HTTP API and web UI, supervised workers, lease recovery",
	  "  --listen ADDR:PORT         HTTP API and web UI address (default [http] listen,\n"
	  "                             127.0.0.1:8080; port 0: any free port, logged)\n"
	  "  --workers N                worker processes to start and watch (default [serve] workers;\n"
	  "                             0: maintenance only)\n"
	  "  --concurrency C            scans per worker (default [serve] concurrency)\n"
	  "  --max-scans-per-worker N   a worker exits after N scans and is replaced (0: never)\n"
	  "A worker that exits or stops heartbeating is killed and restarted with backoff.\n"
	  "SIGTERM/SIGINT: workers finish or hand back their scans within [worker] grace.\n" },
	{ "scan", cmd_scan, "scan TYPE TARGET... [--ports SPEC] [--options JSON] [--time-limit S] [--json]",
	  "run one scanner in the foreground, without the queue",
	  "  --ports SPEC     ports to scan: 22,80,443 or 1-1024 or - (all) or top100 / top1000\n"
	  "                   (default top1000)\n"
	  "  --options JSON   scanner options as a JSON object; portscan and discovery take\n"
	  "                   concurrency (512), timeout_ms (1000), retries (1), rate (0: none),\n"
	  "                   banner (false), banner_ms (500), resolve_ms (3000); portscan\n"
	  "                   also detect (false) and detect_ms (3000); tls takes\n"
	  "                   concurrency (32), timeout_ms (3000), expiry_days (30), starttls\n"
	  "  --time-limit S   the scan's time limit, which tool profiles pace themselves by\n"
	  "  --json           print the child protocol (JSON lines) instead of text\n"
	  "TARGET: an address, a CIDR block (10.0.0.0/30), a range (192.0.2.1-20) or a\n"
	  "hostname; only targets in [scope] allow (default: loopback) are scanned.\n"
	  "TYPE: portscan, discovery, tls, or a tool profile of the configuration (vuln\n"
	  "runs nmap's vuln and safe scripts, nuclei runs nuclei, nmap runs nmap -sV).\n"
	  "Types named test-* exist only to test the worker.\n" },
	{ "findings", cmd_findings, "findings ID [--json] [--limit N] [--min-severity S]",
	  "print the findings of one scan",
	  "  --json             print a JSON array (\"cve\" lifted from detail.cve)\n"
	  "  --limit N          at most N findings (default 10000)\n"
	  "  --min-severity S   only severity S or above: info, low, medium, high, critical\n" },
	{ "worker", cmd_worker, "worker [--concurrency N] [--name NAME] [--once] [--max-scans N]",
	  "run one worker process: claim scans and run each in a supervised child",
	  "  --concurrency N   scans run at once (default [serve] concurrency)\n"
	  "  --name NAME       name in the workers table (default HOST-PID)\n"
	  "  --once            claim one batch, run it to the end, exit\n"
	  "  --max-scans N     exit cleanly after N scans\n"
	  "  --no-recovery     leave lease recovery to `scanq serve` (set by serve)\n"
	  "  --heartbeat-fd N  write a byte to descriptor N every second (set by serve)\n"
	  "SIGTERM/SIGINT: stop claiming, let running scans finish within [worker] grace,\n"
	  "then hand them back to pending; a second signal does that at once.\n" },
	{ "workers", cmd_workers, "workers [--json]",
	  "list worker processes as active, idle or dead, with their scans",
	  "  --json   a JSON array (running_ids, last_exit, heartbeat age)\n" },
	{ "token", cmd_token, "token create --role ROLE [--name NAME]",
	  "create an API token and print its secret (shown once)",
	  "  --role ROLE   viewer (read), operator (submit, retry, cancel) or admin (tokens)\n"
	  "  --name NAME   a label for the token (default cli)\n"
	  "Only a hash is stored.  Once a token exists the HTTP API needs\n"
	  "Authorization: Bearer <secret> on every call.\n" },
	{ "schedule", cmd_schedule,
	  "schedule add NAME --cron \"EXPR\" [--tz ZONE] [--overlap skip|queue] TYPE TARGET..."
	  " [--ports SPEC] [--options JSON] | list | show NAME | pause NAME | resume NAME"
	  " | rm NAME | run-now NAME",
	  "scheduled scans: add, list, show, pause, resume, remove, run one now",
	  "  --cron \"EXPR\"          5 fields: minute hour day-of-month month day-of-week;\n"
	  "                         ranges 1-5, steps */15, lists 1,15, names jan / mon,\n"
	  "                         or @hourly @daily @weekly @monthly @yearly\n"
	  "  --tz ZONE              zone of the system database (default UTC): Europe/Berlin\n"
	  "  --overlap skip|queue   skip (default): no new scan while the last one is pending\n"
	  "                         or running; queue: queue it anyway\n"
	  "  --ports SPEC           as for submit\n"
	  "  --options JSON         scanner options as a JSON object\n"
	  "  --priority N           as for submit\n"
	  "  --max-attempts N       as for submit\n"
	  "  --time-limit SECONDS   as for submit\n"
	  "  --json                 print JSON\n"
	  "Every `scanq serve` fires due schedules; each slot queues exactly one scan.\n"
	  "A daylight-saving gap fires once when the clocks jump; a repeated hour fires once.\n"
	  "After downtime the missed slots fire once.  pause/resume/rm/run-now take NAME or id.\n" },
	{ "config", cmd_config, "config show [--json]",
	  "every effective setting with where it came from (default, file:line, environment, flag)",
	  "  --json   a JSON array of {name, value, source}\n"
	  "An unknown SCANQ_* environment variable is warned about at the start of every\n"
	  "command, naming the closest known one.\n" },
	{ NULL, NULL, NULL, NULL, NULL },
};
