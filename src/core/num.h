/*
 * num.h — parsing numbers that come from people and from the network: the
 * command line, query strings, headers.  Strict on purpose: the whole
 * string must be one decimal integer, with no spaces or '+' around it.
 */
#ifndef SCANQ_NUM_H
#define SCANQ_NUM_H

/* Parses a whole decimal integer in [min, max].  Returns 0 and sets *out,
 * or -1 for anything else (empty, spaces, junk, overflow, out of range). */
int num_parse(const char *s, long long min, long long max, long long *out);

/* A duration as people write it: whole numbers each with a unit, largest
 * first or not, "45s", "90m", "12h", "30d", "1h30m"; more than 0 and at
 * most 3650 days.  Returns it in ms, or -1 for anything else ("0h",
 * "1.5h", "9 h", "9", junk). */
long long num_parse_duration_ms(const char *s);

#endif
