/* notify.c: sd_notify(3) messages for systemd (see notify.h). */
#include "vtid/notify.h"

#include <systemd/sd-daemon.h>
#include <time.h>

void vtid_notify_ready(const char *status)
{
	sd_notifyf(0, "READY=1\nSTATUS=%s", status ? status : "running");
}

void vtid_notify_reloading(void)
{
	/* MONOTONIC_USEC lets systemd 253+ tell this reload from an earlier
	 * one (Type=notify-reload); older versions ignore it. */
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	sd_notifyf(0, "RELOADING=1\nMONOTONIC_USEC=%llu\nSTATUS=reloading the configuration",
		   (unsigned long long)ts.tv_sec * 1000000ULL +
		       (unsigned long long)ts.tv_nsec / 1000ULL);
}

void vtid_notify_stopping(void)
{
	sd_notify(0, "STOPPING=1\nSTATUS=shutting down");
}
