/*
 * hold.h — what pauses (pause.c) and maintenance windows (windows.c)
 * share inside the store: handing the running scans they hold back to
 * pending without spending an attempt.  Which pending scans they hold is
 * one rule of the claim statement, DB_CLAIMABLE in db.h.
 */
#ifndef SCANQ_STORE_HOLD_H
#define SCANQ_STORE_HOLD_H

#include "store/db.h"

/*
 * Runs statement `id` with parameters a and then a limit (it returns id,
 * attempt of running scans) and hands each back with store_release(),
 * fenced by its attempt: one that ended or was claimed again meanwhile is
 * left alone.  At most 1000 a call.  *released gets how many went back.
 * Returns a store rc.
 */
int hold_release_running(struct store *s, enum db_stmt id, const struct db_args *a,
			 const char *reason, int *released);

#endif
