/*
 * dash_sql.h — the SQL text of the dashboard's rollups, shared by both
 * dialects' migration 25 (its triggers and backfill) and by the tests
 * that check the backfill; included by db.h.  No declarations: macros of
 * statement text only, so a test can include it without the store's
 * internals.
 */
#ifndef SCANQ_STORE_DASH_SQL_H
#define SCANQ_STORE_DASH_SQL_H

/*
 * The dashboard's rollups (migration 25; store/dashboard.c reads them),
 * kept by triggers in both dialects whose statements are this text, so
 * every writer keeps them exact: the lifecycle step, triage, expiry, a
 * prune, the cascade of a deleted baseline, and a hand-made UPDATE.
 *
 * dash_trend (day, severity, shard, n): a finding state counts as open
 * from the UTC day of its first sighting until the day it was fixed
 * (updated_at, never before its first day), and only while it is open,
 * reopened or fixed (an accepted or false-positive one not at all), so a
 * state is +1 on its first day and, once fixed, -1 on its fixed day; the
 * chart's day D is the sum of every day up to D.  A change of state,
 * severity or fixed time moves the old row's numbers out and the new
 * one's in.  R is the row (NEW, OLD, or a table's alias with FROM).
 */
#define DB_TREND_PART(R, SIGN, FROM) \
	"SELECT " R ".first_seen / 86400000 AS day, " R ".severity AS sev, " SIGN " AS n" FROM \
	" WHERE " R ".state IN ('open', 'reopened', 'fixed') UNION ALL" \
	" SELECT (CASE WHEN " R ".updated_at > " R ".first_seen THEN " R ".updated_at" \
	" ELSE " R ".first_seen END) / 86400000, " R ".severity, -(" SIGN ")" FROM \
	" WHERE " R ".state = 'fixed'"
#define DB_TREND_ADD(SHARD, PARTS) \
	"INSERT INTO dash_trend (day, severity, shard, n) SELECT day, sev, " SHARD ", sum(n)" \
	" FROM (" PARTS ") d WHERE true GROUP BY day, sev HAVING sum(n) <> 0" \
	" ON CONFLICT (day, severity, shard) DO UPDATE SET n = dash_trend.n + excluded.n"
/* An UPDATE of a finding state that can move its numbers. */
#define DB_TREND_MOVED \
	"OLD.state <> NEW.state OR OLD.severity <> NEW.severity" \
	" OR OLD.first_seen <> NEW.first_seen" \
	" OR (NEW.state = 'fixed' AND OLD.updated_at <> NEW.updated_at)"
/*
 * dash_changes (span, bucket, change_type, shard, n): a scan's rows of
 * scan_changes count in the minute and in the hour (span 60,000 and
 * 3,600,000 ms; bucket = finished_at / span) of its completion while it
 * is completed with a finished_at, as S_DASH_CHANGES counted them before.
 * A change row is written in its scan's completing transaction after the
 * status (changes.c), so the insert adds it; a completed scan deleted
 * (prune) takes its rows out before the cascade (BEFORE DELETE), and one
 * whose status or finished_at moves moves them.  A part yields (t, ty, n).
 */
#define DB_CHANGES_PART(R, SIGN) \
	"SELECT " R ".finished_at AS t, c.change_type AS ty, " SIGN " AS n" \
	" FROM scan_changes c WHERE c.scan_id = " R ".id AND " R ".status = 'completed'" \
	" AND " R ".finished_at IS NOT NULL"
#define DB_CHANGES_NEW \
	"SELECT s.finished_at AS t, NEW.change_type AS ty, 1 AS n FROM scans s" \
	" WHERE s.id = NEW.scan_id AND s.status = 'completed' AND s.finished_at IS NOT NULL"
#define DB_CHANGES_SPANS "(SELECT 60000 AS span UNION ALL SELECT 3600000) k"
#define DB_CHANGES_ADD(SHARD, PARTS) \
	"INSERT INTO dash_changes (span, bucket, change_type, shard, n)" \
	" SELECT k.span, d.t / k.span, d.ty, " SHARD ", sum(d.n) FROM (" PARTS ") d" \
	" CROSS JOIN " DB_CHANGES_SPANS " WHERE true GROUP BY k.span, d.t / k.span, d.ty" \
	" HAVING sum(d.n) <> 0 ON CONFLICT (span, bucket, change_type, shard)" \
	" DO UPDATE SET n = dash_changes.n + excluded.n"
/* An UPDATE of a completed scan that can move its changes' hour. */
#define DB_CHANGES_MOVED \
	"OLD.status = 'completed' AND (NEW.status <> 'completed'" \
	" OR coalesce(NEW.finished_at, -1) <> coalesce(OLD.finished_at, -1))"
/* Migration 25's backfill from the rows as they are (shard 0). */
#define DB_DASH_BACKFILL \
	DB_TREND_ADD("0", DB_TREND_PART("fs", "1", " FROM finding_states fs")) ";" \
	"INSERT INTO dash_changes (span, bucket, change_type, shard, n)" \
	" SELECT k.span, s.finished_at / k.span, c.change_type, 0, count(*) FROM scans s" \
	" JOIN scan_changes c ON c.scan_id = s.id CROSS JOIN " DB_CHANGES_SPANS \
	" WHERE s.status = 'completed' AND s.finished_at IS NOT NULL GROUP BY 1, 2, 3;"

#endif
