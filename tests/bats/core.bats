#!/usr/bin/env bats
# The shared command-line conventions, the reader and the writer, checked
# through kjecho (a test driver built on the core alone).

bats_require_minimum_version 1.5.0
load helpers

@test "--help lists the shared options and exits 0" {
	run --separate-stderr kjecho --help
	assert_success
	assert_output --partial "-q, --quiet"
	assert_output --partial "-v, --verbose"
	assert_output --partial "-o, --output=FILE"
	assert_output --partial "--version"
	[ -z "$stderr" ]
}

@test "--version names the tool and the libraries in use" {
	run --separate-stderr kjecho --version
	assert_success
	assert_line --index 0 --regexp '^kjecho \(ksvm\) [0-9]+\.[0-9]+\.[0-9]+$'
	assert_line --regexp '^libyara 4\.[0-9]+\.[0-9]+$'
	assert_line --regexp '^libmagic 5\.[0-9]+$'
	assert_line --regexp '^libpcap version 1\.'
	assert_line --regexp '^json-c 0\.[0-9]+'
}

@test "a bad option is a usage error: exit 2, message on stderr only" {
	run --separate-stderr kjecho --no-such-option
	assert_failure 2
	[ -z "$output" ]
	[[ "$stderr" == *"unrecognized option"* ]]
	[[ "$stderr" == *"--help"* ]]
}

@test "a malformed line becomes an error record with its line number; the rest goes on" {
	run --separate-stderr kjecho <<-'EOF'
	{"a":1}
	{"a":
	{"b":2}
	EOF
	assert_failure 2
	assert_line --index 0 '{"a":1}'
	assert_line --index 2 '{"b":2}'
	[ "$(sed -n 2p <<<"$output" | jq -r '.event_type, .error.line, .error.kind, .error.input')" = \
	  "$(printf 'error\n2\ninvalid\n-')" ]
}

@test "error records validate against the schema" {
	run bash -c "printf 'x\n{\"a\":\n' | kjecho | '$TOP/tests/validate-records'"
	assert_success
	assert_output --partial "2 records valid"
}

@test "a file name that is not UTF-8 and holds a newline round-trips through the output" {
	name=$(printf 'bad\xe9\nname.exe')
	# The JSON says \udce9 for the byte 0xe9 ...
	rec=$($PY -c 'import json,os,sys; print(json.dumps({"path": os.fsdecode(sys.argv[1].encode("latin-1"))}))' "$(printf 'bad\xe9\nname.exe' | iconv -f latin1 -t utf-8)")
	[ "$rec" = '{"path": "bad\udce9\nname.exe"}' ]
	run kjecho <<<"$rec"
	assert_success
	assert_output '{"path":"bad\udce9\nname.exe"}'
	# ... and Python's surrogateescape gives back the original bytes.
	bytes=$($PY -c 'import json,os,sys; sys.stdout.buffer.write(os.fsencode(json.loads(sys.stdin.read())["path"]))' <<<"$output" | od -An -tx1 | tr -d ' \n')
	[ "$bytes" = "$(printf '%s' "$name" | od -An -tx1 | tr -d ' \n')" ]
}

@test "an input that cannot be opened is an error record; the others are still read" {
	echo '{"ok":1}' >"$BATS_TEST_TMPDIR/in.jsonl"
	run --separate-stderr kjecho "$BATS_TEST_TMPDIR/missing.jsonl" "$BATS_TEST_TMPDIR/in.jsonl"
	assert_failure 2
	assert_line --index 1 '{"ok":1}'
	[ "$(head -1 <<<"$output" | jq -r .error.kind)" = notfound ]
	[[ "$stderr" == *"missing.jsonl"* ]]
}

@test "-o writes records to a file; -q silences notices" {
	echo '{"x":"y"}' | kjecho -o "$BATS_TEST_TMPDIR/out.jsonl"
	[ "$(cat "$BATS_TEST_TMPDIR/out.jsonl")" = '{"x":"y"}' ]
	run --separate-stderr kjecho -q "$BATS_TEST_TMPDIR/missing"
	assert_failure 2
	[ -z "$stderr" ]
	run --separate-stderr kjecho -o /nonexistent/dir/out.jsonl </dev/null
	assert_failure 2
	[[ "$stderr" == *"cannot open /nonexistent/dir/out.jsonl"* ]]
}

@test "a closed output pipe ends the run with exit 2 and a message, no crash" {
	run bash -c 'yes "{\"a\":1}" | head -n 200000 | kjecho 2>"$1" | head -n 1; echo "status=${PIPESTATUS[2]}"' _ "$BATS_TEST_TMPDIR/err"
	assert_line --index 0 '{"a":1}'
	assert_line --index 1 'status=2'
	grep -q 'Broken pipe' "$BATS_TEST_TMPDIR/err"
}

@test "a full disk is a write error: exit 2" {
	run --separate-stderr bash -c 'echo "{}" | kjecho >/dev/full'
	assert_failure 2
	[[ "$stderr" == *"No space left on device"* ]]
}

@test "lines over --max-line and nesting over --max-depth are refused and counted" {
	run kjecho --max-line 20 --max-depth 3 <<-'EOF'
	{"a":"0123456789abcdef"}
	{"a":{"b":{"c":{"d":1}}}}
	{"a":{"b":1}}
	EOF
	assert_failure 2
	[ "$(jq -r 'select(.event_type=="error") | .error.kind' <<<"$output" | tr '\n' ' ')" = "limit limit " ]
	assert_line --index 2 '{"a":{"b":1}}'
}

@test "a NUL byte in a line is refused" {
	run bash -c "printf '{\"a\":\"x\\0y\"}\n{\"b\":1}\n' | kjecho"
	assert_failure 2
	[ "$(head -1 <<<"$output" | jq -r .error.message)" = "NUL byte at column 8" ]
	assert_line --index 1 '{"b":1}'
}

@test "SIGUSR1 prints one JSON stats line on stderr and the run goes on" {
	fifo="$BATS_TEST_TMPDIR/fifo"
	mkfifo "$fifo"
	kjecho <"$fifo" >"$BATS_TEST_TMPDIR/out" 2>"$BATS_TEST_TMPDIR/err" 3>&- &
	pid=$!
	exec 7>"$fifo"
	echo '{"n":1}' >&7
	echo '{"n":2}' >&7
	for _ in $(seq 50); do [ "$(wc -l <"$BATS_TEST_TMPDIR/out")" = 2 ] && break; sleep 0.1; done
	kill -USR1 "$pid"
	for _ in $(seq 50); do [ -s "$BATS_TEST_TMPDIR/err" ] && break; sleep 0.1; done
	echo '{"n":3}' >&7
	exec 7>&-
	wait "$pid"
	[ "$(wc -l <"$BATS_TEST_TMPDIR/out")" = 3 ]
	[ "$(wc -l <"$BATS_TEST_TMPDIR/err")" = 1 ]
	[ "$(jq -r '.event_type, .stats.records' "$BATS_TEST_TMPDIR/err" | tr '\n' ' ')" = "stats 2 " ]
}

@test "SIGTERM drains: the records read so far are written and the exit is clean" {
	fifo="$BATS_TEST_TMPDIR/fifo"
	mkfifo "$fifo"
	kjecho <"$fifo" >"$BATS_TEST_TMPDIR/out" 2>"$BATS_TEST_TMPDIR/err" 3>&- &
	pid=$!
	exec 7>"$fifo"
	for i in 1 2 3; do echo "{\"n\":$i}" >&7; done
	for _ in $(seq 50); do [ "$(wc -l <"$BATS_TEST_TMPDIR/out")" = 3 ] && break; sleep 0.1; done
	kill -TERM "$pid"
	rc=0
	wait "$pid" || rc=$?
	exec 7>&-
	cat "$BATS_TEST_TMPDIR/err"
	[ "$rc" = 0 ]
	[ "$(wc -l <"$BATS_TEST_TMPDIR/out")" = 3 ]
	grep -q 'stopped by signal 15 after 3 records' "$BATS_TEST_TMPDIR/err"
}

@test "progress goes to stderr only when it is a terminal" {
	run --separate-stderr bash -c 'printf "{}\n{}\n" | kjecho'
	assert_success
	[ -z "$stderr" ]
	command -v script >/dev/null || skip "script(1) is not installed"
	# Under a pseudo-terminal the progress line appears and is erased.
	run script -qec 'printf "{}\n" | kjecho --delay 300 >/dev/null' /dev/null
	[[ "$output" == *"kjecho: 1 records"* ]]
}
