/* fuzz_vmpost_answer: src/vmpost_answer.c reads whatever the transcription service
 * answers. A transcript found must be a NUL-terminated string no longer than the input
 * allows (escapes only shrink, except \u which grows at most from 6 bytes to 4). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vmpost.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	char *t = vmpost_transcript((const char *)data, len);

	if (t != NULL && strlen(t) > len)
		abort();
	free(t);
	return 0;
}
