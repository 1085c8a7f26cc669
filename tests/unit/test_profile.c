/*
 * test_profile.c — external tool profiles: the argv a template builds
 * (targets are separate elements and never options, no shell anywhere),
 * the nmap XML and nuclei JSON-lines parsers, a missing tool, and nmap
 * itself finding the same open loopback ports as the built-in portscan.
 */
#include "testutil.h"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <jansson.h>
#include "core/config.h"
#include "portscan.h"
#include "profile.h"
#include "scanner.h"
#include "scantype.h"

static struct config_profile make_profile(const char *type, const char *parser, char **words)
{
	struct config_profile p = { .argc = 0 };

	snprintf(p.type, sizeof p.type, "%s", type);
	snprintf(p.parser, sizeof p.parser, "%s", parser);
	while (words[p.argc]) {
		p.argv[p.argc] = words[p.argc];
		p.argc++;
	}
	return p;
}

static void targets_become_separate_argv_elements(void **state)
{
	char *tmpl[] = { "nmap", "-sV", "-oX", "-", "-p", "{ports}", "{targets}", NULL };
	struct config_profile p = make_profile("nmap", "nmap-xml", tmpl);
	char *targets[] = { "127.0.0.1", "::1", "host name with spaces;rm -rf /" };
	const char *want[] = { "nmap", "-sV", "-oX", "-", "-p", "22,80", "127.0.0.1", "::1",
			       "host name with spaces;rm -rf /", NULL };
	char err[128], **argv = profile_build_argv(&p, targets, 3, "22,80", NULL, 60, err, sizeof err);
	int i;

	assert_non_null(argv);
	for (i = 0; want[i]; i++)
		assert_string_equal(argv[i], want[i]);
	assert_null(argv[i]);
	profile_argv_free(argv);
}

static void ports_inside_a_word_are_substituted(void **state)
{
	char *tmpl[] = { "tool", "--ports={ports}", "{targets}", NULL };
	struct config_profile p = make_profile("t", "lines", tmpl);
	char *targets[] = { "127.0.0.1" };
	char err[128], **argv = profile_build_argv(&p, targets, 1, "1-1024", NULL, 60, err, sizeof err);

	assert_non_null(argv);
	assert_string_equal(argv[1], "--ports=1-1024");
	profile_argv_free(argv);
}

static void a_target_that_looks_like_an_option_never_reaches_argv(void **state)
{
	char *tmpl[] = { "nmap", "{targets}", NULL };
	char *tmpl2[] = { "nmap", "--target={targets}", NULL };
	struct config_profile p = make_profile("nmap", "nmap-xml", tmpl);
	struct config_profile p2 = make_profile("nmap", "nmap-xml", tmpl2);
	char *evil[] = { "--script=/tmp/evil.nse" }, *ok[] = { "127.0.0.1" };
	char err[128];

	assert_null(profile_build_argv(&p, evil, 1, NULL, NULL, 60, err, sizeof err));
	assert_non_null(strstr(err, "--script"));
	assert_null(profile_build_argv(&p2, ok, 1, NULL, NULL, 60, err, sizeof err));
}

/* Runs a profile (or a parser) with stdout captured as JSON lines. */
struct capture {
	struct scanctx ctx;
	char *buf;
	size_t len;
};

static void cap_open(struct capture *c, char **targets, int n, const char *options)
{
	memset(c, 0, sizeof *c);
	c->ctx.type = "test";
	c->ctx.json = 1;
	c->ctx.out = open_memstream(&c->buf, &c->len);
	c->ctx.targets = targets;
	c->ctx.ntargets = n;
	c->ctx.options = json_loads(options, 0, NULL);
	assert_non_null(c->ctx.options);
}

/* Closes the capture; returns the lines as a JSON array (new reference). */
static json_t *cap_close(struct capture *c)
{
	json_t *lines = json_array();
	char *save = NULL;

	fclose(c->ctx.out);
	for (char *l = strtok_r(c->buf, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		json_t *j = json_loads(l, 0, NULL);

		if (!j)
			fail_msg("not a protocol line: %s", l);
		json_array_append_new(lines, j);
	}
	free(c->buf);
	json_decref(c->ctx.options);
	return lines;
}

static json_t *nth(json_t *lines, const char *key, int n)
{
	size_t i;
	json_t *l;

	json_array_foreach(lines, i, l)
		if (json_object_get(l, key) && n-- == 0)
			return json_object_get(l, key);
	return NULL;
}

static const char nmap_xml[] =
	"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	"<!DOCTYPE nmaprun>\n"
	"<?xml-stylesheet href=\"file:///usr/bin/../share/nmap/nmap.xsl\" type=\"text/xsl\"?>\n"
	"<nmaprun scanner=\"nmap\" args=\"nmap -sV -oX - 127.0.0.1\" version=\"7.93\">\n"
	"<host starttime=\"1\"><status state=\"up\" reason=\"user-set\"/>\n"
	"<address addr=\"127.0.0.1\" addrtype=\"ipv4\"/>\n"
	"<hostnames><hostname name=\"localhost\" type=\"user\"/></hostnames>\n"
	"<ports><extraports state=\"closed\" count=\"997\"/>\n"
	"<port protocol=\"tcp\" portid=\"22\"><state state=\"open\" reason=\"syn-ack\"/>"
	"<service name=\"ssh\" product=\"OpenSSH\" version=\"9.2p1 Debian 2\" extrainfo=\"protocol 2.0\" method=\"probed\"/></port>\n"
	"<port protocol=\"tcp\" portid=\"25\"><state state=\"filtered\" reason=\"no-response\"/></port>\n"
	"<port protocol=\"tcp\" portid=\"8080\"><state state=\"open\" reason=\"syn-ack\"/>"
	"<service name=\"http-proxy\" method=\"table\"/></port>\n"
	"</ports></host>\n"
	"<runstats><finished time=\"2\" exit=\"success\"/><hosts up=\"1\" down=\"0\" total=\"1\"/></runstats>\n"
	"</nmaprun>\n";

static void nmap_xml_becomes_open_port_findings(void **state)
{
	struct capture c;
	char err[128];
	long count;
	json_t *lines, *f;

	cap_open(&c, NULL, 0, "{}");
	assert_int_equal(profile_parse(&c.ctx, "nmap-xml", nmap_xml, sizeof nmap_xml - 1, &count, err, sizeof err), 0);
	lines = cap_close(&c);
	assert_int_equal(count, 2);
	f = nth(lines, "finding", 0);
	assert_string_equal(json_string_value(json_object_get(f, "kind")), "open_port");
	assert_string_equal(json_string_value(json_object_get(f, "target")), "localhost");
	assert_int_equal(json_integer_value(json_object_get(f, "port")), 22);
	assert_string_equal(json_string_value(json_object_get(f, "proto")), "tcp");
	assert_string_equal(json_string_value(json_object_get(f, "service")), "ssh");
	assert_string_equal(json_string_value(json_object_get(json_object_get(f, "detail"), "product")), "OpenSSH");
	assert_string_equal(json_string_value(json_object_get(json_object_get(f, "detail"), "version")),
			    "9.2p1 Debian 2");
	assert_string_equal(json_string_value(json_object_get(json_object_get(f, "detail"), "address")), "127.0.0.1");
	/* -sV probed it: a detection the inventory keeps. */
	assert_string_equal(json_string_value(json_object_get(json_object_get(f, "detail"), "detected_by")), "nmap");
	f = nth(lines, "finding", 1);
	assert_int_equal(json_integer_value(json_object_get(f, "port")), 8080);
	/* Named from nmap's table: a guess, not a detection. */
	assert_null(json_object_get(json_object_get(f, "detail"), "detected_by"));
	assert_null(nth(lines, "finding", 2));
	json_decref(lines);
}

/* Recorded from nmap 7.93 --script "(vuln)and(safe)" against loopback
 * fixtures (a 206-answering HTTP server, an s_server with a 1024-bit DH
 * group), trimmed, plus a rated table and a host script. */
static const char nmap_vuln_xml[] =
	"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	"<nmaprun scanner=\"nmap\" version=\"7.93\">\n"
	"<host><status state=\"up\"/><address addr=\"127.0.0.1\" addrtype=\"ipv4\"/><ports>\n"
	"<port protocol=\"tcp\" portid=\"18080\"><state state=\"open\"/>"
	"<service name=\"http\" product=\"Apache httpd\" version=\"2.2.8\"/>"
	"<script id=\"http-vuln-cve2011-3192\" output=\"&#xa;  VULNERABLE:&#xa;  Apache byterange filter DoS\">"
	"<table key=\"CVE-2011-3192\"><elem key=\"title\">Apache byterange filter DoS</elem>"
	"<elem key=\"state\">VULNERABLE</elem><table key=\"ids\"><elem>CVE:CVE-2011-3192</elem>"
	"<elem>BID:49303</elem></table><table key=\"refs\">"
	"<elem>https://cve.mitre.org/cgi-bin/cvename.cgi?name=CVE-2011-3192</elem></table></table></script>"
	"<script id=\"http-server-header\" output=\"Apache/2.2.8\"/>"
	"<script id=\"http-vuln-cve2017-1001000\" output=\"ERROR: Script execution failed\"/>"
	"</port>\n"
	"<port protocol=\"tcp\" portid=\"14433\"><state state=\"open\"/><service name=\"unknown\" tunnel=\"ssl\"/>"
	"<script id=\"ssl-dh-params\" output=\"VULNERABLE: weak DH\"><table key=\"NMAP-5\">"
	"<elem key=\"title\">Diffie-Hellman Key Exchange Insufficient Group Strength</elem>"
	"<elem key=\"state\">VULNERABLE</elem></table>"
	"<table key=\"NMAP-6\"><elem key=\"title\">Not this one</elem>"
	"<elem key=\"state\">NOT VULNERABLE</elem></table>"
	"<table key=\"NMAP-7\"><elem key=\"title\">Rated</elem><elem key=\"state\">LIKELY VULNERABLE</elem>"
	"<table key=\"scores\"><elem key=\"CVSSv2\">9.3</elem></table></table>"
	"</script></port>\n"
	"</ports><hostscript><script id=\"smb-vuln-ms17-010\" output=\"VULNERABLE\">"
	"<table key=\"CVE-2017-0143\"><elem key=\"title\">Remote Code Execution vulnerability in Microsoft SMBv1"
	" servers (ms17-010)</elem><elem key=\"state\">VULNERABLE</elem><elem key=\"risk_factor\">HIGH</elem>"
	"<table key=\"ids\"><elem>CVE:CVE-2017-0143</elem></table></table></script></hostscript></host>\n"
	"</nmaprun>\n";

static json_t *find_kind(json_t *lines, const char *kind, const char *script, int port)
{
	json_t *f;

	for (int i = 0; (f = nth(lines, "finding", i)); i++) {
		json_t *d = json_object_get(f, "detail");

		if (strcmp(json_string_value(json_object_get(f, "kind")), kind) == 0
		    && json_integer_value(json_object_get(f, "port")) == port
		    && (!script || (json_string_value(json_object_get(d, "script"))
				    && strcmp(json_string_value(json_object_get(d, "script")), script) == 0)))
			return f;
	}
	return NULL;
}

static void nmap_vulnerable_script_tables_become_vuln_findings_with_cve_and_severity(void **state)
{
	struct capture c;
	char err[128];
	long count;
	json_t *lines, *f, *d, *sum;

	cap_open(&c, NULL, 0, "{}");
	assert_int_equal(profile_parse(&c.ctx, "nmap-xml", nmap_vuln_xml, sizeof nmap_vuln_xml - 1, &count,
				       err, sizeof err), 0);
	sum = json_object();
	scanner_summary(&c.ctx, sum);
	json_decref(sum);
	lines = cap_close(&c);
	/* 2 open ports + byterange + weak DH + rated + ms17-010; NOT VULNERABLE is not one. */
	assert_int_equal(count, 6);

	f = find_kind(lines, "vuln", "http-vuln-cve2011-3192", 18080);
	assert_non_null(f);
	d = json_object_get(f, "detail");
	assert_string_equal(json_string_value(json_object_get(f, "title")),
			    "Apache byterange filter DoS (http-vuln-cve2011-3192)");
	assert_string_equal(json_string_value(json_object_get(f, "severity")), "medium");
	assert_string_equal(json_string_value(json_object_get(f, "service")), "http");
	assert_string_equal(json_string_value(json_object_get(d, "state")), "VULNERABLE");
	assert_int_equal(json_array_size(json_object_get(d, "cve")), 1);
	assert_string_equal(json_string_value(json_array_get(json_object_get(d, "cve"), 0)), "CVE-2011-3192");
	assert_string_equal(json_string_value(json_array_get(json_object_get(d, "ids"), 0)), "BID:49303");
	assert_non_null(strstr(json_string_value(json_object_get(d, "evidence")), "VULNERABLE"));

	/* The port keeps the scripts that found nothing, with their output. */
	f = find_kind(lines, "open_port", NULL, 18080);
	assert_non_null(f);
	assert_string_equal(json_string_value(json_object_get(json_object_get(json_object_get(f, "detail"),
			    "scripts"), "http-server-header")), "Apache/2.2.8");

	f = find_kind(lines, "vuln", "ssl-dh-params", 14433);
	assert_non_null(f);
	assert_string_equal(json_string_value(json_object_get(f, "severity")), "medium");
	assert_int_equal(json_array_size(json_object_get(json_object_get(f, "detail"), "cve")), 0);
	for (int i = 0; (f = nth(lines, "finding", i)); i++)
		assert_null(strstr(json_string_value(json_object_get(f, "title")), "Not this one"));
	f = nth(lines, "finding", 3);	/* the rated table, by its CVSS score */
	assert_string_equal(json_string_value(json_object_get(f, "title")), "Rated (ssl-dh-params)");
	assert_string_equal(json_string_value(json_object_get(f, "severity")), "critical");
	assert_string_equal(json_string_value(json_object_get(json_object_get(f, "detail"), "state")),
			    "LIKELY VULNERABLE");

	f = find_kind(lines, "vuln", "smb-vuln-ms17-010", 0);
	assert_non_null(f);
	assert_string_equal(json_string_value(json_object_get(f, "severity")), "high");
	assert_string_equal(json_string_value(json_object_get(f, "target")), "127.0.0.1");

	sum = nth(lines, "summary", 0);
	assert_int_equal(json_integer_value(json_object_get(sum, "findings")), 6);
	d = json_object_get(sum, "severity");
	assert_int_equal(json_integer_value(json_object_get(d, "info")), 2);
	assert_int_equal(json_integer_value(json_object_get(d, "medium")), 2);
	assert_int_equal(json_integer_value(json_object_get(d, "high")), 1);
	assert_int_equal(json_integer_value(json_object_get(d, "critical")), 1);
	assert_int_equal(json_integer_value(json_object_get(d, "low")), 0);
	json_decref(lines);
}

static void malformed_or_hostile_xml_is_refused_or_inert(void **state)
{
	static const char *const bad[] = {
		"", "not xml", "<nmaprun><host>", "<other/>",
	};
	/* An external entity must not be fetched or expanded. */
	static const char xxe[] =
		"<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]>"
		"<nmaprun><host><address addr=\"&e;\" addrtype=\"ipv4\"/><ports>"
		"<port protocol=\"tcp\" portid=\"1\"><state state=\"open\"/></port></ports></host></nmaprun>";
	struct capture c;
	char err[128];
	long count;
	json_t *lines;

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		cap_open(&c, NULL, 0, "{}");
		assert_int_equal(profile_parse(&c.ctx, "nmap-xml", bad[i], strlen(bad[i]), &count, err, sizeof err), -1);
		json_decref(cap_close(&c));
	}
	cap_open(&c, NULL, 0, "{}");
	profile_parse(&c.ctx, "nmap-xml", xxe, sizeof xxe - 1, &count, err, sizeof err);
	lines = cap_close(&c);
	for (size_t i = 0; i < json_array_size(lines); i++) {
		char *text = json_dumps(json_array_get(lines, i), 0);

		assert_null(strstr(text, "root:"));
		free(text);
	}
	json_decref(lines);
}

static void nuclei_json_lines_become_vuln_findings(void **state)
{
	static const char out[] =
		"{\"template-id\":\"tech-detect\",\"info\":{\"name\":\"Wappalyzer Technology Detection\","
		"\"severity\":\"info\"},\"type\":\"http\",\"host\":\"http://127.0.0.1:8080\","
		"\"matched-at\":\"http://127.0.0.1:8080/\"}\n"
		"\n"
		"{\"template-id\":\"CVE-2021-44228\",\"info\":{\"name\":\"Log4j RCE\",\"severity\":\"critical\"},"
		"\"type\":\"http\",\"matched-at\":\"http://127.0.0.1:8080/api\"}\n"
		"[INF] a log line that is not a finding\n"
		"{\"template-id\":\"odd\",\"info\":{\"severity\":\"weird\"}}";
	struct capture c;
	char err[128];
	long count;
	json_t *lines, *f;

	cap_open(&c, NULL, 0, "{}");
	assert_int_equal(profile_parse(&c.ctx, "nuclei-jsonl", out, sizeof out - 1, &count, err, sizeof err), 0);
	lines = cap_close(&c);
	assert_int_equal(count, 3);
	f = nth(lines, "finding", 0);
	assert_string_equal(json_string_value(json_object_get(f, "kind")), "vuln");
	assert_string_equal(json_string_value(json_object_get(f, "target")), "http://127.0.0.1:8080");
	assert_string_equal(json_string_value(json_object_get(f, "severity")), "info");
	assert_string_equal(json_string_value(json_object_get(json_object_get(f, "detail"), "template_id")),
			    "tech-detect");
	f = nth(lines, "finding", 1);
	assert_string_equal(json_string_value(json_object_get(f, "severity")), "critical");
	assert_string_equal(json_string_value(json_object_get(f, "title")), "Log4j RCE");
	assert_string_equal(json_string_value(json_object_get(json_object_get(f, "detail"), "matched_at")),
			    "http://127.0.0.1:8080/api");
	f = nth(lines, "finding", 2);
	assert_string_equal(json_string_value(json_object_get(f, "severity")), "info");
	json_decref(lines);
}

static void a_missing_tool_fails_with_tool_missing_naming_it(void **state)
{
	char *tmpl[] = { "scanq-no-such-tool-xyz", "{targets}", NULL };
	struct config_profile p = make_profile("ghost", "lines", tmpl);
	char *targets[] = { "127.0.0.1" };
	struct capture c;
	json_t *lines, *e;
	char err[256];

	assert_int_equal(config_load("/dev/null", err, sizeof err), 0);
	cap_open(&c, targets, 1, "{}");
	assert_int_equal(profile_run(&c.ctx, &p), 1);
	lines = cap_close(&c);
	e = nth(lines, "error", 0);
	assert_non_null(e);
	assert_string_equal(json_string_value(json_object_get(e, "code")), "tool_missing");
	assert_non_null(strstr(json_string_value(json_object_get(e, "message")), "'scanq-no-such-tool-xyz'"));
	json_decref(lines);
}

static void the_tool_runs_without_a_shell(void **state)
{
	/* With a shell, "$(echo injected)" would expand; execvp hands it to
	 * echo verbatim — but it never gets that far: the target parser
	 * refuses it first. */
	char *tmpl[] = { "echo", "{targets}", NULL };
	struct config_profile p = make_profile("echo", "lines", tmpl);
	char *bad[] = { "$(touch /tmp/scanq-injected)" }, *good[] = { "127.0.0.1" };
	struct capture c;
	json_t *lines;
	char err[256];

	assert_int_equal(config_load("/dev/null", err, sizeof err), 0);
	unlink("/tmp/scanq-injected");
	cap_open(&c, bad, 1, "{}");
	assert_int_equal(profile_run(&c.ctx, &p), 1);
	lines = cap_close(&c);
	assert_string_equal(json_string_value(json_object_get(nth(lines, "error", 0), "code")), "invalid_target");
	json_decref(lines);
	assert_int_equal(access("/tmp/scanq-injected", F_OK), -1);

	cap_open(&c, good, 1, "{}");
	assert_int_equal(profile_run(&c.ctx, &p), 0);
	lines = cap_close(&c);
	assert_string_equal(json_string_value(json_object_get(nth(lines, "finding", 0), "title")), "127.0.0.1");
	json_decref(lines);
}

static void a_targets_file_holds_one_target_a_line_and_is_removed(void **state)
{
	char *tmpl[] = { "cat", "{targets_file}", NULL };
	struct config_profile p = make_profile("cat", "lines", tmpl);
	char *targets[] = { "127.0.0.1", "::1", "localhost" };
	struct capture c;
	json_t *lines;
	char err[256], dir[256], url[512];

	testutil_tmpdb(dir, sizeof dir, url, sizeof url);
	setenv("TMPDIR", dir, 1);
	assert_int_equal(config_load("/dev/null", err, sizeof err), 0);
	cap_open(&c, targets, 3, "{\"resolve_ms\":2000}");
	assert_int_equal(profile_run(&c.ctx, &p), 0);
	lines = cap_close(&c);
	/* Literal addresses first (::1 sorts before 127.0.0.1), then names. */
	assert_string_equal(json_string_value(json_object_get(nth(lines, "finding", 0), "title")), "::1");
	assert_string_equal(json_string_value(json_object_get(nth(lines, "finding", 1), "title")), "127.0.0.1");
	assert_string_equal(json_string_value(json_object_get(nth(lines, "finding", 2), "title")), "localhost");
	assert_null(nth(lines, "finding", 3));
	json_decref(lines);
	assert_int_equal(rmdir(dir), 0);	/* empty: the file was removed */
	unsetenv("TMPDIR");
}

static void ranges_are_handed_to_tools_as_cidr_blocks(void **state)
{
	char *tmpl[] = { "echo", "{targets}", NULL };
	struct config_profile p = make_profile("echo", "lines", tmpl);
	char *targets[] = { "127.0.0.1-127.0.0.6" };
	struct capture c;
	json_t *lines;
	char err[256];

	assert_int_equal(config_load("/dev/null", err, sizeof err), 0);
	cap_open(&c, targets, 1, "{}");
	assert_int_equal(profile_run(&c.ctx, &p), 0);
	lines = cap_close(&c);
	assert_string_equal(json_string_value(json_object_get(nth(lines, "finding", 0), "title")),
			    "127.0.0.1 127.0.0.2/31 127.0.0.4/31 127.0.0.6");
	json_decref(lines);
}

/* ---- nmap itself ----------------------------------------------------- */

static int listen_any(int *port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof sin;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_int_equal(bind(fd, (struct sockaddr *)&sin, len), 0);
	assert_int_equal(listen(fd, 64), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	*port = ntohs(sin.sin_port);
	return fd;
}

static int open_ports(json_t *lines, int *out, int max)
{
	int n = 0;
	json_t *f;

	for (int i = 0; (f = nth(lines, "finding", i)); i++)
		if (strcmp(json_string_value(json_object_get(f, "kind")), "open_port") == 0 && n < max)
			out[n++] = (int)json_integer_value(json_object_get(f, "port"));
	return n;
}

static int cmp_int(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

static void nmap_finds_the_same_open_ports_as_portscan(void **state)
{
	/* The shipped profile adds -sV, whose probes wait minutes on silent
	 * listeners; the test profile keeps everything else. */
	char dir[256], url[512], path[600], err[256], ports[128], opts[160];
	char *targets[] = { "127.0.0.1" };
	int fds[3], lp[3], a[16], b[16], na, nb;
	struct capture c;
	json_t *lines;
	FILE *f;

	if (!profile_tool_exists("nmap")) {
		print_message("nmap is not installed: skipped\n");
		skip();
	}
	testutil_tmpdb(dir, sizeof dir, url, sizeof url);
	snprintf(path, sizeof path, "%s/scanq.ini", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("[profile.nmap]\nargv = nmap -sT -Pn -n -oX - -p {ports} {targets}\nparser = nmap-xml\n", f);
	fclose(f);
	assert_int_equal(config_load(path, err, sizeof err), 0);
	for (int i = 0; i < 3; i++)
		fds[i] = listen_any(&lp[i]);
	snprintf(ports, sizeof ports, "%d,%d,%d,%d-%d", lp[0], lp[1], lp[2], lp[0] - 5, lp[0] + 5);
	snprintf(opts, sizeof opts, "{\"ports\":\"%s\"}", ports);

	cap_open(&c, targets, 1, opts);
	assert_int_equal(profile_run(&c.ctx, config_profile("nmap")), 0);
	lines = cap_close(&c);
	na = open_ports(lines, a, 16);
	json_decref(lines);

	cap_open(&c, targets, 1, opts);
	assert_int_equal(portscan_run(&c.ctx), 0);
	lines = cap_close(&c);
	nb = open_ports(lines, b, 16);
	json_decref(lines);

	assert_true(na >= 3);
	assert_int_equal(na, nb);
	qsort(a, (size_t)na, sizeof a[0], cmp_int);
	qsort(b, (size_t)nb, sizeof b[0], cmp_int);
	for (int i = 0; i < na; i++)
		assert_int_equal(a[i], b[i]);
	for (int i = 0; i < 3; i++)
		close(fds[i]);
	assert_int_equal(config_load("/dev/null", err, sizeof err), 0);
	testutil_rmdir(dir);
}

int main(void)
{
	scantype_config_checks();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(targets_become_separate_argv_elements),
		cmocka_unit_test(ports_inside_a_word_are_substituted),
		cmocka_unit_test(a_target_that_looks_like_an_option_never_reaches_argv),
		cmocka_unit_test(nmap_xml_becomes_open_port_findings),
		cmocka_unit_test(nmap_vulnerable_script_tables_become_vuln_findings_with_cve_and_severity),
		cmocka_unit_test(malformed_or_hostile_xml_is_refused_or_inert),
		cmocka_unit_test(nuclei_json_lines_become_vuln_findings),
		cmocka_unit_test(a_missing_tool_fails_with_tool_missing_naming_it),
		cmocka_unit_test(the_tool_runs_without_a_shell),
		cmocka_unit_test(a_targets_file_holds_one_target_a_line_and_is_removed),
		cmocka_unit_test(ranges_are_handed_to_tools_as_cidr_blocks),
		cmocka_unit_test(nmap_finds_the_same_open_ports_as_portscan),
	};

	unsetenv("SCANQ_CONFIG");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
