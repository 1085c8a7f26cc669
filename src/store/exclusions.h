/*
 * exclusions.h — what the store core itself does with the exclusion list
 * (exclusions.c): dropping excluded addresses from a follow-up stage's
 * inputs.  Only src/store/ includes this; the list's operations are in
 * store.h.
 */
#ifndef SCANQ_STORE_EXCLUSIONS_H
#define SCANQ_STORE_EXCLUSIONS_H

#include <stddef.h>
#include <jansson.h>

struct store;

/*
 * Removes from `hosts` (a JSON array of address strings) every one that an
 * exclusion holds, and the matching element of `ports` (a parallel array,
 * or NULL).  *dropped gets how many went.  Reads the list inside the
 * caller's transaction.  Returns STORE_OK or an error (arrays unchanged).
 */
int exclusions_filter(struct store *s, json_t *hosts, json_t *ports, size_t *dropped);

#endif
