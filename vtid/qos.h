/* qos.h: IOS MQC policies enforced by tc HTB and nftables (qos.c). */
#ifndef VTID_QOS_H
#define VTID_QOS_H

#include <stddef.h>

struct cfg_model;
struct json_object;
struct loop;
struct qos_engine;

struct qos_engine *qos_engine_new(struct loop *loop);
/* Removes vtid's classification table and the qdiscs it put on plain
 * interfaces.  NULL-safe. */
void qos_engine_free(struct qos_engine *q);

/* Whether every service-policy of m can be built by this kernel, before
 * anything changes: 0, or -errno with err naming the line and the reason. */
int qos_check(struct qos_engine *q, const struct cfg_model *m, char *err, size_t errlen);
/* Makes the kernel do m's policies: classification at once, queueing on
 * every device that exists (call again when devices appear; unchanged
 * ones are not touched).  m must stay alive until the next call. */
int qos_commit(struct qos_engine *q, const struct cfg_model *m);

/* `show policy-map interface [IFNAME] [input|output]` as json-c:
 * {"interfaces":[{"interface","policies":[{"direction","policy","classes":[
 *   {"class","match","packets","bytes","drops","offered_rate_bps","drop_rate_bps",
 *    "queueing":{...}, "service_policy":{"policy","classes":[...]}, ...}]}]}]} */
struct json_object *qos_show(struct qos_engine *q, const struct cfg_model *m, const char *ifname,
			     const char *dir);

#endif
