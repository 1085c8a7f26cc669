/*
 * pg/pg.h — what the PostgreSQL dialect's two files share: its schema and
 * SQL text (schema.c) for its primitives (pg.c).
 */
#ifndef SCANQ_STORE_PG_H
#define SCANQ_STORE_PG_H

#include "store/db.h"

extern const struct db_migration pg_migrations[];
extern const char *const pg_sql[DB_STMT_COUNT];

#endif
