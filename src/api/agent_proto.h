/*
 * agent_proto.h — the requests of the agent protocol (docs/AGENTS.md),
 * parsed from JSON text into structs: pure, no store, no server, so the
 * fuzz target (tests/fuzz/fuzz_agent_proto.c) can drive it alone.  Every
 * field is checked here the way a worker checks a child's output (lengths,
 * kinds, severities, the error codes of worker.h), so what reaches the
 * store from an agent is what could reach it from a local worker.
 */
#ifndef SCANQ_AGENT_PROTO_H
#define SCANQ_AGENT_PROTO_H

#include <stddef.h>
#include <stdint.h>
#include "api/api.h"
#include "core/scan.h"
#include "store/store.h"

#define AGENT_PROTOCOL      1		/* the protocol this server speaks */
#define AGENT_ID_MAX        64		/* an agent id: 1..64 of [A-Za-z0-9._:-] */
#define AGENT_NAME_MAX      64		/* a display name: printable ASCII */
#define AGENT_VERSION_MAX   31		/* a version string: printable ASCII */
#define AGENT_CLAIM_MAX     64		/* scans one claim may ask for */
#define AGENT_WAIT_MAX_MS   25000	/* the longest long poll */
#define AGENT_RENEW_MAX     64		/* scans one renew may list */
#define AGENT_MESSAGE_MAX   256		/* a failure's message, bytes kept */
#define AGENT_TEXT_MAX      4096	/* a finding's target, service or title */
#define AGENT_DETAIL_MAX    65536	/* a finding's detail object, as compact JSON */

/* What every request carries. */
struct agent_hello {
	int protocol;
	char agent[AGENT_ID_MAX + 1];
	char name[AGENT_NAME_MAX + 1];		/* "" when not given */
	char version[AGENT_VERSION_MAX + 1];	/* "" when not given */
};

struct agent_claim_req {
	struct agent_hello h;
	int max;				/* 1..AGENT_CLAIM_MAX */
	int wait_ms;				/* 0..AGENT_WAIT_MAX_MS */
};

struct agent_renew_req {
	struct agent_hello h;
	struct store_agent_lease scans[AGENT_RENEW_MAX];
	size_t n;
};

struct agent_complete_req {
	struct agent_hello h;
	int64_t id;
	int attempt;
	char *summary;				/* JSON object text (malloc'd) */
	struct finding *findings;		/* malloc'd, nfindings of them */
	size_t nfindings;
};

struct agent_fail_req {
	struct agent_hello h;
	int64_t id;
	int attempt;
	char code[SCAN_CODE_MAX];		/* one of worker.h's codes */
	char message[AGENT_MESSAGE_MAX];	/* printable ASCII (others become '?') */
	int retryable;
	enum store_agent_end outcome;
};

/* A slice of the rate caps' budget for a running scan (routes_agent.c). */
struct agent_budget_req {
	struct agent_hello h;
	int64_t id;
	int attempt;
	long want;				/* probes asked for, 0..AGENT_BUDGET_MAX */
};
#define AGENT_BUDGET_MAX 10000000

/*
 * Each parses a request body of len bytes.  Returns 0 with *out filled, or
 * -1 with *p filled: 400 "protocol_version" for a protocol other than
 * AGENT_PROTOCOL ("agent protocol 2 is not supported by this server (it
 * speaks 1)"), 400 "invalid_parameter" (or body_json()'s codes) for
 * anything else, the detail one printable line.  A complete request's
 * summary and findings belong to *out: agent_complete_release() frees them
 * (also after a failed parse, and on a zeroed struct).
 */
int agent_parse_claim(const char *body, size_t len, struct agent_claim_req *out,
		      struct api_problem *p);
int agent_parse_renew(const char *body, size_t len, struct agent_renew_req *out,
		      struct api_problem *p);
int agent_parse_complete(const char *body, size_t len, size_t findings_max,
			 struct agent_complete_req *out, struct api_problem *p);
int agent_parse_fail(const char *body, size_t len, struct agent_fail_req *out,
		     struct api_problem *p);
int agent_parse_budget(const char *body, size_t len, struct agent_budget_req *out,
		       struct api_problem *p);
void agent_complete_release(struct agent_complete_req *r);

#endif
