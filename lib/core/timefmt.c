#include "core/timefmt.h"

#include <stdio.h>
#include <string.h>
#include <sys/time.h>

struct ks_time ks_time_now(void)
{
	struct timespec ts;
	struct ks_time t;

	clock_gettime(CLOCK_REALTIME, &ts);
	t.sec = ts.tv_sec;
	t.usec = (uint32_t)(ts.tv_nsec / 1000);
	return t;
}

uint64_t ks_mono_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* Days since 1970-01-01 to a civil date (proleptic Gregorian). */
static void civil_from_days(int64_t z, int *y, unsigned *m, unsigned *d)
{
	int64_t era, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	yoe = z - era * 146097;
	yoe = (yoe - yoe / 1460 + yoe / 36524 - yoe / 146096) / 365;
	doy = z - era * 146097 - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
	*m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yoe + era * 400 + (*m <= 2));
}

static int64_t days_from_civil(int y, unsigned m, unsigned d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void put_digits(char *o, unsigned v, int n)
{
	while (n-- > 0) {
		o[n] = (char)('0' + v % 10);
		v /= 10;
	}
}

#define MIN_SEC (-62167219200LL)  /* 0000-01-01T00:00:00 */
#define MAX_SEC (253402300799LL)  /* 9999-12-31T23:59:59 */

char *ks_time_format(struct ks_time t, char out[KS_TIME_LEN + 1])
{
	int64_t days, rem;
	int y;
	unsigned mo, d, usec = t.usec > 999999 ? 999999 : t.usec;

	if (t.sec < MIN_SEC) {
		t.sec = MIN_SEC;
		usec = 0;
	} else if (t.sec > MAX_SEC) {
		t.sec = MAX_SEC;
		usec = 999999;
	}
	days = t.sec / 86400;
	rem = t.sec % 86400;
	if (rem < 0) {
		rem += 86400;
		days--;
	}
	civil_from_days(days, &y, &mo, &d);
	put_digits(out, (unsigned)y, 4);
	out[4] = '-';
	put_digits(out + 5, mo, 2);
	out[7] = '-';
	put_digits(out + 8, d, 2);
	out[10] = 'T';
	put_digits(out + 11, (unsigned)(rem / 3600), 2);
	out[13] = ':';
	put_digits(out + 14, (unsigned)(rem / 60 % 60), 2);
	out[16] = ':';
	put_digits(out + 17, (unsigned)(rem % 60), 2);
	out[19] = '.';
	put_digits(out + 20, usec, 6);
	memcpy(out + 26, "+0000", 6);
	return out;
}

static int digits(const char **p, int n, int *v)
{
	int i;

	*v = 0;
	for (i = 0; i < n; i++) {
		if ((*p)[i] < '0' || (*p)[i] > '9')
			return -1;
		*v = *v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	return 0;
}

int ks_time_parse(const char *s, struct ks_time *t)
{
	int y, mo, d, h, mi, se, oh, om, frac = 0, nd = 0, sign;
	const char *p = s;
	int64_t sec;

	if (digits(&p, 4, &y) || *p++ != '-' || digits(&p, 2, &mo) ||
	    *p++ != '-' || digits(&p, 2, &d) || *p++ != 'T' ||
	    digits(&p, 2, &h) || *p++ != ':' || digits(&p, 2, &mi) ||
	    *p++ != ':' || digits(&p, 2, &se))
		return -1;
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 ||
	    se > 60)
		return -1;
	if (*p == '.') {
		p++;
		while (*p >= '0' && *p <= '9') {
			if (nd < 6)
				frac = frac * 10 + (*p - '0');
			nd++;
			p++;
		}
		if (nd == 0 || nd > 9)
			return -1;
		for (int k = nd; k < 6; k++)
			frac *= 10;
	}
	if (*p == 'Z') {
		oh = om = 0;
		sign = 1;
		p++;
	} else {
		if (*p != '+' && *p != '-')
			return -1;
		sign = *p++ == '-' ? -1 : 1;
		if (digits(&p, 2, &oh))
			return -1;
		if (*p == ':')
			p++;
		if (digits(&p, 2, &om) || oh > 23 || om > 59)
			return -1;
	}
	if (*p != '\0')
		return -1;
	sec = days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 +
	      h * 3600 + mi * 60 + se;
	sec -= sign * (oh * 3600 + om * 60);
	t->sec = sec;
	t->usec = (uint32_t)frac;
	return 0;
}
