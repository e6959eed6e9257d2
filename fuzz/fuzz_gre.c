/* fuzz_gre: libFuzzer harness for the GRE and inner-packet input paths:
 * gre_parse() on arbitrary bytes, then the TCP MSS clamp on whatever inner
 * packet follows the header (it rewrites in place, so bounds matter). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gre/dp_user_int.h"
#include "gre/gre.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *buf = malloc(size ? size : 1);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	struct gre_info gi;
	if (gre_parse(buf, size, &gi) == 0) {
		if (gi.hdr_len > size)
			abort();
		dp_mss_clamp(buf + gi.hdr_len, size - gi.hdr_len, 1200);
	}
	dp_mss_clamp(buf, size, 536);
	free(buf);
	return 0;
}
