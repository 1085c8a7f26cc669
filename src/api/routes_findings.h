/*
 * routes_findings.h — the API's handlers of the findings lifecycle
 * (routes_findings.c): the list across runs and the triage verbs.
 */
#ifndef SCANQ_API_ROUTES_FINDINGS_H
#define SCANQ_API_ROUTES_FINDINGS_H

#include <microhttpd.h>

struct req;

/* GET /api/v1/findings?state=&severity=&baseline=|schedule=|scan=&after=&limit= */
enum MHD_Result routes_findings_list(struct req *r);
/* GET /api/v1/findings/export?format=F&schedule=NAME|baseline=ID: the
 * newest complete run of that baseline, with the findings' states. */
enum MHD_Result routes_findings_export(struct req *r);
/* POST /api/v1/findings/{fingerprint}/accept  {"reason", "expires"?, "baseline"?} */
enum MHD_Result routes_finding_accept(struct req *r);
/* POST /api/v1/findings/{fingerprint}/false-positive  {"reason", "baseline"?} */
enum MHD_Result routes_finding_false_positive(struct req *r);
/* POST /api/v1/findings/{fingerprint}/reopen  {"reason"?, "baseline"?} (body optional) */
enum MHD_Result routes_finding_reopen(struct req *r);

#endif
