/*
 * profile.h — scan types run by an external tool (nmap, nuclei, ...).
 *
 * A profile (config.h, [profile.TYPE]) is an argv template plus a parser
 * name.  The placeholder {targets} stands alone in the template and
 * expands to separate argv elements — every target its own element, after
 * the target parser (targets.c) and the scope accepted it; {targets_file}
 * becomes the path of a private temporary file holding one target a line
 * (for tools that take a list, like nuclei -l); {ports} becomes the port
 * list.  The tool is started with fork/execvp, never through a shell.  A
 * target therefore can neither inject an option (targets never start with
 * '-') nor a command (no shell sees it).
 *
 * The tool's stdout (capped at config.output_limit_kb) is parsed into
 * findings: nmap -oX XML with libxml2 ("nmap-xml"), nuclei JSON lines
 * ("nuclei-jsonl") or one finding per line ("lines").
 */
#ifndef SCANQ_PROFILE_H
#define SCANQ_PROFILE_H

#include <stddef.h>
#include <jansson.h>

struct config_profile;
struct scanctx;

#define PROFILE_ARGV_MAX 4200	/* elements of a built argv (targets included) */

/*
 * Builds the argv of a run: the template with {targets} replaced by the
 * targets (one element each), {targets_file} by `targets_file` (NULL: an
 * error if the template uses it) and {ports} by the port spec (the
 * template supplies any "-p" before it; inside a word, "--ports={ports}",
 * it is substituted in place) and {host_timeout} by host_timeout_s as
 * "<N>s" (nmap's --host-timeout syntax).  Returns a NULL-terminated array (free with
 * profile_argv_free()), or NULL with a reason in err.
 */
char **profile_build_argv(const struct config_profile *p, char *const *targets, int ntargets,
			  const char *ports, const char *targets_file, int host_timeout_s,
			  char *err, size_t errlen);

/* Frees an argv from profile_build_argv(); NULL is a no-op. */
void profile_argv_free(char **argv);

/* Finds `tool` on $PATH (or checks it when it has a '/').  Returns 1 if
 * an executable exists, else 0. */
int profile_tool_exists(const char *tool);

/*
 * Parses a tool's whole output into findings, reported through
 * scanner_finding(); *count (may be NULL) gets how many.  Returns 0, or -1
 * with a reason when the output is not what the parser expects.
 */
int profile_parse(struct scanctx *ctx, const char *parser, const char *out, size_t len,
		  long *count, char *err, size_t errlen);

/*
 * Runs a profile as a scan: validates targets and scope the way the
 * built-in scanners do, builds the argv, runs the tool with its stdout
 * captured, parses it and reports the summary.  A tool not on $PATH fails
 * with "tool_missing"; a tool that exits non-zero with "tool_failed".
 * Returns the exit status.
 */
int profile_run(struct scanctx *ctx, const struct config_profile *p);

#endif
