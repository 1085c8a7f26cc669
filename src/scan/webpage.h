/*
 * webpage.h — what the http scanner reads out of a response, from hostile
 * bytes: the HTML <title>, header lines split into name and value, and any
 * text made into valid UTF-8 (JSON, and so the child protocol, accepts
 * nothing else).  Every function writes into a caller's buffer of a fixed
 * size, always NUL-terminated, and never reads past `len`; they are fuzzed
 * (tests/fuzz/fuzz_webpage.c).
 */
#ifndef SCANQ_WEBPAGE_H
#define SCANQ_WEBPAGE_H

#include <stddef.h>

#define WEBPAGE_TITLE_MAX 256	/* bytes of a title kept, with its NUL */
#define WEBPAGE_TITLE_SCAN (256 * 1024)	/* bytes of a body searched for <title> */

/*
 * Copies len bytes of `in` into out (cap bytes, cap >= 4) as valid UTF-8:
 * an invalid or truncated sequence becomes U+FFFD, control characters
 * (other than tab) become spaces, NUL included.  A sequence that would not
 * fit is left out whole.  Returns the length written.
 */
size_t webpage_utf8(const char *in, size_t len, char *out, size_t cap);

/*
 * The text of the first <title> element among the first WEBPAGE_TITLE_SCAN
 * bytes of an HTML body: the common entities (&amp; &lt; &gt; &quot; &#39;
 * &#NN; &#xNN;) decoded, runs of white space made one space, trimmed, valid
 * UTF-8.  Writes "" when there is none.  Returns 1 when a title was found
 * (even an empty one), else 0.
 */
int webpage_title(const char *body, size_t len, char *out, size_t cap);

/*
 * Splits one response header line ("Name: value\r\n") into its name, in
 * lower case, and its value without surrounding white space (valid UTF-8,
 * cut at the caps).  Returns 1 for a header, 0 for anything else (a status
 * line, the blank line, a line without a colon or with a bad name).
 */
int webpage_header(const char *line, size_t len, char *name, size_t namecap, char *value,
		   size_t valuecap);

#endif
