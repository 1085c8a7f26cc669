/*
 * commands.c — the dispatch table of `scanq`: every subcommand, its usage
 * line, its one-line summary and its help text.  `scanq help` and
 * `scanq CMD --help` print from here, so the two can never disagree.
 */
#include <stddef.h>
#include "cmd/cli.h"
#include "cmd/cmd.h"

const struct cli_command cli_commands[] = {
	{ "submit", cmd_submit,
	  "submit TYPE TARGET... [--ports SPEC] [--priority N] [--max-attempts N]"
	  " [--time-limit SECONDS] [--idempotency-key KEY] [--options JSON] [--then TYPE[:PORTS]]..."
	  " [--pool NAME] [--json]",
	  "queue a scan and print its id",
	  "  --ports SPEC            ports: 22,80,443 or 1-1024 or - (all)\n"
	  "  --priority N            -1000..1000, higher runs first (default 0)\n"
	  "  --max-attempts N        attempts before the scan fails (default 3)\n"
	  "  --time-limit SECONDS    hard time limit of one attempt (default 1800)\n"
	  "  --idempotency-key KEY   a repeat with the same key returns the first scan\n"
	  "  --options JSON          scanner options as a JSON object\n"
	  "  --json                  print {\"id\":N,...} instead of the bare id\n"
	  "  --then TYPE[:PORTS]     a follow-up stage run on what this scan finds (repeat for more)\n"
	  "  --pool NAME             run it on the agents of pool NAME ([pool.NAME] allow is its\n"
	  "                          scope; default local: this server's workers)\n",
	  CLI_WRITES },
	{ "show", cmd_show, "show ID [--json]",
	  "show one scan, its error and its timeline (and its chain or shards as a tree)",
	  "  --json   the scan as JSON (column names as keys) with \"events\" (and \"flow\")\n",
	  CLI_READS },
	{ "list", cmd_list,
	  "list [--status S] [--type T] [--target TEXT] [--limit N] [--before ID] [--json]",
	  "list scans, newest first",
	  "  --status S    pending, running, completed, failed or cancelled\n"
	  "  --type T      only scans of this type\n"
	  "  --target TEXT only scans whose targets contain TEXT\n"
	  "  --limit N     at most N scans (default 50, at most 1000)\n"
	  "  --before ID   the page after the one that ended at ID\n"
	  "  --json        a JSON array\n",
	  CLI_READS },
	{ "retry", cmd_retry, "retry ID",
	  "send a failed or cancelled scan back to pending with a fresh attempt budget", "",
	  CLI_WRITES },
	{ "cancel", cmd_cancel, "cancel ID",
	  "cancel a pending scan, or ask the worker of a running one to stop it", "",
	  CLI_WRITES },
	{ "queue", cmd_queue, "queue status [--json] [--watch [SECONDS]] [--count N]",
	  "counts by status and type, oldest pending age, throughput, workers",
	  "  --watch [SECONDS]   refresh every SECONDS (default 2): redrawn in place on a\n"
	  "                      terminal, one line per interval when piped\n"
	  "  --count N           with --watch: stop after N refreshes\n"
	  "  --json              JSON (with --watch: one compact object per line)\n"
	  "The oldest pending age counts from when a scan became due (run_after).\n"
	  "Throughput: scans finished per minute over the last 1 and 5 minutes.\n",
	  CLI_READS },
	{ "migrate", cmd_migrate, "migrate [--to VERSION] [--status]",
	  "bring the database schema up to date (every command also does this)",
	  "  --to VERSION   stop at this schema version\n"
	  "  --status       print the schema version and change nothing\n",
	  CLI_WRITES },
	{ "stuck", cmd_stuck, "stuck report|clear [--max-age-hours H] [--dry-run] [--force] [--json]",
	  "every scan that needs a look, by category, with its fix; clear repairs them",
	  "  report              every category (expired lease, past the time limit, pending with\n"
	  "                      no worker, backlog, broken invariants) with reason and fix;\n"
	  "                      exit status 1 when anything is found\n"
	  "  clear               applies each fix in batches, one transaction each, every change\n"
	  "                      written to the scan's timeline; asks on a terminal\n"
	  "  --max-age-hours H   a due pending scan counts after H hours (default 2)\n"
	  "  --dry-run           with clear: print exactly what would change, change nothing\n"
	  "  --force             with clear: do not ask (needed when stdin is not a terminal)\n"
	  "  --json              the report or the changes as JSON\n"
	  "  --recover           (bare `stuck`) run lease recovery now; with --dry-run, say what\n"
	  "                      it would take back\n"
	  "The bare `stuck [--max-age-hours N] [--recover [--dry-run]] [--json]` is the short\n"
	  "report of expired leases and overdue pending scans.\n",
	  CLI_WRITES },
	{ "prune", cmd_prune, "prune [--older-than-days N] [--batch N] [--dry-run] [--yes]",
	  "delete finished scans past their retention with their events and findings",
	  "  --older-than-days N   every final status keeps N days (default: by status,\n"
	  "                        [maintenance] keep_completed_days / keep_failed_days /\n"
	  "                        keep_cancelled_days, each 0 meaning prune_days = 30)\n"
	  "  --batch N             scans per transaction (default 1000)\n"
	  "  --dry-run             count, delete nothing\n"
	  "  --yes                 do not ask (needed when stdin is not a terminal)\n"
	  "It prints the count first and asks on a terminal.  Pending and running scans are\n"
	  "never deleted.\n",
	  CLI_WRITES },
	{ "doctor", cmd_doctor, "doctor [--check NAME] [--json]",
	  "check the database, workers, queue, failures, stuck scans, disk and scanners",
	  "  --check NAME   run one check: db.reachable, db.schema, workers.alive, workers.dead,\n"
	  "                 queue.backlog, queue.oldest_pending, scans.failure_rate, scans.stuck,\n"
	  "                 scans.fenced, storage.disk_space, scanners.tools, queue.paused,\n"
	  "                 queue.windows (the maintenance windows open now, until when)\n"
	  "  --json         {status, checks: [{check, status, detail}]}\n"
	  "Each check prints ok, warn or fail and, when not ok, the step that fixes it.\n"
	  "Exit status 1 when a check fails; warnings alone exit 0.\n",
	  CLI_READS },
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
	  "SIGTERM/SIGINT: workers finish or hand back their scans within [worker] grace.\n",
	  CLI_WRITES },
	{ "scan", cmd_scan, "scan TYPE TARGET... [--ports SPEC] [--options JSON] [--time-limit S] [--json]",
	  "run one scanner in the foreground, without the queue",
	  "  --ports SPEC     ports to scan: 22,80,443 or 1-1024 or - (all) or top100 / top1000\n"
	  "                   (default top1000)\n"
	  "  --options JSON   scanner options as a JSON object; portscan and discovery take\n"
	  "                   concurrency (512), timeout_ms (1000), retries (1), rate (0: none),\n"
	  "                   banner (false), banner_ms (500), resolve_ms (3000); portscan\n"
	  "                   also detect (false) and detect_ms (3000); tls takes\n"
	  "                   concurrency (32), timeout_ms (3000), expiry_days (30), starttls;\n"
	  "                   dns takes resolver (ADDRESS[:PORT]), wordlist (a file), rate\n"
	  "                   (3000 queries/s), subdomains, axfr, ns_port (53), timeout_ms\n"
	  "  --time-limit S   the scan's time limit, which tool profiles pace themselves by\n"
	  "  --json           print the child protocol (JSON lines) instead of text\n"
	  "TARGET: an address, a CIDR block (10.0.0.0/30), a range (192.0.2.1-20) or a\n"
	  "hostname; only targets in [scope] allow (default: loopback) are scanned.\n"
	  "TYPE: portscan, discovery, tls, dns, or a tool profile of the configuration (vuln\n"
	  "runs nmap's vuln and safe scripts, nuclei runs nuclei, nmap runs nmap -sV).\n"
	  "Types named test-* exist only to test the worker.\n",
	  CLI_WRITES },
	{ "findings", cmd_findings, "findings ID [--json] [--limit N] [--min-severity S] | findings"
	  " [--state S] [--severity S] [--baseline ID|--schedule NAME] [--json]",
	  "print the findings of one scan, or across runs with their lifecycle state",
	  "  --json             print a JSON array (\"cve\" lifted from detail.cve)\n"
	  "  --limit N          at most N findings (default 10000)\n"
	  "  --min-severity S   only severity S or above: info, low, medium, high, critical\n"
	  "Without ID, each finding of each baseline (a schedule, else type + targets +\n"
	  "options) once, with its state across complete runs:\n"
	  "  --state S          open, fixed, reopened, accepted or false_positive\n"
	  "  --severity S       only severity S (exactly)\n"
	  "  --baseline ID      one baseline (the baseline id findings print)\n"
	  "  --schedule NAME    the baseline of schedule NAME\n",
	  CLI_READS },
	{ "finding", cmd_finding, "finding accept|false-positive|reopen FINGERPRINT [--reason TEXT]"
	  " [--expires TIME] [--baseline ID] [--json]",
	  "triage one finding: accept its risk, mark it a false positive, or reopen it",
	  "  --reason TEXT   why (required for accept and false-positive)\n"
	  "  --expires TIME  accept only: RFC 3339 (2027-01-31T12:00:00Z) or a duration\n"
	  "                  (90m, 12h, 30d); past it the finding reads as reopened\n"
	  "  --baseline ID   the baseline, when the fingerprint is tracked in several\n"
	  "Accepted and false-positive findings are marked \"suppressed\" in changes.found\n"
	  "webhooks (and fire none alone) and in exports.  Recorded in the audit trail.\n",
	  CLI_WRITES },
	{ "export", cmd_export, "export SCAN|--baseline ID|--schedule NAME --format"
	  " sarif|defectdojo|csv|jsonl|html [--pdf] [--output FILE]",
	  "export one scan's findings for another tool, or its report, each finding with its fingerprint and state",
	  "  --format F        sarif (SARIF 2.1.0), defectdojo (Generic Findings Import\n"
	  "                    JSON), csv (RFC 4180, a header row), jsonl (JSON Lines) or\n"
	  "                    html (a self-contained report: summary by severity, hosts\n"
	  "                    and services, changes since the baseline, findings by host;\n"
	  "                    of the whole chain when SCAN is a chain's root)\n"
	  "  --pdf             print the HTML report to --output FILE as PDF with headless\n"
	  "                    Chromium (SCANQ_CHROMIUM, else chromium on PATH); without\n"
	  "                    Chromium it says so and writes nothing\n"
	  "  --output FILE     write FILE (complete or not at all) instead of stdout\n"
	  "  --baseline ID     the newest complete run of baseline ID (scanq findings)\n"
	  "  --schedule NAME   the newest complete run of schedule NAME\n"
	  "Accepted and false-positive findings are marked: SARIF suppressions,\n"
	  "DefectDojo risk_accepted / false_p, a state column in CSV and JSON Lines,\n"
	  "\"suppressed\" in the report.\n",
	  CLI_READS },
	{ "agent", cmd_agent, "agent --server https://HOST:PORT --token-file F [--ca FILE]"
	  " [--cert F --key F] [--concurrency N] [--spool DIR] [--allow CIDR,...] [--name NAME]",
	  "run scans for a server's pool, without database access (docs/AGENTS.md)",
	  "  --server URL       the server, https://HOST:PORT (plain http on loopback only)\n"
	  "  --token-file F     a file whose first line is an agent token (made on the\n"
	  "                     server by `token create`, role agent)\n"
	  "  --ca FILE          CA certificates to verify the server (default: the system's)\n"
	  "  --cert F --key F   a client certificate, for a server that asks for one\n"
	  "  --concurrency N    scans run at once, 1..64 (default [serve] concurrency)\n"
	  "  --spool DIR        where results wait until the server has them\n"
	  "                     (default ./scanq-spool; one agent per folder)\n"
	  "  --allow LIST       the targets this agent may scan, CIDR blocks, addresses or\n"
	  "                     domain suffixes (default [scope] allow: loopback); a scan\n"
	  "                     with a target outside fails with out_of_scope, unsent\n"
	  "  --name NAME        shown in scanq workers (default the host name)\n"
	  "  --wait-ms MS       the claim long poll, 0..25000 (default 25000)\n"
	  "Results are written to the spool before they are sent, and sent again after an\n"
	  "outage or a restart; the server takes each exactly once.\n",
	  CLI_WRITES },
	{ "worker", cmd_worker, "worker [--concurrency N] [--name NAME] [--pool NAME] [--once]"
	  " [--max-scans N]",
	  "run one worker process: claim scans and run each in a supervised child",
	  "  --concurrency N   scans run at once (default [serve] concurrency)\n"
	  "  --name NAME       name in the workers table (default HOST-PID)\n"
	  "  --pool NAME       claim the scans of pool NAME (default [worker] pool, local)\n"
	  "  --once            claim one batch of what is due, run it to the end, exit\n"
	  "                    (at once when nothing is due)\n"
	  "  --max-scans N     exit cleanly after N scans\n"
	  "  --no-recovery     leave lease recovery to `scanq serve` (set by serve)\n"
	  "  --heartbeat-fd N  write a byte to descriptor N every second (set by serve)\n"
	  "  --instance HEX    the random part of the worker's identity (set by serve)\n"
	  "SIGTERM/SIGINT: stop claiming, let running scans finish within [worker] grace,\n"
	  "then hand them back to pending; a second signal does that at once.\n",
	  CLI_WRITES },
	{ "workers", cmd_workers, "workers [--json]",
	  "list worker processes as active, idle or dead, with their scans",
	  "  --json   a JSON array (running_ids, last_exit, heartbeat age)\n",
	  CLI_READS },
	{ "token", cmd_token, "token create --role ROLE [--pool NAME] [--name NAME] [--expires DURATION]"
	  " | list [--json] | revoke ID",
	  "create, list or revoke API tokens (a secret is shown once)",
	  "  create --role ROLE   viewer (read), operator (submit, retry, cancel), admin\n"
	  "                       (tokens, admin API) or agent (the agent API only)\n"
	  "  --pool NAME          an agent token's pool (required with --role agent; a\n"
	  "                       configured [pool.NAME], not local)\n"
	  "  --name NAME          a label for the token (default cli); the audit trail names it\n"
	  "  --expires DURATION   the token stops working after 90m, 12h, 30d, ...\n"
	  "  list                 every token with its role and state (active, expired, revoked)\n"
	  "  revoke ID            the token stops working at once\n"
	  "Only a hash is stored.  Once a token exists the HTTP API needs\n"
	  "Authorization: Bearer <secret> on every call.\n",
	  CLI_WRITES },
	{ "diff", cmd_diff, "diff ID [OTHER_ID] [--chain] [--json] [--limit N]",
	  "what changed: scan ID against its baseline, or against OTHER_ID",
	  "  --chain     ID and every follow-up stage below it, as one result\n"
	  "  --json      a JSON object with \"changes\"\n"
	  "  --limit N   at most N changes (default 10000)\n"
	  "With one id: the changes recorded when ID completed, against the previous\n"
	  "completed scan of the same type, targets and options (its baseline).  With\n"
	  "--chain: those of ID and of each stage of its chain, each stage against the\n"
	  "same stage of the chain's previous run; each change names its scan.  With\n"
	  "two: ID compared now with OTHER_ID.  Findings are matched by kind, target,\n"
	  "port, proto and check id; `changed` is a new service, severity or version.\n",
	  CLI_READS },
	{ "webhook", cmd_webhook,
	  "webhook add URL [--events E,...] [--secret S] [--min-severity S] | list [--all] [--json] |"
	  " rm ID | test ID | deliveries [--webhook ID] [--limit N] [--json]",
	  "tell a receiver when scans complete or fail and when changes are found",
	  "  --events E,...      scan.completed, scan.failed, changes.found (default: all)\n"
	  "  --secret S          the HMAC-SHA256 key, 16..128 characters (default: made\n"
	  "                      and printed once)\n"
	  "  --min-severity S    changes.found only for changes of severity S or above\n"
	  "URLs must resolve into [webhooks] allow (default: loopback).  Deliveries are\n"
	  "sent by the workers, retried with backoff (8 attempts), signed with\n"
	  "X-Scanq-Signature: v1=HMAC(secret, TIMESTAMP.BODY); `deliveries` lists every\n"
	  "attempt with its HTTP status and error.  `rm` keeps the webhook, marked removed\n"
	  "(who, when: audited), sends it nothing more and keeps its deliveries listed;\n"
	  "`list` hides removed webhooks, `list --all` shows them marked.\n",
	  CLI_WRITES },
	{ "pause", cmd_pause, "pause --type TYPE | --schedule NAME | --pool NAME | --all [--reason TEXT]"
	  " [--now]",
	  "stop starting scans of a type, a schedule, a pool, or every scan, until resume",
	  "  --type TYPE      scans of this type\n"
	  "  --schedule NAME  scans a schedule fires (its id works too)\n"
	  "  --pool NAME      scans of a pool (local, or a [pool.NAME]): its workers and\n"
	  "                   agents claim none\n"
	  "  --all            every scan\n"
	  "  --reason TEXT    why: queue status, /readyz, doctor and the UI show it\n"
	  "  --now            also hand running scans back to pending at once, without\n"
	  "                   spending an attempt (their children are stopped)\n"
	  "Paused scans stay pending and can still be submitted; running ones finish\n"
	  "unless --now.  The pause holds for every worker on every host (it is in the\n"
	  "database) and is recorded in the audit trail.\n",
	  CLI_WRITES },
	{ "resume", cmd_resume, "resume --type TYPE | --schedule NAME | --pool NAME | --all",
	  "end a pause: its pending scans start again",
	  "  --type TYPE      end the pause of this type\n"
	  "  --pool NAME      end the pause of this pool\n"
	  "  --schedule NAME  end the pause of this schedule\n"
	  "  --all            end every pause (all, types and schedules)\n",
	  CLI_WRITES },
	{ "exclude", cmd_exclude, "exclude add ENTRY [--reason TEXT] | rm ENTRY | list [--json]",
	  "the global exclusion list: addresses, blocks and domains no scan ever touches",
	  "  add ENTRY        a CIDR block, an address or a domain suffix (example.com: it\n"
	  "                   and every name under it)\n"
	  "  --reason TEXT    why, shown by list and kept in the audit trail\n"
	  "  rm ENTRY         as list shows it\n"
	  "  list [--json]    every exclusion: [scope] exclude of this host's configuration,\n"
	  "                   then the database's list, with who added it, when and why\n"
	  "The list is in the database, so every host and worker sees it.  A scan whose\n"
	  "targets are all excluded is refused at submit; excluded addresses of a larger\n"
	  "target are skipped by the scanner (the summary's `excluded` counts them) and\n"
	  "never become targets of a follow-up stage.  Workers read the list before\n"
	  "every claim: a scan claimed after `exclude add` returned never touches it.\n",
	  CLI_WRITES },
	{ "ratecap", cmd_ratecap, "ratecap set NETWORK PROBES | rm NETWORK | list [--json]",
	  "rate caps per network: probes per second shared by every scan inside it",
	  "  set NETWORK PROBES  cap a CIDR block (or an address) at PROBES per second\n"
	  "                      (1..10000000), replacing its old cap\n"
	  "  rm NETWORK          remove the database's cap of the network\n"
	  "  list [--json]       every cap: [rate] cap of this host's configuration, then\n"
	  "                      the database's, with who set it and when\n"
	  "A cap is shared by every worker, agent and shard scanning inside the network,\n"
	  "whatever each scan's own rate (which still bounds the scan).  A target counts\n"
	  "against the most specific cap that holds it only (a scan inside 10.0.0.0/8\n"
	  "does not also count against 0.0.0.0/0).  The portscan and discovery types\n"
	  "are paced; others are not.  Workers read the caps at most once a second.\n",
	  CLI_WRITES },
	{ "window", cmd_window,
	  "window add NAME --cron EXPR --duration D [--tz ZONE] [--pool NAME] [--targets CIDR,...]"
	  " [--running finish|handback] | rm NAME | list [--json]",
	  "maintenance windows: times when no scan of a pool or of some targets starts",
	  "  add NAME             a window that opens at each firing of --cron\n"
	  "  --cron EXPR          when it opens: five cron fields (\"0 8 * * 1-5\") or @daily...\n"
	  "  --duration D         how long it stays open: 9h, 90m, 1h30m, 30s (at most 31d)\n"
	  "  --tz ZONE            the zone of --cron (default UTC), DST-safe as schedules are\n"
	  "  --pool NAME          only scans of this pool (local or a [pool.NAME]); default all\n"
	  "  --targets CIDR,...   only scans with an address in these blocks; default all\n"
	  "  --running finish     running scans finish (default); handback: at the window's\n"
	  "                       start they go back to pending without spending an attempt\n"
	  "  rm NAME              remove a window (its held scans start at once)\n"
	  "  list [--json]        every window with its current or next occurrence\n"
	  "A held scan stays pending and starts when the window closes; a schedule due\n"
	  "inside a window fires once, when it closes.  Two windows whose scopes meet (same\n"
	  "pool or one of them every pool, and one of them every target or blocks that\n"
	  "share an address) may not be open at the same instant in the next 8 days; such\n"
	  "an add is refused.  --targets holds a scan when the span of its addresses\n"
	  "(lowest to highest) meets a block; hostname targets are not matched by it\n"
	  "(their address is known only when the scan runs); --pool holds them.\n",
	  CLI_WRITES },
	{ "inventory", cmd_inventory,
	  "inventory [--target CIDR] [--port N] [--service S] [--json]",
	  "every host, port and service completed scans have seen",
	  "  --target CIDR   only addresses in this block (or address, or range)\n"
	  "  --port N        only this port\n"
	  "  --service S     only this service (the best known, below)\n"
	  "  --json          a JSON array\n"
	  "SERVICE: as the latest service detection of the port named it, with PRODUCT\n"
	  "and CONFIRMED (when that scan finished); a later scan without detection does\n"
	  "not change it.  A port never detected shows what its latest sighting named.\n"
	  "LAST SEEN: the last completed scan that saw it (a port: saw it open).\n"
	  "STILL SEEN: the latest completed scan of the same type, targets and options\n"
	  "that saw it still does.\n",
	  CLI_READS },
	{ "reset", cmd_reset, "reset --force",
	  "emergency: every running scan back to pending (no attempt spent), workers cleared",
	  "  --force   required; the reset is recorded in the audit trail with who ran it\n"
	  "Live workers register again at their next heartbeat; a child whose scan was handed\n"
	  "back is stopped by fencing when its worker next renews the lease.\n",
	  CLI_WRITES },
	{ "audit", cmd_audit, "audit [--limit N] [--before ID] [--json]",
	  "who did what: submit, retry, cancel, stuck clear, reset, prune, token changes",
	  "  --limit N     at most N entries, newest first (default 50)\n"
	  "  --before ID   the page after the one that ended at ID\n"
	  "  --json        a JSON array\n"
	  "The actor is cli:USER for the CLI, token:NAME for the API, maintenance for serve.\n",
	  CLI_WRITES },
	{ "schedule", cmd_schedule,
	  "schedule add NAME --cron \"EXPR\" [--tz ZONE] [--overlap skip|queue] TYPE TARGET..."
	  " [--ports SPEC] [--options JSON] [--pool NAME] | list | show NAME | pause NAME | resume NAME"
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
	  "  --pool NAME            as for submit: the pool its scans go to\n"
	  "  --json                 print JSON\n"
	  "Every `scanq serve` fires due schedules; each slot queues exactly one scan.\n"
	  "A daylight-saving gap fires once when the clocks jump; a repeated hour fires once.\n"
	  "After downtime the missed slots fire once.  pause/resume/rm/run-now take NAME or id.\n",
	  CLI_WRITES },
	{ "config", cmd_config, "config show [--json]",
	  "every effective setting with where it came from (default, file:line, environment, flag)",
	  "  --json   a JSON array of {name, value, source}\n"
	  "An unknown SCANQ_* environment variable is warned about at the start of every\n"
	  "command, naming the closest known one.\n",
	  CLI_WRITES },
	{ NULL, NULL, NULL, NULL, NULL, CLI_WRITES },
};
