/* ctlglue.h: the control socket (vtid/ctl.c) served by the command layer (vtid/cmd.c). */
#ifndef VTID_CTLGLUE_H
#define VTID_CTLGLUE_H

struct vtid;

int ctlglue_start(struct vtid *v);
void ctlglue_stop(struct vtid *v);

#endif
