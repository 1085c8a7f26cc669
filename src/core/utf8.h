/*
 * utf8.h — checking UTF-8 one sequence at a time, for the writers of text
 * that must be valid UTF-8 whatever a scanned host sent (the API's JSON,
 * the exports).
 */
#ifndef SCANQ_UTF8_H
#define SCANQ_UTF8_H

#include <stddef.h>

/* The length (1..4) of the valid UTF-8 sequence at s, or 0 when the bytes
 * there are not one (an overlong form, a surrogate, past U+10FFFF, a cut
 * sequence).  s must be NUL-terminated: a sequence cut by the NUL is 0. */
size_t utf8_len(const unsigned char *s);

#endif
