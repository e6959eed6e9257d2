/* frrapply: frr-integration from the command line, for the lab and tests.
 *
 *   frrapply [--vty-dir DIR] [--translate] [--previous OLD] [--watch SECS] FILE|-
 *   frrapply [--vty-dir DIR] --show 'show ...'
 *   frrapply --print FILE|-          translation only, printed (no FRR needed)
 *
 * FILE is FRR text, or vtid routing text with --translate (or --print).
 * --previous OLD: apply OLD first, then FILE through the same frr_state, so
 * what OLD had and FILE lacks is removed.  --watch SECS: after applying, run
 * frr_state_check every 200 ms; exit 0 at the first re-apply (prints
 * "reapplied"), 3 if none happened in SECS.  Exit 1 on any error, with
 * vtysh's or the translator's message on stderr. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "frr-integration/frr.h"
#include "lib/log.h"

static char *slurp(const char *path)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
	size_t len = 0, cap = 4096, n;
	char *s;

	if (!f)
		return NULL;
	s = malloc(cap);
	while (s && (n = fread(s + len, 1, cap - len - 1, f)) > 0) {
		len += n;
		if (len + 1 == cap) {
			char *t = realloc(s, cap *= 2);

			if (!t) {
				free(s);
				s = NULL;
			}
			s = t;
		}
	}
	if (s)
		s[len] = '\0';
	if (f != stdin)
		fclose(f);
	return s;
}

/* file -> FRR text (translated when asked) */
static char *load(const char *path, int translate)
{
	char err[256], *in = slurp(path), *out = NULL;

	if (!in) {
		fprintf(stderr, "frrapply: %s: %s\n", path, strerror(errno));
		return NULL;
	}
	if (!translate)
		return in;
	if (frr_translate(in, &out, err, sizeof(err)) < 0)
		fprintf(stderr, "frrapply: %s: %s\n", path, err);
	free(in);
	return out;
}

static int report(int r, char *out)
{
	if (out && *out)
		fputs(out, r < 0 ? stderr : stdout);
	free(out);
	if (r < 0)
		fprintf(stderr, "frrapply: %s\n", strerror(-r));
	return r < 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"vty-dir", required_argument, NULL, 'd'},
	    {"translate", no_argument, NULL, 't'},
	    {"previous", required_argument, NULL, 'p'},
	    {"watch", required_argument, NULL, 'w'},
	    {"show", required_argument, NULL, 's'},
	    {"print", no_argument, NULL, 'P'},
	    {NULL, 0, NULL, 0},
	};
	const char *dir = NULL, *prev = NULL, *show = NULL;
	int translate = 0, print = 0, watch = -1, c, r;
	struct frr_state *st;
	char *text, *out = NULL;

	log_init("frrapply", LOG_TO_STDERR, LOG_INFO);
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			dir = optarg;
			break;
		case 't':
			translate = 1;
			break;
		case 'p':
			prev = optarg;
			break;
		case 'w':
			watch = atoi(optarg);
			break;
		case 's':
			show = optarg;
			break;
		case 'P':
			print = translate = 1;
			break;
		default:
			return 2;
		}
	}
	const struct frr_vtysh vt = {.vty_dir = dir};
	if (show) {
		r = frr_show(&vt, show, &out);
		return report(r, out);
	}
	if (optind != argc - 1) {
		fprintf(stderr,
			"usage: frrapply [--vty-dir DIR] [--translate] [--previous OLD] "
			"[--watch SECS] FILE|-\n       frrapply [--vty-dir DIR] --show CMD\n"
			"       frrapply --print FILE|-\n");
		return 2;
	}
	text = load(argv[optind], translate);
	if (!text)
		return 1;
	if (print) {
		fputs(text, stdout);
		free(text);
		return 0;
	}
	st = frr_state_new(&vt);
	if (!st)
		return 1;
	if (prev) {
		char *old = load(prev, translate);

		r = old ? frr_state_apply(st, old, &out) : -EINVAL;
		free(old);
		/* report() below reads out after this assignment */
		if (report(r, out)) {
			free(text);
			frr_state_free(st);
			return 1;
		}
		out = NULL;
	}
	r = frr_state_apply(st, text, &out);
	r = report(r, out);
	free(text);
	for (int i = 0; r == 0 && watch >= 0 && i < watch * 5; i++) {
		struct timespec ts = {0, 200 * 1000 * 1000};

		nanosleep(&ts, NULL);
		out = NULL;
		c = frr_state_check(st, &out);
		free(out);
		if (c == 1) {
			printf("reapplied\n");
			frr_state_free(st);
			return 0;
		}
	}
	frr_state_free(st);
	if (r == 0 && watch >= 0)
		return 3;
	return r;
}
