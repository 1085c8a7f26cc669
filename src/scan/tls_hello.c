/*
 * tls_hello.c — the raw ClientHello and ServerHello parser of tls_hello.h.
 * The layout is RFC 5246 section 7.4.1 (SSL 3.0, RFC 6101, is the same
 * without extensions).  Every length read from the server is checked
 * against the bytes actually received before it is used.
 */
#include <string.h>
#include <sys/random.h>
#include "tls_hello.h"

/* RSA key exchange first: a server that honours the client's order (the
 * default of OpenSSL and many others) then answers without signing a key
 * share or making one, which is most of a hello's cost to both ends.  Only
 * the version of the answer is read, so the order changes no verdict; a
 * server without these suites picks one of the others. */
const uint16_t tls_hello_common[] = {
	0x009c, 0x009d, 0x002f, 0x0035, 0x003c, 0x003d, 0x0041, 0x0084, 0x000a, 0x0005,
	0x0004, 0xc02f, 0xc030, 0xc02b, 0xc02c, 0xcca8, 0xcca9, 0xc013, 0xc014, 0xc009,
	0xc00a, 0xc027, 0xc028, 0x009e, 0x009f, 0x0033, 0x0039, 0x0067, 0x006b, 0x0016,
};
const size_t tls_hello_ncommon = sizeof tls_hello_common / sizeof tls_hello_common[0];

const uint16_t tls_hello_tls13[] = { 0x1302, 0x1303, 0x1301 };
const size_t tls_hello_ntls13 = sizeof tls_hello_tls13 / sizeof tls_hello_tls13[0];

const struct tls_hello_suite tls_hello_weak[] = {
	{ 0x0001, "TLS_RSA_WITH_NULL_MD5", "NULL" },
	{ 0x0002, "TLS_RSA_WITH_NULL_SHA", "NULL" },
	{ 0x003b, "TLS_RSA_WITH_NULL_SHA256", "NULL" },
	{ 0xc006, "TLS_ECDHE_ECDSA_WITH_NULL_SHA", "NULL" },
	{ 0xc010, "TLS_ECDHE_RSA_WITH_NULL_SHA", "NULL" },
	{ 0xc015, "TLS_ECDH_anon_WITH_NULL_SHA", "NULL" },
	{ 0x0018, "TLS_DH_anon_WITH_RC4_128_MD5", "anonymous" },
	{ 0x001b, "TLS_DH_anon_WITH_3DES_EDE_CBC_SHA", "anonymous" },
	{ 0x0034, "TLS_DH_anon_WITH_AES_128_CBC_SHA", "anonymous" },
	{ 0x003a, "TLS_DH_anon_WITH_AES_256_CBC_SHA", "anonymous" },
	{ 0x006c, "TLS_DH_anon_WITH_AES_128_CBC_SHA256", "anonymous" },
	{ 0x006d, "TLS_DH_anon_WITH_AES_256_CBC_SHA256", "anonymous" },
	{ 0x00a6, "TLS_DH_anon_WITH_AES_128_GCM_SHA256", "anonymous" },
	{ 0x00a7, "TLS_DH_anon_WITH_AES_256_GCM_SHA384", "anonymous" },
	{ 0xc018, "TLS_ECDH_anon_WITH_AES_128_CBC_SHA", "anonymous" },
	{ 0xc019, "TLS_ECDH_anon_WITH_AES_256_CBC_SHA", "anonymous" },
	{ 0x0003, "TLS_RSA_EXPORT_WITH_RC4_40_MD5", "EXPORT" },
	{ 0x0006, "TLS_RSA_EXPORT_WITH_RC2_CBC_40_MD5", "EXPORT" },
	{ 0x0008, "TLS_RSA_EXPORT_WITH_DES40_CBC_SHA", "EXPORT" },
	{ 0x0011, "TLS_DHE_DSS_EXPORT_WITH_DES40_CBC_SHA", "EXPORT" },
	{ 0x0014, "TLS_DHE_RSA_EXPORT_WITH_DES40_CBC_SHA", "EXPORT" },
	{ 0x0009, "TLS_RSA_WITH_DES_CBC_SHA", "DES" },
	{ 0x0012, "TLS_DHE_DSS_WITH_DES_CBC_SHA", "DES" },
	{ 0x0015, "TLS_DHE_RSA_WITH_DES_CBC_SHA", "DES" },
	{ 0x0004, "TLS_RSA_WITH_RC4_128_MD5", "RC4" },
	{ 0x0005, "TLS_RSA_WITH_RC4_128_SHA", "RC4" },
	{ 0xc007, "TLS_ECDHE_ECDSA_WITH_RC4_128_SHA", "RC4" },
	{ 0xc011, "TLS_ECDHE_RSA_WITH_RC4_128_SHA", "RC4" },
	{ 0x000a, "TLS_RSA_WITH_3DES_EDE_CBC_SHA", "3DES" },
	{ 0x0013, "TLS_DHE_DSS_WITH_3DES_EDE_CBC_SHA", "3DES" },
	{ 0x0016, "TLS_DHE_RSA_WITH_3DES_EDE_CBC_SHA", "3DES" },
	{ 0xc008, "TLS_ECDHE_ECDSA_WITH_3DES_EDE_CBC_SHA", "3DES" },
	{ 0xc012, "TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA", "3DES" },
};
const size_t tls_hello_nweak = sizeof tls_hello_weak / sizeof tls_hello_weak[0];

int tls_hello_answered_at(int asked, int version, int suite)
{
	if (asked == TLS_HELLO_TLS13)
		return version == TLS_HELLO_TLS12 && suite >= 0x1301 && suite <= 0x1305;
	return version == asked;
}

const char *tls_hello_suite_name(int id)
{
	for (size_t i = 0; i < tls_hello_nweak; i++)
		if (tls_hello_weak[i].id == id)
			return tls_hello_weak[i].name;
	return NULL;
}

/* A bounded writer: every put checks the room left; `over` sticks. */
struct out {
	unsigned char *p;
	size_t len, cap;
	int over;
};

static void put(struct out *o, const void *data, size_t n)
{
	if (o->over || n > o->cap - o->len) {
		o->over = 1;
		return;
	}
	memcpy(o->p + o->len, data, n);
	o->len += n;
}

static void put8(struct out *o, unsigned v)
{
	unsigned char b = (unsigned char)v;

	put(o, &b, 1);
}

static void put16(struct out *o, unsigned v)
{
	unsigned char b[2] = { (unsigned char)(v >> 8), (unsigned char)v };

	put(o, b, 2);
}

/* Writes a 16-bit (or 24-bit) length at `at` covering everything after it. */
static void patch(struct out *o, size_t at, int bytes)
{
	size_t n = o->len - at - (size_t)bytes;

	if (o->over)
		return;
	if (bytes == 3)
		o->p[at++] = (unsigned char)(n >> 16);
	o->p[at] = (unsigned char)(n >> 8);
	o->p[at + 1] = (unsigned char)n;
}

/* A list of 16-bit values behind its 16-bit length in bytes. */
static void put_list16(struct out *o, const uint16_t *v, size_t n)
{
	put16(o, (unsigned)(n * 2));
	for (size_t i = 0; i < n; i++)
		put16(o, v[i]);
}

/* The extensions of a TLS hello: SNI, groups, point formats, signature
 * algorithms, then renegotiation_info (up to 1.2) or supported_versions
 * and an empty key_share (1.3).  The lists of 1.3 are libssl's defaults. */
static void extensions(struct out *o, int version, const char *sni)
{
	static const uint16_t groups[] = { 0x001d, 0x0017, 0x0018, 0x0019 };
	static const uint16_t groups13[] = { 0x001d, 0x0017, 0x001e, 0x0019, 0x0018,
					     0x0100, 0x0101, 0x0102, 0x0103, 0x0104 };
	static const uint16_t sigalgs[] = { 0x0401, 0x0501, 0x0601, 0x0403, 0x0503, 0x0603,
					    0x0804, 0x0805, 0x0806, 0x0201, 0x0203 };
	static const uint16_t sigalgs13[] = { 0x0403, 0x0503, 0x0603, 0x0807, 0x0808, 0x0809, 0x080a, 0x080b,
					      0x0804, 0x0805, 0x0806, 0x0401, 0x0501, 0x0601, 0x0203, 0x0201 };
	int v13 = version == TLS_HELLO_TLS13;
	size_t ext = o->len, at;

	put16(o, 0);
	if (sni && *sni && strlen(sni) <= 253) {
		put16(o, 0x0000);
		at = o->len;
		put16(o, 0);
		put16(o, (unsigned)strlen(sni) + 3);
		put8(o, 0);
		put16(o, (unsigned)strlen(sni));
		put(o, sni, strlen(sni));
		patch(o, at, 2);
	}
	put16(o, 0x000a);	/* supported_groups */
	put16(o, 2 + (v13 ? sizeof groups13 : sizeof groups));
	put_list16(o, v13 ? groups13 : groups, v13 ? sizeof groups13 / 2 : sizeof groups / 2);
	put16(o, 0x000b);	/* ec_point_formats: uncompressed */
	put16(o, 2);
	put8(o, 1);
	put8(o, 0);
	put16(o, 0x000d);	/* signature_algorithms */
	put16(o, 2 + (v13 ? sizeof sigalgs13 : sizeof sigalgs));
	put_list16(o, v13 ? sigalgs13 : sigalgs, v13 ? sizeof sigalgs13 / 2 : sizeof sigalgs / 2);
	if (v13) {
		put16(o, 0x002b);	/* supported_versions: 1.3 alone */
		put16(o, 3);
		put8(o, 2);
		put16(o, TLS_HELLO_TLS13);
		put16(o, 0x0033);	/* key_share: none, the server asks for one */
		put16(o, 2);
		put16(o, 0);
	} else {
		put16(o, 0xff01);	/* renegotiation_info, empty */
		put16(o, 1);
		put8(o, 0);
	}
	patch(o, ext, 2);
}

size_t tls_hello_build(unsigned char *buf, size_t cap, int version, const uint16_t *suites, size_t n,
		       const char *sni)
{
	struct out o = { .p = buf, .cap = cap };
	unsigned char random[32];
	size_t rec, hs;

	/* A probe never finishes a handshake: the random only has to differ. */
	if (getrandom(random, sizeof random, GRND_NONBLOCK) != (ssize_t)sizeof random)
		memset(random, 0x5a, sizeof random);
	put8(&o, 0x16);
	put16(&o, version == TLS_HELLO_SSL3 ? TLS_HELLO_SSL3 : TLS_HELLO_TLS10);
	rec = o.len;
	put16(&o, 0);
	put8(&o, 0x01);			/* client_hello */
	hs = o.len;
	put(&o, "\0\0\0", 3);
	put16(&o, version == TLS_HELLO_TLS13 ? TLS_HELLO_TLS12 : (unsigned)version);
	put(&o, random, sizeof random);
	put8(&o, 0);			/* no session id */
	put_list16(&o, suites, n);
	put8(&o, 1);
	put8(&o, 0);			/* compression: null only */
	if (version != TLS_HELLO_SSL3)
		extensions(&o, version, sni);
	patch(&o, hs, 3);
	patch(&o, rec, 2);
	return o.over ? 0 : o.len;
}

enum tls_hello_answer tls_hello_parse(const unsigned char *buf, size_t len, int *version, int *suite)
{
	size_t rlen, hlen, off;

	if (len < 5)
		return TLS_HELLO_MORE;
	if (buf[1] != 3)
		return TLS_HELLO_NOT_TLS;
	rlen = (size_t)buf[3] << 8 | buf[4];
	if (rlen == 0 || rlen > TLS_HELLO_RECORD_MAX - 5)
		return TLS_HELLO_NOT_TLS;
	if (buf[0] == 0x15)		/* alert */
		return TLS_HELLO_REFUSED;
	if (buf[0] != 0x16)
		return TLS_HELLO_NOT_TLS;
	if (len < 5 + rlen)
		return TLS_HELLO_MORE;
	/* The ServerHello must be the record's first message and fit in it:
	 * type, length (3), version (2), random (32), session id length. */
	if (rlen < 4 + 2 + 32 + 1 || buf[5] != 0x02)
		return TLS_HELLO_NOT_TLS;
	hlen = (size_t)buf[6] << 16 | (size_t)buf[7] << 8 | buf[8];
	if (hlen > rlen - 4)
		return TLS_HELLO_NOT_TLS;
	off = 5 + 4 + 2 + 32;		/* at the session id length */
	if (hlen < 2 + 32 + 1 + (size_t)buf[off] + 2 + 1)
		return TLS_HELLO_NOT_TLS;
	*version = buf[9] << 8 | buf[10];
	off += 1 + buf[off];
	*suite = buf[off] << 8 | buf[off + 1];
	return TLS_HELLO_ACCEPTED;
}
