/* exch_child.c: CREATE_CHILD_SA (RFC 7296 1.3, 2.8): Child SA rekey and
 * IKE SA rekey. */
#include "ike/priv.h"

#include <errno.h>

static int nyi_build_i(struct ike_sa *sa, struct ike_wbuf *w)
{
	(void)sa;
	(void)w;
	return -ENOTSUP;
}

static int nyi_process_i(struct ike_sa *sa, const struct ike_msg *m)
{
	(void)sa;
	(void)m;
	return -ENOTSUP;
}

const struct ike_task_ops ike_task_child_rekey = {IKEV2_EXCH_CREATE_CHILD_SA, nyi_build_i, NULL,
						  NULL, nyi_process_i};
const struct ike_task_ops ike_task_ike_rekey = {IKEV2_EXCH_CREATE_CHILD_SA, nyi_build_i, NULL, NULL,
						nyi_process_i};

int ike_child_process_r(struct ike_sa *sa, struct ike_xch *x)
{
	(void)sa;
	x->error = IKEV2_N_NO_ADDITIONAL_SAS;
	return -ENOTSUP;
}

int ike_child_build_r(struct ike_sa *sa, struct ike_xch *x, struct ike_wbuf *w)
{
	(void)sa;
	ike_w_notify(w, 0, NULL, 0, x->error, NULL, 0);
	return w->err ? -EMSGSIZE : 0;
}
