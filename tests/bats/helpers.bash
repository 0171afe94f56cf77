# Shared setup for the CLI tests.  KSVM_BIN and KSVM_TESTBIN point at the
# build's bin/ and tests/ directories (the Makefile sets them).
load /usr/lib/bats/bats-support/load.bash
load /usr/lib/bats/bats-assert/load.bash

: "${KSVM_BIN:?run the CLI tests through make (KSVM_BIN is not set)}"
: "${KSVM_TESTBIN:?run the CLI tests through make (KSVM_TESTBIN is not set)}"
TOP=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
export TOP
export PATH="$KSVM_BIN:$KSVM_TESTBIN:$TOP/tests/tools:$PATH"
PY=/usr/bin/python3

# Validate JSON Lines on stdin against the project's record schemas.
validate_records() {
	"$TOP/tests/validate-records"
}

# The value of a dotted field path in each JSON line of stdin, one per line.
field() {
	jq -r "$1"
}

# The EICAR anti-virus test file, made at run time (never committed).
eicar() {
	printf '%s%s' 'X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-' 'ANTIVIRUS-TEST-FILE!$H+H*'
}

# kfscan with no cache and one worker unless the test says otherwise.
kfs() {
	kfscan --no-cache -j1 "$@"
}

# Records of one event type from a JSON Lines output.
records() {
	jq -c "select(.event_type == \"$1\")"
}
