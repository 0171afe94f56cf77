# Shared setup for the CLI tests.  KSVM_BIN and KSVM_TESTBIN point at the
# build's bin/ and tests/ directories (the Makefile sets them).
load /usr/lib/bats/bats-support/load.bash
load /usr/lib/bats/bats-assert/load.bash

: "${KSVM_BIN:?run the CLI tests through make (KSVM_BIN is not set)}"
: "${KSVM_TESTBIN:?run the CLI tests through make (KSVM_TESTBIN is not set)}"
export PATH="$KSVM_BIN:$KSVM_TESTBIN:$PATH"

TOP=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
export TOP
PY=/usr/bin/python3

# Validate JSON Lines on stdin against the project's record schemas.
validate_records() {
	"$TOP/tests/validate-records"
}

# The value of a dotted field path in each JSON line of stdin, one per line.
field() {
	jq -r "$1"
}
