/*
 * libcurl.c — loads libcurl for the http scan type (see libcurl.h).  The
 * handle is never closed: the functions stay valid for the process's life.
 */
#include <dlfcn.h>
#include <stdio.h>
#include "libcurl.h"

struct libcurl libcurl;

int libcurl_load(char *err, size_t errlen)
{
	void *h;

	if (libcurl.url_get)
		return 0;
	h = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		snprintf(err, errlen, "the http scan type needs libcurl (libcurl.so.4): %s", dlerror());
		return -1;
	}
#define LIBCURL_LOAD(name) \
	if (!(*(void **)&libcurl.name = dlsym(h, "curl_" #name))) { \
		snprintf(err, errlen, "libcurl.so.4 has no curl_%s", #name); \
		return -1; \
	}
	LIBCURL_FUNCTIONS(LIBCURL_LOAD)
#undef LIBCURL_LOAD
	return 0;
}
