/*
 * The rules every kfscan run has unless told otherwise, so that it works
 * with no configuration.  The EICAR test file is written as hex bytes so
 * that this source file does not itself look like the test file to other
 * scanners.  Its definition allows the 68 bytes at offset 0 followed by
 * whitespace, up to 128 bytes in all.
 */
#include "file/builtin-rules.h"

const char kf_builtin_rules[] =
	"rule EICAR_Test_File : test\n"
	"{\n"
	"  meta:\n"
	"    description = \"EICAR anti-virus test file\"\n"
	"    category = \"test\"\n"
	"    severity = 1\n"
	"  strings:\n"
	"    $eicar = { 58 35 4F 21 50 25 40 41 50 5B 34 5C 50 5A 58 35\n"
	"               34 28 50 5E 29 37 43 43 29 37 7D 24 45 49 43 41\n"
	"               52 2D 53 54 41 4E 44 41 52 44 2D 41 4E 54 49 56\n"
	"               49 52 55 53 2D 54 45 53 54 2D 46 49 4C 45 21 24\n"
	"               48 2B 48 2A }\n"
	"  condition:\n"
	"    $eicar at 0 and filesize <= 128 and (filesize == 68 or\n"
	"    for all i in (68 .. filesize - 1) :\n"
	"      (uint8(i) == 0x20 or uint8(i) == 0x09 or uint8(i) == 0x0a or\n"
	"       uint8(i) == 0x0d or uint8(i) == 0x1a))\n"
	"}\n";
