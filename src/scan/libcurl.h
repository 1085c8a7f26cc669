/*
 * libcurl.h — libcurl for the http scan type, loaded (dlopen) when that
 * type runs rather than linked.  Why: the lean scanq-scan binary starts
 * once per scan, and linking libcurl makes every scan of every type map
 * the 28 libraries libcurl needs (Kerberos, LDAP, SSH, nghttp2, ...):
 * measured, that more than doubled a trivial scan's start.  Loaded here,
 * only an http scan pays for it.  In the full `scanq` binary, which links
 * libcurl for webhooks, loading it is finding the copy already mapped.
 *
 * Call each function as libcurl.NAME(...) for curl_NAME(...); the types
 * are curl.h's own.
 */
#ifndef SCANQ_LIBCURL_H
#define SCANQ_LIBCURL_H

#include <stddef.h>
#include <curl/curl.h>

/* The functions used, as X(name) for curl_name. */
#define LIBCURL_FUNCTIONS(X) \
	X(global_init) X(global_cleanup) X(easy_init) X(easy_cleanup) X(easy_reset) \
	X(easy_setopt) X(easy_getinfo) X(easy_strerror) X(free) X(slist_append) \
	X(slist_free_all) X(multi_init) X(multi_cleanup) X(multi_add_handle) \
	X(multi_remove_handle) X(multi_perform) X(multi_poll) X(multi_info_read) \
	X(url) X(url_cleanup) X(url_set) X(url_get)

#define LIBCURL_MEMBER(name) __typeof__(curl_##name) *name;
struct libcurl {
	LIBCURL_FUNCTIONS(LIBCURL_MEMBER)
};
#undef LIBCURL_MEMBER

/* Filled by libcurl_load(); NULL members before. */
extern struct libcurl libcurl;

/*
 * Loads libcurl (libcurl.so.4) and every function above, once per
 * process.  Returns 0, or -1 with a one-line reason (the library or a
 * function missing) in err.
 */
int libcurl_load(char *err, size_t errlen);

#endif
