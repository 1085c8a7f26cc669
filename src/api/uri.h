/*
 * uri.h — the request target as the client sent it (internal to
 * src/api/): the one check that no control character reaches a route
 * through the path or a query parameter.
 *
 * libmicrohttpd hands the routes the path and each query value decoded,
 * as C strings: a %00 ends them early (`?limit=5%00abc` reads as 5,
 * `/api/v1/scans%00x` as /api/v1/scans) and the rest of the value is lost
 * without a word.  The server therefore looks at the raw target before it
 * is decoded (server.c, on every request, before routing) and refuses it
 * with 400 invalid_parameter when any byte of the path, or of a query
 * parameter's name or value, is a control character (0x00-0x1f, 0x7f),
 * sent as is or percent-encoded.  Bytes from 0x80 up are left to the
 * routes.
 */
#ifndef SCANQ_API_URI_H
#define SCANQ_API_URI_H

#include <stddef.h>

/*
 * Checks the raw request target `uri` (path, then '?' and the query,
 * undecoded).  Decoding is libmicrohttpd's: "%HH" with two hex digits is
 * one byte, any other byte stands for itself, and the query splits at
 * '&' and then at the first '=' before anything is decoded.  Returns 0
 * when no part holds a control character (why set to ""), or -1 with a
 * one-line reason in why naming the first part that does ("the path", or
 * "query parameter 'NAME'" with the name's bytes outside printable ASCII
 * shown as '?' and at most 40 of them) and the byte ("%00").
 */
int uri_check(const char *uri, char *why, size_t len);

#endif
