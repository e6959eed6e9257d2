/* notify.h: vtid's state for the service manager (sd_notify(3)).
 *
 * Under systemd (Type=notify, NOTIFY_SOCKET set) these tell it that the
 * configuration is applied (READY=1), that a SIGHUP reload is under way
 * (RELOADING=1, then READY=1 again) and that vtid is shutting down
 * (STOPPING=1).  Without NOTIFY_SOCKET they do nothing, so vtid runs the
 * same from a shell, the lab or another init. */
#ifndef VTID_NOTIFY_H
#define VTID_NOTIFY_H

/* status: one line for `systemctl status` (STATUS=). */
void vtid_notify_ready(const char *status);
void vtid_notify_reloading(void);
void vtid_notify_stopping(void);

#endif
