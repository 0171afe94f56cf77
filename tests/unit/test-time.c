#include "core/timefmt.h"
#include "unit.h"

TEST(time_format_eve)
{
	char out[KS_TIME_LEN + 1];

	CHECK_STR(ks_time_format((struct ks_time){ 0, 0 }, out),
		  "1970-01-01T00:00:00.000000+0000");
	CHECK_STR(ks_time_format((struct ks_time){ 1795683804, 123456 }, out),
		  "2026-11-26T09:03:24.123456+0000");
	CHECK_STR(ks_time_format((struct ks_time){ 951782400, 1 }, out),
		  "2000-02-29T00:00:00.000001+0000");
	CHECK_STR(ks_time_format((struct ks_time){ -1, 999999 }, out),
		  "1969-12-31T23:59:59.999999+0000");
	CHECK_STR(ks_time_format((struct ks_time){ INT64_MAX, 0 }, out),
		  "9999-12-31T23:59:59.999999+0000");
	CHECK_STR(ks_time_format((struct ks_time){ INT64_MIN, 7 }, out),
		  "0000-01-01T00:00:00.000000+0000");
	CHECK_INT(strlen(out), KS_TIME_LEN);
}

TEST(time_parse_roundtrip_and_offsets)
{
	struct ks_time t;
	char out[KS_TIME_LEN + 1];

	REQUIRE(ks_time_parse("2026-11-26T09:03:24.123456+0000", &t) == 0);
	CHECK_INT(t.sec, 1795683804);
	CHECK_INT(t.usec, 123456);
	REQUIRE(ks_time_parse("2026-11-26T10:03:24.5+0100", &t) == 0);
	CHECK_STR(ks_time_format(t, out), "2026-11-26T09:03:24.500000+0000");
	REQUIRE(ks_time_parse("2026-11-26T09:03:24Z", &t) == 0);
	CHECK_INT(t.usec, 0);
	REQUIRE(ks_time_parse("2026-11-26T04:03:24.000000001-05:00", &t) == 0);
	CHECK_STR(ks_time_format(t, out), "2026-11-26T09:03:24.000000+0000");
	CHECK_INT(ks_time_parse("2026-13-26T09:03:24Z", &t), -1);
	CHECK_INT(ks_time_parse("2026-11-26 09:03:24Z", &t), -1);
	CHECK_INT(ks_time_parse("2026-11-26T09:03:24.Z", &t), -1);
	CHECK_INT(ks_time_parse("2026-11-26T09:03:24+00", &t), -1);
	CHECK_INT(ks_time_parse("2026-11-26T09:03:24Zjunk", &t), -1);
	CHECK_INT(ks_time_parse("", &t), -1);
}
