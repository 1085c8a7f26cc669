/*
 * sqlite/sqlite.h — what the SQLite dialect's two files share: its schema
 * and SQL text (schema.c) for its primitives (sqlite.c).
 */
#ifndef SCANQ_STORE_SQLITE_H
#define SCANQ_STORE_SQLITE_H

#include "store/db.h"

extern const struct db_migration sqlite_migrations[];
extern const char *const sqlite_sql[DB_STMT_COUNT];

#endif
