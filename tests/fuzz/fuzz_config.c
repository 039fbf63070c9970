/* libFuzzer target: the whole config loader (include scanner, libconfig, every section
 * parser and check) on arbitrary text. Any crash, leak or sanitizer report is a bug. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config_errors errs = { 0 };
	struct config *cfg = NULL;
	char *text = malloc(size + 1);

	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (config_load_string("/tmp/fuzz/scaidial.conf", text, &cfg, &errs) == 0) {
		/* A valid config must answer lookups without tripping over itself. */
		for (size_t i = 0; i < cfg->n_dids; i++)
			(void)config_find_did(cfg, cfg->dids[i].number);
	} else {
		for (size_t i = 0; i < errs.n; i++)
			free(config_error_format(&errs.v[i]));
	}
	config_unref(cfg);
	config_errors_free(&errs);
	free(text);
	return 0;
}
