/*
 * profile.c — external tool profiles (see profile.h): argv built from a
 * template without a shell, the tool run as a child with its stdout
 * captured up to a cap, and its output parsed into findings.
 *
 * The targets handed to a tool are what the scope allowed, in a form every
 * tool understands: literal addresses become CIDR blocks (a range
 * "192.0.2.1-192.0.2.20" is not nmap syntax, so it is split into blocks),
 * and a hostname is passed as the name only when every address it resolved
 * to is in scope — otherwise just its in-scope addresses are passed.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include "core/config.h"
#include "ports.h"
#include "profile.h"
#include "resolve.h"
#include "scanner.h"
#include "targets.h"

#define NMAP_EVIDENCE_MAX 2048	/* bytes of a script's output kept (cut beyond) */
#define NMAP_IDS_MAX 32		/* ids, refs and scripts kept per finding */

void profile_argv_free(char **argv)
{
	if (!argv)
		return;
	for (char **p = argv; *p; p++)
		free(*p);
	free(argv);
}

/* Replaces every `key` ("{ports}") inside `word` by `value`.  Returns a
 * new string or NULL without memory. */
static char *subst(const char *word, const char *key, const char *value)
{
	size_t n = 0, len = strlen(word), klen = strlen(key), vlen = value ? strlen(value) : 0;
	const char *p;
	char *out, *o;

	for (p = word; (p = strstr(p, key)); p += klen)
		n++;
	out = malloc(len + n * vlen + 1);
	if (!out)
		return NULL;
	for (o = out, p = word; *p;) {
		if (strncmp(p, key, klen) == 0) {
			memcpy(o, value, vlen);
			o += vlen;
			p += klen;
		} else {
			*o++ = *p++;
		}
	}
	*o = '\0';
	return out;
}

char **profile_build_argv(const struct config_profile *p, char *const *targets, int ntargets,
			  const char *ports, const char *targets_file, int host_timeout_s,
			  char *err, size_t errlen)
{
	char timeout[24];

	size_t cap = (size_t)p->argc + (size_t)(ntargets > 0 ? ntargets : 0) + 1, n = 0;
	char **argv;

	if (cap > PROFILE_ARGV_MAX) {
		snprintf(err, errlen, "too many targets for one run of '%s'", p->argv[0]);
		return NULL;
	}
	argv = calloc(cap, sizeof *argv);
	if (!argv)
		goto nomem;
	for (int i = 0; i < p->argc; i++) {
		const char *w = p->argv[i];

		if (strcmp(w, "{targets}") == 0) {
			for (int t = 0; t < ntargets; t++) {
				/* The target parser refuses these; this is the
				 * last line of defence before exec. */
				if (targets[t][0] == '-' || targets[t][0] == '\0') {
					snprintf(err, errlen, "refusing target '%.60s'", targets[t]);
					goto fail;
				}
				if (!(argv[n++] = strdup(targets[t])))
					goto nomem;
			}
			continue;
		}
		if (strcmp(w, "{targets_file}") == 0) {
			if (!targets_file) {
				snprintf(err, errlen, "profile '%s' needs a targets file", p->type);
				goto fail;
			}
			if (!(argv[n++] = strdup(targets_file)))
				goto nomem;
			continue;
		}
		if (strstr(w, "{targets")) {
			snprintf(err, errlen, "{targets} and {targets_file} must stand alone in the argv of '%s'",
				 p->type);
			goto fail;
		}
		if (strstr(w, "{ports}") && !ports) {
			snprintf(err, errlen, "profile '%s' needs ports", p->type);
			goto fail;
		}
		snprintf(timeout, sizeof timeout, "%ds", host_timeout_s > 0 ? host_timeout_s : 1);
		if (strstr(w, "{host_timeout}")) {
			if (!(argv[n++] = subst(w, "{host_timeout}", timeout)))
				goto nomem;
			continue;
		}
		if (!(argv[n++] = subst(w, "{ports}", ports)))
			goto nomem;
	}
	argv[n] = NULL;
	return argv;
nomem:
	snprintf(err, errlen, "out of memory");
fail:
	profile_argv_free(argv);
	return NULL;
}

int profile_tool_exists(const char *tool)
{
	const char *path = getenv("PATH");
	char buf[4096];
	struct stat st;

	if (strchr(tool, '/'))
		return stat(tool, &st) == 0 && S_ISREG(st.st_mode) && access(tool, X_OK) == 0;
	if (!path || !*path)
		path = "/usr/local/bin:/usr/bin:/bin";
	while (*path) {
		size_t len = strcspn(path, ":");

		if (snprintf(buf, sizeof buf, "%.*s/%s", (int)len, len ? path : ".", tool) < (int)sizeof buf
		    && stat(buf, &st) == 0 && S_ISREG(st.st_mode) && access(buf, X_OK) == 0)
			return 1;
		path += len;
		if (*path == ':')
			path++;
	}
	return 0;
}

/* ---- parsers ------------------------------------------------------------ */

static const char *attr(xmlNode *n, const char *name, char *buf, size_t len)
{
	xmlChar *v = xmlGetProp(n, (const xmlChar *)name);

	if (!v)
		return NULL;
	snprintf(buf, len, "%s", (const char *)v);
	xmlFree(v);
	return buf;
}

static xmlNode *child(xmlNode *n, const char *name)
{
	for (xmlNode *c = n ? n->children : NULL; c; c = c->next)
		if (c->type == XML_ELEMENT_NODE && strcmp((const char *)c->name, name) == 0)
			return c;
	return NULL;
}

/* The text of an element (its content, cut at len - 1 bytes), or "". */
static const char *text(xmlNode *n, char *buf, size_t len)
{
	xmlChar *v = n ? xmlNodeGetContent(n) : NULL;

	snprintf(buf, len, "%s", v ? (const char *)v : "");
	xmlFree(v);
	return buf;
}

/* The child <elem key="key"> or <table key="key"> of a script table. */
static xmlNode *keyed(xmlNode *n, const char *tag, const char *key)
{
	char k[64];

	for (xmlNode *c = n ? n->children : NULL; c; c = c->next)
		if (c->type == XML_ELEMENT_NODE && strcmp((const char *)c->name, tag) == 0
		    && attr(c, "key", k, sizeof k) && strcmp(k, key) == 0)
			return c;
	return NULL;
}

/* The <elem> texts of a table as a JSON array, at most `max` of them. */
static json_t *elems(xmlNode *table, int max)
{
	json_t *a = json_array();
	char buf[512];

	for (xmlNode *c = table ? table->children : NULL; c && max > 0; c = c->next)
		if (c->type == XML_ELEMENT_NODE && strcmp((const char *)c->name, "elem") == 0) {
			json_array_append_new(a, json_string(text(c, buf, sizeof buf)));
			max--;
		}
	return a;
}

/*
 * The severity of one vulnerability table: nmap's own risk_factor when the
 * script gives one, else its CVSS score, else the state (VULNERABLE is
 * medium, LIKELY VULNERABLE low) — nmap's vulns library has no severity of
 * its own, and medium is what an unrated confirmed weakness deserves.
 */
static const char *vuln_severity(xmlNode *vt, const char *state)
{
	char buf[64];
	xmlNode *scores = keyed(vt, "table", "scores");
	double cvss = -1;

	if (text(keyed(vt, "elem", "risk_factor"), buf, sizeof buf)[0]) {
		if (strcasecmp(buf, "critical") == 0)
			return "critical";
		if (strcasecmp(buf, "high") == 0)
			return "high";
		if (strcasecmp(buf, "medium") == 0)
			return "medium";
		if (strcasecmp(buf, "low") == 0)
			return "low";
	}
	for (xmlNode *c = scores ? scores->children : NULL; c; c = c->next)
		if (c->type == XML_ELEMENT_NODE && strcmp((const char *)c->name, "elem") == 0) {
			char *end;
			double v = strtod(text(c, buf, sizeof buf), &end);

			if (end != buf && v >= 0 && v <= 10 && v > cvss)
				cvss = v;
		}
	if (cvss >= 9)
		return "critical";
	if (cvss >= 7)
		return "high";
	if (cvss >= 4)
		return "medium";
	if (cvss > 0)
		return "low";
	return strncmp(state, "LIKELY", 6) == 0 ? "low" : "medium";
}

/*
 * One <script> of a port (port > 0) or of a host (port 0).  Scripts that
 * use nmap's vulns library write one <table> per vulnerability with elems
 * title and state and a table ids ("CVE:CVE-2014-3566", "BID:70574"); each
 * in state VULNERABLE or LIKELY VULNERABLE becomes a "vuln" finding.
 * Returns how many it reported.
 */
static long nmap_script(struct scanctx *ctx, xmlNode *script, const char *target, const char *addr,
			long port, const char *proto, const char *svc)
{
	char id[128], out[NMAP_EVIDENCE_MAX], state[64], vtitle[256], title[400], buf[128];
	long n = 0;

	if (!attr(script, "id", id, sizeof id))
		return 0;
	if (!attr(script, "output", out, sizeof out))
		out[0] = '\0';
	for (xmlNode *vt = script->children; vt; vt = vt->next) {
		xmlNode *ids;
		json_t *cve, *other, *detail, *f;

		if (vt->type != XML_ELEMENT_NODE || strcmp((const char *)vt->name, "table") != 0)
			continue;
		text(keyed(vt, "elem", "state"), state, sizeof state);
		if (strncmp(state, "VULNERABLE", 10) != 0 && strncmp(state, "LIKELY VULNERABLE", 17) != 0)
			continue;
		text(keyed(vt, "elem", "title"), vtitle, sizeof vtitle);
		cve = json_array();
		other = json_array();
		ids = keyed(vt, "table", "ids");
		for (xmlNode *c = ids ? ids->children : NULL; c; c = c->next) {
			if (c->type != XML_ELEMENT_NODE || strcmp((const char *)c->name, "elem") != 0)
				continue;
			text(c, buf, sizeof buf);
			if (strncmp(buf, "CVE:", 4) == 0 && json_array_size(cve) < NMAP_IDS_MAX)
				json_array_append_new(cve, json_string(buf + 4));
			else if (buf[0] && json_array_size(other) < NMAP_IDS_MAX)
				json_array_append_new(other, json_string(buf));
		}
		snprintf(title, sizeof title, "%s (%s)", vtitle[0] ? vtitle : id, id);
		detail = json_pack("{sssssosososo}", "script", id, "state", state, "cve", cve,
				   "ids", other, "refs", elems(keyed(vt, "table", "refs"), NMAP_IDS_MAX),
				   "description", elems(keyed(vt, "table", "description"), 4));
		if (!detail)
			continue;
		json_object_set_new(detail, "address", json_string(addr));
		if (out[0])
			json_object_set_new(detail, "evidence", json_string(out));
		f = json_pack("{sssssIssssssso}", "kind", "vuln", "target", target, "port", (json_int_t)port,
			      "proto", proto, "severity", vuln_severity(vt, state), "title", title,
			      "detail", detail);
		if (!f)
			continue;
		json_object_set_new(f, "service", svc && svc[0] ? json_string(svc) : json_null());
		scanner_finding(ctx, f);
		json_decref(f);
		n++;
	}
	return n;
}

static void nmap_port(struct scanctx *ctx, xmlNode *port, const char *addr, const char *hostname,
		      long *count)
{
	char proto[16], portid[16], state[32], svc[64] = "", product[128] = "", version[64] = "",
	     extra[128] = "", method[16] = "", title[256];
	xmlNode *st = child(port, "state"), *sv = child(port, "service");
	long num;
	char *end;
	json_t *f, *detail, *scripts;

	if (!attr(port, "protocol", proto, sizeof proto) || !attr(port, "portid", portid, sizeof portid)
	    || !st || !attr(st, "state", state, sizeof state) || strcmp(state, "open") != 0)
		return;
	num = strtol(portid, &end, 10);
	if (*end || num < 1 || num > 65535)
		return;
	if (sv) {
		attr(sv, "name", svc, sizeof svc);
		attr(sv, "product", product, sizeof product);
		attr(sv, "version", version, sizeof version);
		attr(sv, "extrainfo", extra, sizeof extra);
		attr(sv, "method", method, sizeof method);
	}
	/* A long product string is cut, not an error: the title is for people. */
	if (snprintf(title, sizeof title, "open port %ld/%s%s%s%s%s%s%s", num, proto,
		     svc[0] ? " " : "", svc, product[0] ? " (" : "", product,
		     version[0] ? " " : "", product[0] ? version : "") >= (int)sizeof title)
		title[sizeof title - 2] = '\0';	/* leave room for the ")" */
	if (product[0])
		snprintf(title + strlen(title), sizeof title - strlen(title), ")");
	detail = json_pack("{ssss}", "state", state, "address", addr);
	if (product[0])
		json_object_set_new(detail, "product", json_string(product));
	if (version[0])
		json_object_set_new(detail, "version", json_string(version));
	if (extra[0])
		json_object_set_new(detail, "extrainfo", json_string(extra));
	/* -sV asked the service ("probed"); without it nmap names the port
	 * from its table, a guess the inventory does not keep over a
	 * detection. */
	if (svc[0] && strcmp(method, "probed") == 0)
		json_object_set_new(detail, "detected_by", json_string("nmap"));
	/* Scripts that are not vulnerabilities (or not vulnerable) stay with
	 * the port: their output, capped, under detail.scripts. */
	scripts = json_object();
	for (xmlNode *c = port->children; c; c = c->next) {
		char id[128], out[NMAP_EVIDENCE_MAX];
		long vulns;

		if (c->type != XML_ELEMENT_NODE || strcmp((const char *)c->name, "script") != 0)
			continue;
		if ((vulns = nmap_script(ctx, c, hostname ? hostname : addr, addr, num, proto, svc)) > 0) {
			*count += vulns;
			continue;
		}
		if (attr(c, "id", id, sizeof id) && attr(c, "output", out, sizeof out)
		    && json_object_size(scripts) < NMAP_IDS_MAX)
			json_object_set_new(scripts, id, json_string(out));
	}
	if (json_object_size(scripts))
		json_object_set(detail, "scripts", scripts);
	json_decref(scripts);
	f = json_pack("{sssssIssssssso}", "kind", "open_port", "target", hostname ? hostname : addr,
		      "port", (json_int_t)num, "proto", proto, "severity", "info", "title", title,
		      "detail", detail);
	if (!f)
		return;
	json_object_set_new(f, "service", svc[0] ? json_string(svc) : json_null());
	scanner_finding(ctx, f);
	json_decref(f);
	(*count)++;
}

static int parse_nmap(struct scanctx *ctx, const char *out, size_t len, long *count, char *err,
		      size_t errlen)
{
	xmlDoc *doc;
	xmlNode *root;

	if (len > 0x7fffffff) {
		snprintf(err, errlen, "nmap output too large");
		return -1;
	}
	/* No network, no entity expansion, no DTD loading: the XML is data. */
	doc = xmlReadMemory(out, (int)len, "nmap.xml", NULL,
			    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (!doc) {
		snprintf(err, errlen, "nmap output is not XML");
		return -1;
	}
	root = xmlDocGetRootElement(doc);
	if (!root || strcmp((const char *)root->name, "nmaprun") != 0) {
		xmlFreeDoc(doc);
		snprintf(err, errlen, "nmap output has no <nmaprun>");
		return -1;
	}
	for (xmlNode *h = root->children; h; h = h->next) {
		char addr[64] = "", name[256], *hostname = NULL;
		xmlNode *names = child(h, "hostnames"), *ports = child(h, "ports"),
			*hs = child(h, "hostscript");

		if (h->type != XML_ELEMENT_NODE || strcmp((const char *)h->name, "host") != 0)
			continue;
		for (xmlNode *a = h->children; a; a = a->next) {
			char type[16];

			if (a->type == XML_ELEMENT_NODE && strcmp((const char *)a->name, "address") == 0
			    && attr(a, "addrtype", type, sizeof type) && strcmp(type, "mac") != 0) {
				attr(a, "addr", addr, sizeof addr);
				break;
			}
		}
		if (names && child(names, "hostname") && attr(child(names, "hostname"), "name", name, sizeof name))
			hostname = name;
		for (xmlNode *p = ports ? ports->children : NULL; p; p = p->next)
			if (p->type == XML_ELEMENT_NODE && strcmp((const char *)p->name, "port") == 0)
				nmap_port(ctx, p, addr, hostname, count);
		/* Host scripts (smb-vuln-*, ...) belong to no port. */
		for (xmlNode *c = hs ? hs->children : NULL; c; c = c->next)
			if (c->type == XML_ELEMENT_NODE && strcmp((const char *)c->name, "script") == 0)
				*count += nmap_script(ctx, c, hostname ? hostname : addr, addr, 0, "tcp", NULL);
	}
	xmlFreeDoc(doc);
	return 0;
}

static const char *severity(const char *s)
{
	static const char *const known[] = { "info", "low", "medium", "high", "critical" };

	for (size_t i = 0; s && i < sizeof known / sizeof known[0]; i++)
		if (strcmp(s, known[i]) == 0)
			return known[i];
	return "info";
}

static int parse_nuclei(struct scanctx *ctx, const char *out, size_t len, long *count, char *err,
			size_t errlen)
{
	long bad = 0;

	for (const char *line = out, *end = out + len; line < end;) {
		const char *nl = memchr(line, '\n', (size_t)(end - line));
		size_t n = nl ? (size_t)(nl - line) : (size_t)(end - line);
		json_error_t jerr;
		json_t *j = n ? json_loadb(line, n, 0, &jerr) : NULL;

		line += n + 1;
		if (!n)
			continue;
		if (!json_is_object(j)) {
			bad++;
			json_decref(j);
			continue;
		}
		const char *tid = json_string_value(json_object_get(j, "template-id"));
		json_t *info = json_object_get(j, "info");
		const char *name = json_string_value(json_object_get(info, "name"));
		const char *sev = json_string_value(json_object_get(info, "severity"));
		const char *at = json_string_value(json_object_get(j, "matched-at"));
		const char *host = json_string_value(json_object_get(j, "host"));
		char title[256];
		json_t *f;

		if (!tid) {
			bad++;
			json_decref(j);
			continue;
		}
		snprintf(title, sizeof title, "%s", name ? name : tid);
		f = json_pack("{sssssisssss{ssss?ss?}}", "kind", "vuln",
			      "target", host ? host : at ? at : "", "port", 0, "severity", severity(sev),
			      "title", title, "detail", "template_id", tid, "matched_at", at,
			      "type", json_string_value(json_object_get(j, "type")));
		if (f) {
			json_object_set_new(f, "proto", json_string("tcp"));
			scanner_finding(ctx, f);
			(*count)++;
		}
		json_decref(f);
		json_decref(j);
	}
	if (bad && *count == 0) {
		snprintf(err, errlen, "nuclei output has %ld lines that are not findings", bad);
		return -1;
	}
	return 0;
}

static int parse_lines(struct scanctx *ctx, const char *out, size_t len, long *count)
{
	for (const char *line = out, *end = out + len; line < end;) {
		const char *nl = memchr(line, '\n', (size_t)(end - line));
		size_t n = nl ? (size_t)(nl - line) : (size_t)(end - line);
		char title[256];
		json_t *f;

		snprintf(title, sizeof title, "%.*s", (int)(n < sizeof title ? n : sizeof title - 1), line);
		line += n + 1;
		for (char *c = title; *c; c++)
			if ((unsigned char)*c < 0x20 || (unsigned char)*c > 0x7e)
				*c = '.';
		if (!title[0])
			continue;
		f = json_pack("{sssssisssss{}}", "kind", "line",
			      "target", ctx->ntargets == 1 ? ctx->targets[0] : "", "port", 0,
			      "severity", "info", "title", title, "detail");
		if (f) {
			scanner_finding(ctx, f);
			(*count)++;
		}
		json_decref(f);
	}
	return 0;
}

int profile_parse(struct scanctx *ctx, const char *parser, const char *out, size_t len,
		  long *count, char *err, size_t errlen)
{
	long local = 0;

	if (!count)
		count = &local;
	*count = 0;
	if (strcmp(parser, "nmap-xml") == 0)
		return parse_nmap(ctx, out, len, count, err, errlen);
	if (strcmp(parser, "nuclei-jsonl") == 0)
		return parse_nuclei(ctx, out, len, count, err, errlen);
	if (strcmp(parser, "lines") == 0)
		return parse_lines(ctx, out, len, count);
	snprintf(err, errlen, "unknown parser '%s'", parser);
	return -1;
}

/* ---- running a profile -------------------------------------------------- */

/* Appends the CIDR blocks covering [lo, hi] to list (strings, owned). */
static int add_blocks(char **list, int *n, int cap, targets_u128 lo, targets_u128 hi)
{
	for (;;) {
		struct target_addr a;
		targets_u128 last;
		char text[64], buf[80];
		int bits = 0;	/* the block is lo .. lo + 2^bits - 1 */

		/* Grow the block while a twice larger one is aligned at lo and fits. */
		while (bits < 128) {
			targets_u128 m = bits + 1 == 128 ? ~(targets_u128)0
					 : (((targets_u128)1 << (bits + 1)) - 1);

			if ((lo & m) != 0 || m > hi - lo)
				break;
			bits++;
		}
		last = lo + (bits == 128 ? ~(targets_u128)0 : (((targets_u128)1 << bits) - 1));
		targets_to_addr(lo, &a);
		targets_addr_str(&a, text, sizeof text);
		if (bits == 0)
			snprintf(buf, sizeof buf, "%s", text);
		else
			snprintf(buf, sizeof buf, "%s/%d", text,
				 128 - bits - (a.family == AF_INET ? 96 : 0));
		if (*n >= cap)
			return -1;
		list[*n] = strdup(buf);
		if (!list[(*n)++])
			return -1;
		if (last >= hi)
			return 0;
		lo = last + 1;
	}
}

/* Runs argv with stdout into *out (at most `cap` bytes).  Returns the
 * wait status, or -1 with a reason (err) if it could not run or its output
 * passed the cap (the tool is then killed). */
static int run_tool(char **argv, char **out, size_t *outlen, size_t cap, char *err, size_t errlen)
{
	int pfd[2], status = 0, over = 0;
	size_t len = 0, size = cap < 65536 ? cap : 65536;
	char *buf = malloc(size);
	pid_t pid;

	if (!buf || pipe2(pfd, O_CLOEXEC) < 0) {
		free(buf);
		snprintf(err, errlen, "cannot start '%s': %s", argv[0], strerror(errno));
		return -1;
	}
	pid = fork();
	if (pid < 0) {
		snprintf(err, errlen, "cannot start '%s': %s", argv[0], strerror(errno));
		close(pfd[0]);
		close(pfd[1]);
		free(buf);
		return -1;
	}
	if (pid == 0) {
		int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);

		if (devnull >= 0)
			dup2(devnull, 0);
		dup2(pfd[1], 1);
		signal(SIGPIPE, SIG_DFL);
		execvp(argv[0], argv);
		fprintf(stderr, "error: cannot run '%s': %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(pfd[1]);
	for (;;) {
		ssize_t n;

		if (len == size) {
			char *bigger = size >= cap ? NULL : realloc(buf, size * 2 > cap ? cap : size * 2);

			if (!bigger) {
				over = 1;
				kill(pid, SIGKILL);
				break;
			}
			buf = bigger;
			size = size * 2 > cap ? cap : size * 2;
		}
		n = read(pfd[0], buf + len, size - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(pfd[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (over) {
		free(buf);
		snprintf(err, errlen, "'%s' wrote more than %zu KiB; stopped", argv[0], cap / 1024);
		return -1;
	}
	*out = buf;
	*outlen = len;
	return status;
}

/* Writes the targets, one a line, to a new private file (mode 0600) in
 * $TMPDIR; its path goes to path.  Returns 0 or -1 with a reason. */
static int write_targets(char *path, size_t len, char **list, int n, char *err, size_t errlen)
{
	const char *dir = getenv("TMPDIR");
	FILE *f;
	int fd;

	snprintf(path, len, "%s/scanq-targets-XXXXXX", dir && *dir ? dir : "/tmp");
	fd = mkstemp(path);
	if (fd < 0 || !(f = fdopen(fd, "w"))) {
		snprintf(err, errlen, "cannot write the targets file: %s", strerror(errno));
		if (fd >= 0) {
			close(fd);
			unlink(path);
		}
		path[0] = '\0';
		return -1;
	}
	for (int i = 0; i < n; i++)
		fprintf(f, "%s\n", list[i]);
	if (fclose(f) != 0) {
		snprintf(err, errlen, "cannot write the targets file: %s", strerror(errno));
		unlink(path);
		path[0] = '\0';
		return -1;
	}
	return 0;
}

/* The tool's target arguments: the address blocks of the resolved targets,
 * then each name that resolved (or, when only some of its addresses are in
 * scope, those addresses).  Returns -1 when they need more than lcap. */
static int tool_targets(const struct resolve_hostset *hs, char **list, int *nlist, int lcap)
{
	for (size_t i = 0; i < targets_nranges(hs->list); i++) {
		targets_u128 lo, hi;

		targets_range(hs->list, i, &lo, &hi);
		if (add_blocks(list, nlist, lcap, lo, hi) < 0)
			return -1;
	}
	for (size_t i = 0; i < targets_nnames(hs->list); i++) {
		const char *name = targets_name(hs->list, i);

		if (hs->name_state[i] == RESOLVE_NAME_OK) {
			if (*nlist >= lcap || !(list[(*nlist)++] = strdup(name)))
				return -1;
		} else if (hs->name_state[i] == RESOLVE_NAME_PARTIAL) {
			for (size_t h = 0; h < hs->n; h++) {
				char text[64];

				if (hs->hosts[h].name != name)
					continue;
				targets_addr_str(&hs->hosts[h].addr, text, sizeof text);
				if (*nlist >= lcap || !(list[(*nlist)++] = strdup(text)))
					return -1;
			}
		}
	}
	return 0;
}

/* How the tool ended (run_tool()'s status, err its reason when < 0): 0 if
 * it exited 0, else the scan's error line (tool_missing or tool_failed). */
static int tool_ended(struct scanctx *ctx, const char *tool, int status, size_t outlen,
		      const char *err)
{
	if (status < 0)
		return scanner_error(ctx, "tool_failed", "%s", err);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127 && outlen == 0)
		return scanner_error(ctx, "tool_missing", "'%s' could not be run", tool);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return scanner_error(ctx, "tool_failed", "'%s' %s %d", tool,
				     WIFEXITED(status) ? "exited with status" : "was killed by signal",
				     WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
	return 0;
}

int profile_run(struct scanctx *ctx, const struct config_profile *p)
{
	struct resolve_hostset hs = { 0 };
	struct port_set *ps = NULL;
	char **list = NULL, **argv = NULL, *ports = NULL, *out = NULL, err[320], tfile[600] = "";
	const char *spec = json_string_value(json_object_get(ctx->options, "ports"));
	size_t outlen = 0, cap = (size_t)config.output_limit_kb * 1024;
	int nlist = 0, lcap = PROFILE_ARGV_MAX - CONFIG_ARGV_MAX, rc, status, limit;
	long count = 0;
	json_t *summary;

	if (!profile_tool_exists(p->argv[0]))
		return scanner_error(ctx, "tool_missing", "scan type '%s' needs '%s', which is not installed",
				     p->type, p->argv[0]);
	ps = malloc(sizeof *ps);
	list = calloc((size_t)lcap + 1, sizeof *list);
	if (!ps || !list) {
		rc = scanner_error(ctx, "internal", "out of memory");
		goto out;
	}
	if (ports_parse(spec ? spec : PORTS_DEFAULT, ps, err, sizeof err) < 0) {
		rc = scanner_error(ctx, "invalid_ports", "%s", err);
		goto out;
	}
	ports = ports_format(ps);
	if (!ports) {
		rc = scanner_error(ctx, "internal", "out of memory");
		goto out;
	}
	rc = resolve_hosts(ctx, &hs);
	if (rc != 0)
		goto out;
	if (tool_targets(&hs, list, &nlist, lcap) < 0) {
		rc = scanner_error(ctx, "too_many_targets", "the targets need more than %d arguments for '%s'",
				   lcap, p->argv[0]);
		goto out;
	}
	for (int i = 0; i < p->argc; i++)
		if (strcmp(p->argv[i], "{targets_file}") == 0 && !tfile[0]
		    && write_targets(tfile, sizeof tfile, list, nlist, err, sizeof err) < 0) {
			rc = scanner_error(ctx, "internal", "%s", err);
			goto out;
		}
	/* Two thirds of the scan's limit per host: nmap then reports what it
	 * has before the worker's soft limit (five sixths) stops it. */
	limit = ctx->time_limit_s > 0 ? ctx->time_limit_s : config.hard_time_limit_s;
	argv = profile_build_argv(p, list, nlist, ports, tfile[0] ? tfile : NULL,
				  limit * 2 / 3 > 10 ? limit * 2 / 3 : 10, err, sizeof err);
	if (!argv) {
		rc = scanner_error(ctx, "invalid_target", "%s", err);
		goto out;
	}
	scanner_progress(ctx, 0);
	status = run_tool(argv, &out, &outlen, cap, err, sizeof err);
	if ((rc = tool_ended(ctx, argv[0], status, outlen, err)) != 0)
		goto out;
	if (profile_parse(ctx, p->parser, out, outlen, &count, err, sizeof err) < 0) {
		rc = scanner_error(ctx, "tool_failed", "%s", err);
		goto out;
	}
	scanner_progress(ctx, 1);
	summary = json_pack("{sssssIsIsIsI}", "tool", argv[0], "parser", p->parser,
			    "targets", (json_int_t)nlist, "skipped", (json_int_t)hs.skipped,
			    "excluded", (json_int_t)hs.excluded,
			    "output_bytes", (json_int_t)outlen);
	scanner_summary(ctx, summary);
	json_decref(summary);
	rc = 0;
out:
	if (tfile[0])
		unlink(tfile);
	for (int i = 0; list && i < nlist; i++)
		free(list[i]);
	free(list);
	profile_argv_free(argv);
	free(ports);
	free(out);
	free(ps);
	resolve_hostset_release(&hs);
	return rc;
}
