/*
 * pg/schema.h — the PostgreSQL dialect's schema and SQL text (schema.c), which
 * its primitives (pg.c) hand to the core.
 */
#ifndef SCANQ_STORE_PG_SCHEMA_H
#define SCANQ_STORE_PG_SCHEMA_H

#include "store/db.h"

extern const struct db_migration pg_migrations[];
extern const char *const pg_sql[DB_STMT_COUNT];

#endif
