#!/usr/bin/env bats
# knetscan's intrusion signatures: loading Suricata rules (the report of
# what is refused), matching them over the committed captures, policy in
# standard and monitoring mode, and reloading.  The rule files are the
# project's own (tests/ids/).

bats_require_minimum_version 1.5.0
load helpers

P="$BATS_TEST_DIRNAME/../pcap"
R="$BATS_TEST_DIRNAME/../ids"

setup() {
	T="$BATS_TEST_TMPDIR"
}

@test "--rules-report: loaded and refused counts, the table by keyword" {
	run -0 --separate-stderr knetscan --rules "$R/unsupported.rules" --rules-report
	[ "${lines[0]}" = "rules loaded: 3" ]
	[ "${lines[1]}" = "rules refused: 5" ]
	[ "${lines[2]}" = "refused by keyword:" ]
	[ "$(printf '%s\n' "${lines[@]:3}" | awk '{print $1, $2}' | sort)" = "$(printf '%s\n' '1 (syntax)' '1 (undefined' '1 ja3.hash' '1 protocol' '1 ja3_hash' | sort)" ]
	# -v names each refused rule with its file, line and reason.
	run -0 --separate-stderr knetscan -v --rules "$R/unsupported.rules" --rules-report
	[[ "$output" == *"unsupported.rules:8: protocol 'smtp' is not supported"* ]]
	[[ "$output" == *"unsupported.rules:9: content: odd number of hex digits"* ]]
	[[ "$output" == *"unsupported.rules:10: undefined variable \$NO_SUCH_NET"* ]]
	# A variable given on the command line makes the last rule load.
	run -0 --separate-stderr knetscan --var NO_SUCH_NET=10.0.0.0/8 --rules "$R/unsupported.rules" --rules-report
	[ "${lines[0]}" = "rules loaded: 4" ]
}

@test "--rules-report: a missing file fails; a bad --var is a usage error" {
	run -2 --separate-stderr knetscan --rules "$T/none.rules" --rules-report
	[[ "$stderr" == *"none.rules"* ]]
	run -2 --separate-stderr knetscan --var 'bad name=1' --rules "$R/unsupported.rules" --rules-report
	[[ "$stderr" == *"bad variable name"* ]]
}
