/*
 * fuzz_agent_proto.c — libFuzzer target for the agent protocol's request
 * parser (src/api/agent_proto.c): the first byte picks the request (claim,
 * renew, complete, fail; budget for 0xf8 and up), the rest is its body.
 *
 * Beyond "no crash, no leak, no undefined behaviour" it checks the
 * parser's contract: a refusal is a 400 with a known code and a
 * non-empty printable one-line detail; an accepted request has a
 * protocol of 1, an agent id of the allowed characters, fields within
 * their ranges, and findings the store can take.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "api/agent_proto.h"
#include "worker/worker.h"

static void check_text(const char *s)
{
	if (!*s)
		abort();
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s == 0x7f)
			abort();
}

static void check_refusal(const struct api_problem *p)
{
	if (p->status != 400)
		abort();
	check_text(p->code);
	check_text(p->detail);
}

static void check_hello(const struct agent_hello *h)
{
	size_t n = strlen(h->agent);

	if (h->protocol != AGENT_PROTOCOL || n < 1 || n > AGENT_ID_MAX
	    || strspn(h->agent, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._:-") != n)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct api_problem p;
	const char *body = (const char *)data + 1;
	size_t len = size ? size - 1 : 0;

	if (size < 1 || size > 256 * 1024)
		return 0;
	memset(&p, 0, sizeof p);
	/* The budget request was added last: first bytes 0xf8.. choose it, so
	 * the corpus kept for the other four still reaches the same parser. */
	switch (data[0] >= 0xf8 ? 4 : data[0] % 4) {
	case 0: {
		struct agent_claim_req q;

		if (agent_parse_claim(body, len, &q, &p) < 0) {
			check_refusal(&p);
			break;
		}
		check_hello(&q.h);
		if (q.max < 1 || q.max > AGENT_CLAIM_MAX || q.wait_ms < 0 || q.wait_ms > AGENT_WAIT_MAX_MS)
			abort();
		break;
	}
	case 1: {
		struct agent_renew_req *q = malloc(sizeof *q);

		if (!q)
			return 0;
		if (agent_parse_renew(body, len, q, &p) < 0) {
			check_refusal(&p);
		} else {
			check_hello(&q->h);
			if (q->n > AGENT_RENEW_MAX)
				abort();
			for (size_t i = 0; i < q->n; i++)
				if (q->scans[i].id < 1 || q->scans[i].attempt < 1 || q->scans[i].progress > 1)
					abort();
		}
		free(q);
		break;
	}
	case 2: {
		struct agent_complete_req q;

		if (agent_parse_complete(body, len, 1000, &q, &p) < 0) {
			check_refusal(&p);
			if (q.findings || q.summary)
				abort();	/* a refusal keeps nothing */
			break;
		}
		check_hello(&q.h);
		if (q.id < 1 || q.attempt < 1 || !q.summary || q.nfindings > 1000)
			abort();
		for (size_t i = 0; i < q.nfindings; i++)
			if (!q.findings[i].kind[0] || !q.findings[i].detail || q.findings[i].port < 0
			    || q.findings[i].port > 65535)
				abort();
		agent_complete_release(&q);
		break;
	}
	case 4: {
		struct agent_budget_req q;

		if (agent_parse_budget(body, len, &q, &p) < 0) {
			check_refusal(&p);
			break;
		}
		check_hello(&q.h);
		if (q.id < 1 || q.attempt < 1 || q.want < 0 || q.want > AGENT_BUDGET_MAX)
			abort();
		break;
	}
	default: {
		struct agent_fail_req q;

		if (agent_parse_fail(body, len, &q, &p) < 0) {
			check_refusal(&p);
			break;
		}
		check_hello(&q.h);
		if (!worker_code_known(q.code))
			abort();
		check_text(q.code);
		for (const char *s = q.message; *s; s++)
			if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
				abort();
		break;
	}
	}
	return 0;
}
