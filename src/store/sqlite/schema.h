/*
 * sqlite/schema.h — the SQLite dialect's schema and SQL text (schema.c), which
 * its primitives (sqlite.c) hand to the core.
 */
#ifndef SCANQ_STORE_SQLITE_SCHEMA_H
#define SCANQ_STORE_SQLITE_SCHEMA_H

#include "store/db.h"

extern const struct db_migration sqlite_migrations[];
extern const char *const sqlite_sql[DB_STMT_COUNT];

#endif
