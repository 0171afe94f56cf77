/*
 * Fuzz target: the appliance configuration as ksvm-config reads it (the
 * INI reader, the [ksvm] checks and the section-name check).  Beyond "no
 * crash": every error has a line inside the file, after sorting the
 * errors come in line order, and every setting gets a value.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "conf/conf.h"
#include "conf/ksvm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ks_conf c;
	struct ks_err err;
	const char *values[KS_KSVM_MAX_SETTINGS];
	char *text;
	unsigned lines = 1;

	if (size > 1 << 16)
		return 0;
	text = malloc(size + 1);
	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	for (size_t i = 0; i < size; i++)
		lines += data[i] == '\n';
	ks_conf_init(&c);
	if (ks_conf_load_string(&c, text, "fuzz.conf", &err) == KS_OK) {
		ks_ksvm_check(&c, values);
		ks_conf_sort_errors(&c);
		for (size_t i = 0; i < c.nerr; i++) {
			if (c.errors[i].line > lines)
				abort();
			if (i > 0 && c.errors[i].line < c.errors[i - 1].line)
				abort();
		}
		for (size_t i = 0; i < ks_ksvm_nsettings; i++)
			if (values[i] == NULL)
				abort();
	}
	ks_conf_free(&c);
	free(text);
	return 0;
}
