/*
 * test_sql.c — the SQL written once (store/sql.h): a common text renders
 * into each dialect's placeholders, clock and index hints, nothing inside
 * a quoted string is touched, and every statement of enum db_stmt has its
 * text in one place only (a dialect's table or the common one, never
 * both).
 */
#include "testutil.h"
#include "store/sql.h"
#include "store/sqlite/schema.h"
#include "store/pg/schema.h"

static const struct sql_style sqlite_style = { '?', 0, NULL, 1 };
static const struct sql_style pg_style = { '$', 1, "scanq_now_ms()", 0 };

static void renders(const char *in, const struct sql_style *st, const char *want)
{
	char *got = sql_render(in, st);

	assert_non_null(got);
	assert_string_equal(got, want);
	free(got);
}

/* SQLite reads `$N` as a named parameter numbered by first appearance, so
 * "$2 ... $1" would bind the wrong values: it gets `?N`, casts dropped. */
static void test_sqlite_gets_numbered_parameters(void **state)
{
	renders("UPDATE t SET a = $2::text WHERE id = $1::bigint AND b = $12",
		&sqlite_style, "UPDATE t SET a = ?2 WHERE id = ?1 AND b = ?12");
	renders("SELECT $1::text[]", &sqlite_style, "SELECT ?1");
	renders("SELECT x::text FROM t", &sqlite_style, "SELECT x::text FROM t");
}

static void test_postgres_keeps_parameters_and_casts(void **state)
{
	renders("UPDATE t SET a = $2::text WHERE id = $1::bigint AND b = $12",
		&pg_style, "UPDATE t SET a = $2::text WHERE id = $1::bigint AND b = $12");
}

/* The clock: the core's `now` parameter on SQLite, the database's own on
 * PostgreSQL (the parameter is then not in the text at all). */
static void test_now_is_each_dialects_clock(void **state)
{
	const char *in = "UPDATE t SET at = NOW_MS($3), until = NOW_MS($3) + $4::bigint";

	renders(in, &sqlite_style, "UPDATE t SET at = ?3, until = ?3 + ?4");
	renders(in, &pg_style, "UPDATE t SET at = scanq_now_ms(), until = scanq_now_ms() + $4::bigint");
	renders("SELECT NOW_MS(x)", &sqlite_style, "SELECT NOW_MS(x)");
}

/* SQLite's index hints stay SQLite's. */
static void test_index_hints_are_sqlites(void **state)
{
	const char *in = "SELECT count(*) FROM scans INDEXED BY scans_lease WHERE id = $1";

	renders(in, &sqlite_style, "SELECT count(*) FROM scans INDEXED BY scans_lease WHERE id = ?1");
	renders(in, &pg_style, "SELECT count(*) FROM scans WHERE id = $1");
	renders("SELECT ' INDEXED BY x'", &pg_style, "SELECT ' INDEXED BY x'");
}

static void test_quoted_strings_are_left_alone(void **state)
{
	renders("SELECT json_extract(o, '$.rate'), 'it''s $1', $1 FROM t",
		&sqlite_style, "SELECT json_extract(o, '$.rate'), 'it''s $1', ?1 FROM t");
	renders("SELECT 'NOW_MS($2)', NOW_MS($2)", &pg_style, "SELECT 'NOW_MS($2)', scanq_now_ms()");
}

/* Written once: a statement that moved to sql.c and is then added to a
 * dialect again (or the other way round) is caught here. */
static void test_each_statement_has_one_text(void **state)
{
	for (int id = 0; id < DB_STMT_COUNT; id++) {
		if (sql_common[id] && (sqlite_sql[id] || pg_sql[id]))
			fail_msg("statement %d is in sql.c and in a dialect's table", id);
	}
}

/* Every common text renders to SQL with nothing of the notation left. */
static void test_common_texts_render_clean(void **state)
{
	for (int id = 0; id < DB_STMT_COUNT; id++) {
		char *sq, *pg;

		if (!sql_common[id])
			continue;
		sq = sql_render(sql_common[id], &sqlite_style);
		pg = sql_render(sql_common[id], &pg_style);
		assert_non_null(sq);
		assert_non_null(pg);
		if (strstr(sq, "NOW_MS(") || strstr(pg, "NOW_MS(") || strstr(sq, "::"))
			fail_msg("statement %d renders with its notation left: %s", id, sq);
		free(sq);
		free(pg);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sqlite_gets_numbered_parameters),
		cmocka_unit_test(test_postgres_keeps_parameters_and_casts),
		cmocka_unit_test(test_now_is_each_dialects_clock),
		cmocka_unit_test(test_index_hints_are_sqlites),
		cmocka_unit_test(test_quoted_strings_are_left_alone),
		cmocka_unit_test(test_each_statement_has_one_text),
		cmocka_unit_test(test_common_texts_render_clean),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
