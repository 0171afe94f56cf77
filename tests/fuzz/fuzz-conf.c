/*
 * Fuzz target: the configuration file reader (libinih behind our line
 * source) and the profile sections built on it.  Beyond "no crash": every
 * error has a line inside the file, and errors come in line order.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "conf/conf.h"
#include "file/profile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ks_conf c;
	struct kf_profiles ps;
	struct ks_err err;
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
	/* The text stops at its first NUL, as a C string would. */
	if (ks_conf_load_string(&c, text, "fuzz.conf", &err) == KS_OK) {
		kf_profiles_builtin(&ps);
		kf_profiles_from_conf(&ps, &c);
		ks_conf_check_unused(&c, "");
		for (size_t i = 0; i < c.nerr; i++) {
			if (c.errors[i].line > lines)
				abort();
			if (i > 0 && c.errors[i].line < c.errors[i - 1].line)
				abort();
		}
		for (size_t i = 0; i < ps.n; i++)
			if (ps.v[i].nchain == 0 || ps.v[i].nchain > KF_MAX_CHAIN)
				abort();
	}
	ks_conf_free(&c);
	free(text);
	return 0;
}
