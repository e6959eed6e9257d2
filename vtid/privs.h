/* privs.h: dropping what vtid does not need of root's powers (privs.c). */
#ifndef VTID_PRIVS_H
#define VTID_PRIVS_H

/* Keeps CAP_NET_ADMIN, CAP_NET_RAW and CAP_NET_BIND_SERVICE (those of them
 * the process has), drops every other capability from every set including
 * the bounding set, clears the ambient set and sets no_new_privs.  Call it
 * before any thread starts.  0 or -errno. */
int privs_drop(void);

#endif
