#!/usr/bin/env bats
# Every tool's options agree in --help, its man page and its bash
# completion; the completion scripts load and complete.

bats_require_minimum_version 1.5.0
load helpers

@test "kfscan: options agree in --help, kfscan.1 and the completion" {
	run "$TOP/tests/check-options" "$KSVM_BIN/kfscan" "$TOP/man/kfscan.1" "$TOP/completions/kfscan" quarantine
	assert_success
}

@test "the option check fails when an option is missing from the completion" {
	sed 's/--no-stats//' "$TOP/completions/kfscan" >"$BATS_TEST_TMPDIR/comp"
	run "$TOP/tests/check-options" "$KSVM_BIN/kfscan" "$TOP/man/kfscan.1" "$BATS_TEST_TMPDIR/comp" quarantine
	assert_failure
	assert_output --partial "---no-stats"
}

complete_words() { # TOOL WORDS... -> the completions of the last word
	bash -c '
		source /usr/share/bash-completion/bash_completion
		source "$1"; shift
		compopt() { :; }  # only works inside a real completion
		COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
		COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
		_"${1//-/_}" "$1" "${COMP_WORDS[-1]}" "${COMP_WORDS[-2]}"
		printf "%s\n" "${COMPREPLY[@]}"' _ "$@"
}

@test "the kfscan completion completes options, profiles and subcommands" {
	[ -f /usr/share/bash-completion/bash_completion ] || skip "bash-completion is not installed"
	run complete_words "$TOP/completions/kfscan" kfscan --prof
	assert_output "--profile="
	run complete_words "$TOP/completions/kfscan" kfscan -p dis
	assert_output "disinfect"
	run complete_words "$TOP/completions/kfscan" kfscan quarantine res
	assert_output "restore"
	run complete_words "$TOP/completions/kfscan" kfscan quarantine --ov
	assert_output "--overwrite"
}
