/* fuzz_conf.c: libFuzzer harness for the configuration parser.
 *
 * Feeds arbitrary bytes to cfg_parse_text; whatever parses must print, and
 * the printed text must parse again (syntax only) and print the same, so
 * the fuzzer also hunts round-trip bugs.  Help and completion run on the
 * first line in global config to cover the grammar engine's other paths. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "conf/conf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cfg_model *m = NULL, *m2 = NULL;
	struct cfg_errors errs;
	char line[256];
	struct cli_help_item it[16];
	struct cli_error ce;

	if (size > 65536)
		return 0;
	if (cfg_parse_text_opts((const char *)data, size, CFG_PARSE_NO_VALIDATE, &m, &errs) == 0) {
		struct cfg_buf b1 = {0}, b2 = {0};
		if (cfg_write(m, &b1) == 0 &&
		    cfg_parse_text_opts(b1.s, b1.len, CFG_PARSE_NO_VALIDATE, &m2, &errs) == 0 &&
		    cfg_write(m2, &b2) == 0 && strcmp(b1.s, b2.s) != 0)
			abort(); /* print -> parse -> print must be a fixed point */
		cfg_buf_free(&b1);
		cfg_buf_free(&b2);
		cfg_model_free(m2);
		cfg_model_free(m);
	}
	/* Full parse with semantic checks too. */
	if (cfg_parse_text((const char *)data, size, &m, &errs) == 0)
		cfg_model_free(m);

	size_t n = 0;
	while (n < size && n < sizeof(line) - 1 && data[n] != '\n' && data[n] != '\0')
		n++;
	memcpy(line, data, n);
	line[n] = '\0';
	const struct cli *g = cfg_grammar();
	for (int mode = CFG_MODE_CONFIG; mode < CFG_MODE_LAST; mode++) {
		cli_help(g, mode, line, it, 16, &ce);
		cli_complete(g, mode, line, it, 16, &ce);
	}
	return 0;
}
