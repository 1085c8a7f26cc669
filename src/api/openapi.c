/*
 * openapi.c — docs/openapi.json inside the binary (see openapi.h).  The
 * assembler's .incbin copies the file into read-only data at build time;
 * the Makefile rebuilds this object when the document changes.  The path
 * is relative to the folder the compiler runs in: the top of the
 * repository, as for every object of the Makefile.
 */
#include "api/openapi.h"
#include "api/reply.h"

__asm__(".pushsection .rodata\n"
	".balign 16\n"
	".type openapi_json_start, @object\n"
	"openapi_json_start:\n"
	".incbin \"docs/openapi.json\"\n"
	"openapi_json_end:\n"
	".byte 0\n"
	".popsection\n");

extern const char openapi_json_start[], openapi_json_end[];

const char *openapi_document(size_t *len)
{
	*len = (size_t)(openapi_json_end - openapi_json_start);
	return openapi_json_start;
}

enum MHD_Result openapi_serve(struct req *r)
{
	size_t len;
	const char *doc = openapi_document(&len);

	/* PERSISTENT: libmicrohttpd only reads the buffer. */
	return reply_buf(r, 200, "application/json", (char *)doc, len, MHD_RESPMEM_PERSISTENT,
			 NULL, NULL);
}
