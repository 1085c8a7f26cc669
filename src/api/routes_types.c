/*
 * routes_types.c — GET /api/v1/scan-types: what the UI's submit and
 * schedule forms offer as a choice.  The built-in scanners (test types
 * marked), and the tool profiles of the settings with whether their tool
 * is installed on this host (the same test as `scanq doctor`).
 */
#include <microhttpd.h>
#include "api/reply.h"
#include "api/routes_schedules.h"
#include "api/req.h"
#include "core/config.h"
#include "profile.h"
#include "scantype.h"

enum MHD_Result h_scan_types(struct req *r)
{
	json_t *a = json_array();

	for (const struct scantype *t = scantype_table; t->name; t++)
		json_array_append_new(a, json_pack("{ss ss ss sb sb}", "name", t->name, "kind", "builtin",
						   "summary", t->summary, "available", 1,
						   "test_only", t->test_only));
	for (int i = 0; i < config.nprofiles; i++) {
		const struct config_profile *p = &config.profiles[i];
		int ok = p->argc && profile_tool_exists(p->argv[0]);
		json_t *o = json_pack("{ss ss ss sb sb}", "name", p->type, "kind", "profile",
				      "summary", ok ? "external tool profile" : "external tool profile: its tool is not installed on this host",
				      "available", ok, "test_only", 0);

		json_object_set_new(o, "tool", json_string(p->argc ? p->argv[0] : ""));
		json_array_append_new(a, o);
	}
	return reply_json(r, 200, json_pack("{so}", "types", a), NULL, NULL);
}
