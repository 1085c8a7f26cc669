/*
 * dialect.h — the dialects' constructors, which only open.c calls: each
 * opens its database and returns a handle whose struct dialect (db.h)
 * carries its SQL text and primitives.  A dialect includes db.h and this
 * header (to check its own constructor), nothing else of the core.
 */
#ifndef SCANQ_STORE_DIALECT_H
#define SCANQ_STORE_DIALECT_H

#include "store/db.h"

/* Open the SQLite file at `path` / the PostgreSQL database at `url`.
 * Return a handle the caller closes with store_close(), or NULL with a
 * one-line message in err. */
struct store *store_sqlite_open(const char *path, char *err, size_t errlen);
struct store *store_pg_open(const char *url, char *err, size_t errlen);

#endif
