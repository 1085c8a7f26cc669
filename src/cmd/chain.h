/*
 * chain.h — printing a chain of follow-up stages and shards as a tree
 * (`scanq show`), from store_flow_tree()'s JSON.
 */
#ifndef SCANQ_CMD_CHAIN_H
#define SCANQ_CMD_CHAIN_H

#include <stdio.h>
#include <jansson.h>

/* Prints the tree: one line per scan (id, type, status, progress, findings,
 * note or error), children indented; a split scan's shards as one count
 * line plus each shard that has not completed. */
void chain_print(FILE *out, const json_t *flow, long long current);

#endif
