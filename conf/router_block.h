/* router_block.h: which lines a routing block (`router ospf`, `router bgp`,
 * `bfd`) may hold: those of the block's own FRR node (router_block.c). */
#ifndef VTID_CONF_ROUTER_BLOCK_H
#define VTID_CONF_ROUTER_BLOCK_H

#include <stddef.h>

#include "conf/model.h"

/* Checks `line` (leading blanks allowed) as the next line of block r, after
 * the lines r already holds.  0 when FRR 8.4 takes it inside the block;
 * otherwise -EINVAL, *col the 1-based column in `line` of the word that
 * does not belong there and msg why (the line itself is not quoted beyond
 * its keywords: it may hold a key). */
int cfg_router_line_check(const struct cfg_router *r, const char *line, int *col, char *msg,
			  size_t msglen);

#endif
