/*
 * fuzz_api_body.c — libFuzzer target for the body parser of
 * POST /api/v1/scans (body_parse_submit) and the validation the API runs
 * next (submit_validate_targets), without a database.
 *
 * Beyond "no crash, no leak, no undefined behaviour" it checks the parser's
 * contract: on success the document is kept and `type` and `targets` are
 * set with the right JSON types; on refusal nothing is kept, the status is
 * 400 or 422, and the code and the detail are non-empty printable one-line
 * text (they go to clients verbatim); a refusal of submit_validate_targets(),
 * which may quote any bytes of a target, still makes a problem document.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "api/api.h"
#include "api/body.h"
#include "app/submit.h"
#include "targets.h"

static void check_text(const char *s)
{
	if (!*s)
		abort();
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s == 0x7f)
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct submit_input in;
	struct api_problem p;
	json_t *root = (json_t *)1;
	char code[32], msg[256];

	if (size > 64 * 1024)
		return 0;
	submit_input_init(&in);
	memset(&p, 0, sizeof p);
	if (body_parse_submit((const char *)data, size, &in, &root, &p) < 0) {
		if (root || (p.status != 400 && p.status != 422))
			abort();
		check_text(p.code);
		check_text(p.detail);
		return 0;
	}
	if (!root || !json_is_object(root) || !in.type || !json_is_array(in.targets))
		abort();
	if (in.options && !json_is_object(in.options))
		abort();
	code[0] = msg[0] = '\0';
	if (submit_validate_targets(in.targets, in.ports, code, sizeof code, msg, sizeof msg) < 0) {
		/* The refusal reaches the client as a problem document, whatever
		 * bytes of the target it quotes. */
		json_t *doc;
		p.status = 422;
		snprintf(p.code, sizeof p.code, "%s", code);
		snprintf(p.detail, sizeof p.detail, "%s", msg);
		if (!(doc = api_problem_json(&p)))
			abort();
		json_decref(doc);
	}
	json_decref(root);
	return 0;
}
