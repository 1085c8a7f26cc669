/*
 * routes_export.c — GET /api/v1/scans/{id}/export?format=F: a scan's
 * findings as a file (app/export.h), streamed to the client as it reads.
 * The server hands out the document through a content reader on the
 * connection's own thread, so the stream reads from that thread's store
 * handle a page at a time and memory stays bounded however many findings
 * the scan has.  A store failure mid-way ends the response early: the
 * client sees a truncated body, never a different document.
 */
#include <stdint.h>
#include <stdio.h>
#include <microhttpd.h>
#include "api/reply.h"
#include "api/routes_export.h"
#include "api/req.h"
#include "app/export.h"
#include "core/log.h"
#include "core/num.h"
#include "store/store.h"

#define EXPORT_BLOCK 65536		/* bytes handed to the server at a time */

static ssize_t reader(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct export *ex = cls;
	ssize_t n = export_read(ex, buf, max);
	char q[300];

	(void)pos;
	if (n > 0)
		return n;
	if (n == 0)
		return MHD_CONTENT_READER_END_OF_STREAM;
	log_error("export failed", "error=%s", log_quote(export_error(ex), q, sizeof q));
	return MHD_CONTENT_READER_END_WITH_ERROR;
}

static void reader_free(void *cls)
{
	export_free(cls);
}

enum MHD_Result routes_export(struct req *r)
{
	const char *format = MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, "format");
	struct export *ex = NULL;
	enum export_format f;
	char c[80], name[64];
	long long v;
	int rc;

	if (num_parse(r->param, 1, INT64_MAX, &v) < 0)
		return reply_problem(r, 400, "invalid_id", "scan id must be a positive integer, not '%s'",
				     reply_clean(r->param, c, sizeof c));
	if (!format)
		return reply_problem(r, 400, "invalid_query", "format is required: " EXPORT_FORMAT_NAMES);
	if (export_format_parse(format, &f) < 0)
		return reply_problem(r, 400, "invalid_query", "unknown format '%s': use " EXPORT_FORMAT_NAMES,
				     reply_clean(format, c, sizeof c));
	rc = export_open(r->s, (int64_t)v, f, &ex);
	if (rc == STORE_NOT_FOUND)
		return reply_problem(r, 404, "not_found", "no scan %lld", v);
	if (rc != STORE_OK)
		return reply_store_problem(r, "export");
	snprintf(name, sizeof name, "scanq-scan-%lld", v);
	return routes_export_stream(r, ex, f, name);
}

enum MHD_Result routes_export_stream(struct req *r, struct export *ex, enum export_format f,
				     const char *name)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;
	char disp[160];

	resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, EXPORT_BLOCK, reader, ex, reader_free);
	if (!resp) {
		export_free(ex);
		return MHD_NO;
	}
	snprintf(disp, sizeof disp, "attachment; filename=\"%s.%s\"", name, export_extension(f));
	MHD_add_response_header(resp, "Content-Type", export_content_type(f));
	MHD_add_response_header(resp, "Content-Disposition", disp);
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(resp, "Cache-Control", "no-store");
	if (f == EXPORT_HTML)	/* the report has no script: a scanned one must not run */
		MHD_add_response_header(resp, "Content-Security-Policy",
					"default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'");
	r->code = 200;
	ret = MHD_queue_response(r->conn, 200, resp);
	MHD_destroy_response(resp);
	return ret;
}
