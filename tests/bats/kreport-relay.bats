#!/usr/bin/env bats
# kreport --to: delivery to a real rsyslog started on loopback by the
# tests (TCP, UDP, TLS with certificates made here, UNIX sockets), a
# server that is down, stopped and restarted, a full spool, and a process
# killed or stopped in the middle: every event id must arrive.

bats_require_minimum_version 1.5.0
load helpers

setup_file() {
	command -v rsyslogd >/dev/null || return 0
	# One CA and server and client certificates for the whole file (EC
	# keys: fast to make).  The server's names the DNS name localhost
	# only, so that tls://127.0.0.1 must fail the name check.
	C="$BATS_FILE_TMPDIR/certs"
	mkdir -p "$C"
	(
		cd "$C" || exit 1
		ec="-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes"
		openssl req -x509 $ec -keyout ca.key -out ca.pem -days 2 -subj "/CN=ksvm test CA"
		openssl req -x509 $ec -keyout other-ca.key -out other-ca.pem -days 2 -subj "/CN=another CA"
		openssl req $ec -keyout server.key -out server.csr -subj "/CN=localhost"
		printf 'subjectAltName=DNS:localhost\n' >server.ext
		openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem -days 2 -extfile server.ext
		openssl req $ec -keyout client.key -out client.csr -subj "/CN=svm1"
		openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out client.pem -days 2
	) >/dev/null 2>&1
}

setup() {
	command -v rsyslogd >/dev/null || skip "rsyslog is not installed"
	T="$BATS_TEST_TMPDIR"
	C="$BATS_FILE_TMPDIR/certs"
	RS="$T/rsyslog"
	mkdir -p "$RS/work"
	read -r TCP TLS MTLS UDP <<<"$(free_ports)"
	rs_config
	SPOOL="$T/spool"
}

teardown() {
	rs_stop
	# A test that failed half-way leaves no process behind (bats would
	# wait for it).
	for p in ${BG:-}; do
		kill -KILL "$p" 2>/dev/null || true
	done
}

bg() { # record a background process for teardown
	BG="${BG:-} $1"
}

# Four free loopback ports: three TCP, one UDP.
free_ports() {
	$PY - <<-'PY'
	import socket
	socks = []
	for kind in (socket.SOCK_STREAM,) * 3 + (socket.SOCK_DGRAM,):
	    s = socket.socket(socket.AF_INET, kind)
	    s.bind(("127.0.0.1", 0))
	    socks.append(s)
	print(*[s.getsockname()[1] for s in socks])
	PY
}

rs_config() {
	cat >"$RS/rs.conf" <<-EOF
	global(workDirectory="$RS/work"
	       DefaultNetstreamDriverCAFile="$C/ca.pem"
	       DefaultNetstreamDriverCertFile="$C/server.pem"
	       DefaultNetstreamDriverKeyFile="$C/server.key")
	module(load="imtcp")
	module(load="imudp")
	module(load="imuxsock" SysSock.Use="off")
	module(load="imptcp")
	input(type="imtcp" name="tcp" address="127.0.0.1" port="$TCP")
	input(type="imtcp" name="tls" address="127.0.0.1" port="$TLS"
	      streamDriver.name="ossl" streamDriver.mode="1" streamDriver.authMode="anon")
	input(type="imtcp" name="mtls" address="127.0.0.1" port="$MTLS"
	      streamDriver.name="ossl" streamDriver.mode="1" streamDriver.authMode="x509/certvalid")
	input(type="imudp" name="udp" address="127.0.0.1" port="$UDP")
	input(type="imuxsock" Socket="$RS/dgram.sock" UseSpecialParser="off" ParseHostname="on")
	input(type="imptcp" name="ustream" path="$RS/stream.sock" unlink="on")
	template(name="line" type="string" string="%inputname% %hostname% %app-name% %msgid% %structured-data% %msg%\n")
	action(type="omfile" file="$RS/out.log" template="line")
	EOF
}

# Is something listening on these loopback ports (TCP, then UDP)?
listening() { # TCP-PORTS UDP-PORT
	[ "$(ss -Hltn "( sport = :$1 or sport = :$2 or sport = :$3 )" | wc -l)" = 3 ] &&
		[ "$(ss -Hlun "sport = :$4" | wc -l)" = 1 ]
}

rs_start() {
	rm -f "$RS/dgram.sock"
	rsyslogd -n -f "$RS/rs.conf" -i "$RS/pid" 2>>"$RS/stderr" 3>&- &
	RS_PID=$!
	for _ in $(seq 1 200); do
		listening "$TCP" "$TLS" "$MTLS" "$UDP" && [ -S "$RS/stream.sock" ] &&
			[ -S "$RS/dgram.sock" ] && return 0
		sleep 0.05
	done
	cat "$RS/stderr" >&3
	return 1
}

rs_stop() {
	[ -n "${RS_PID:-}" ] || return 0
	kill -TERM "$RS_PID" 2>/dev/null || true
	wait "$RS_PID" 2>/dev/null || true
	RS_PID=
}

# N clean file records, numbered from FROM, with a path padded to PAD bytes.
records() { # N [FROM] [PAD]
	$PY - "$@" <<-'PY'
	import json, sys
	n = int(sys.argv[1]); first = int(sys.argv[2]) if len(sys.argv) > 2 else 0
	pad = int(sys.argv[3]) if len(sys.argv) > 3 else 0
	for i in range(first, first + n):
	    print(json.dumps({"timestamp": "2026-11-26T09:%02d:%02d.%06d+0000" % (i // 3600 % 60, i // 60 % 60, i % 1000000),
	                      "event_type": "file", "program": "kfscan", "vm": "web1",
	                      "file": {"path": "/srv/%d/%s" % (i, "x" * pad)}, "verdict": "clean",
	                      "elapsed_us": 1}, separators=(",", ":")))
	PY
}

# The event ids of JSON Lines on stdin, as kreport gives them.
ids_of() {
	kreport -q -f syslog | grep -o ' id="[0-9a-f]\{32\}"' | cut -d'"' -f2 | sort -u
}

# The ids the server wrote, for one of its inputs (or all).
received() { # [INPUTNAME]
	grep "^${1:-}" "$RS/out.log" 2>/dev/null | grep -o ' id="[0-9a-f]\{32\}"' | cut -d'"' -f2 | sort -u
}

# Wait until every id of FILE (one a line) was received on INPUTNAME.
wait_ids() { # FILE [INPUTNAME] [SECONDS]
	for _ in $(seq 1 $((${3:-10} * 20))); do
		[ -z "$(comm -23 "$1" <(received "${2:-}"))" ] && return 0
		sleep 0.05
	done
	echo "missing: $(comm -23 "$1" <(received "${2:-}") | wc -l) of $(wc -l <"$1")" >&3
	return 1
}

relay() {
	kreport --spool "$SPOOL" --backoff-max 300ms --drain-timeout 2s "$@"
}

# The same as a command to start in the background, so that $! is
# kreport itself (a function would run in a subshell).
KR_ARGS=(--backoff-max 300ms --drain-timeout 2s)

@test "TCP, UDP, TLS and both UNIX sockets: every event arrives, with its fields" {
	rs_start
	n=0
	for to in "tcp://127.0.0.1:$TCP tcp" "syslog://127.0.0.1:$UDP udp" \
		"tls://localhost:$TLS --ca $C/ca.pem tls" "unix:$RS/dgram.sock imuxsock" \
		"unix://$RS/stream.sock ustream"; do
		set -- $to
		name=${!#}
		records 40 $((n * 40)) >"$T/in.$name"
		ids_of <"$T/in.$name" >"$T/ids.$name"
		run --separate-stderr relay --to "${@:1:$#-1}" "$T/in.$name"
		assert_success
		[[ $stderr == *"40 records (0 malformed lines, 0 detections); 40 events to "*": 40 delivered, 0 pending" ]]
		n=$((n + 1))
	done
	for name in tcp udp tls imuxsock ustream; do
		wait_ids "$T/ids.$name" "$name"
	done
	# The named fields travel as structured data, the record as MSG.
	line=$(grep "^tcp " "$RS/out.log" | head -1)
	[[ $line == "tcp $(hostname) kfscan file [ksvm@32473 id=\""*"\" type=\"file\" severity=\"info\" vm=\"web1\" verdict=\"clean\" path=\"/srv/0/\"] "*'{"timestamp":"2026-11-26T09:00:00.000000+0000","event_type":"file"'* ]]
	# Nothing was left in the spool.
	[ -z "$(ls "$SPOOL" | grep -v '^lock$')" ]
}

@test "TLS: the server must prove its name with a trusted certificate" {
	rs_start
	records 5 >"$T/in"
	# Signed by a CA that is not ours.
	run --separate-stderr relay --drain-timeout 1s --to "tls://localhost:$TLS" --ca "$C/other-ca.pem" "$T/in"
	assert_failure 2
	[[ $stderr == *"the server's certificate is not trusted"* ]]
	[[ $stderr == *"5 events not yet delivered to tls://localhost:$TLS are kept in $SPOOL"* ]]
	# The right CA, but the certificate does not name 127.0.0.1.
	run --separate-stderr relay --drain-timeout 1s --to "tls://127.0.0.1:$TLS" --ca "$C/ca.pem" "$T/in"
	assert_failure 2
	[[ $stderr == *"the server's certificate is not trusted"* ]]
	[ -z "$(received tls)" ]
	# The right CA and name: the five kept ones go first.
	ids_of <"$T/in" >"$T/ids"
	run --separate-stderr relay --to "tls://localhost:$TLS" --ca "$C/ca.pem" /dev/null
	assert_success
	# Both failed runs kept their five (the same events, the same ids).
	[[ $stderr == *"10 events from an earlier run"* ]]
	wait_ids "$T/ids" tls
}

@test "TLS with a client certificate, for a server that asks for one" {
	rs_start
	records 10 >"$T/in"
	ids_of <"$T/in" >"$T/ids"
	run --separate-stderr relay --drain-timeout 1s --to "tls://localhost:$MTLS" --ca "$C/ca.pem" "$T/in"
	assert_failure 2
	run --separate-stderr relay --to "tls://localhost:$MTLS" --ca "$C/ca.pem" --cert "$C/client.pem" --key "$C/client.key" "$T/in"
	assert_success
	wait_ids "$T/ids" mtls
	run relay --to "tls://localhost:$MTLS" --ca "$C/ca.pem" --cert "$C/client.pem" "$T/in"
	assert_failure 2
	assert_output --partial "needs both --cert and --key"
}

@test "server down from the start: events wait in the spool, exit 2; they go when it is up" {
	records 100 >"$T/in"
	ids_of <"$T/in" >"$T/ids"
	run --separate-stderr relay --drain-timeout 1s --to "tcp://127.0.0.1:$TCP" "$T/in"
	assert_failure 2
	[[ $stderr == *"cannot reach tcp://127.0.0.1:$TCP"*"Connection refused"* ]]
	[[ $stderr == *"100 events not yet delivered"* ]]
	[ "$(ls "$SPOOL"/*.seg | wc -l)" -ge 1 ]
	rs_start
	records 20 100 >"$T/in2"
	ids_of <"$T/in2" >>"$T/ids"
	sort -o "$T/ids" "$T/ids"
	run --separate-stderr relay --to "tcp://127.0.0.1:$TCP" "$T/in2"
	assert_success
	[[ $stderr == *"100 events from an earlier run"* ]]
	wait_ids "$T/ids" tcp
	# In order: the spooled ones before the new ones.
	first_new=$(grep -n "$(head -1 "$T/in2" | ids_of)" "$RS/out.log" | head -1 | cut -d: -f1)
	last_old=$(grep -n "$(tail -1 "$T/in" | ids_of)" "$RS/out.log" | head -1 | cut -d: -f1)
	[ "$last_old" -lt "$first_new" ]
}

@test "server stopped mid-stream and restarted: every event id arrives" {
	rs_start
	records 1500 >"$T/in"
	ids_of <"$T/in" >"$T/ids"
	# 1,500 events at about 500 a second, through a pipe.
	$PY -c 'import sys, time
for i, l in enumerate(open(sys.argv[1])):
    sys.stdout.write(l); sys.stdout.flush()
    if i % 25 == 0: time.sleep(0.05)' "$T/in" 3>&- |
		kreport --spool "$SPOOL" "${KR_ARGS[@]}" --drain-timeout 10s --to "tcp://127.0.0.1:$TCP" >"$T/out" 2>"$T/err" 3>&- &
	kr=$!
	bg "$kr"
	sleep 1
	rs_stop
	sleep 0.7
	rs_start
	wait "$kr"
	grep -q "connection to tcp://127.0.0.1:$TCP lost" "$T/err"
	grep -q "1,500 events to tcp://127.0.0.1:$TCP: 1,500 delivered, 0 pending" "$T/err"
	wait_ids "$T/ids" tcp
	# At least once: duplicates are possible, and recognizable by id.
	[ "$(received tcp | wc -l)" = 1500 ]
}

@test "a full spool holds the input (block) until the server takes messages again" {
	# About 540 KiB through a spool of 256 KiB.  (A full spool frees room as
	# segments are confirmed delivered, two seconds after the server
	# acknowledged them: a larger input would only take longer.)
	records 400 0 500 >"$T/in"
	ids_of <"$T/in" >"$T/ids"
	kreport --spool "$SPOOL" "${KR_ARGS[@]}" --spool-size 256K --drain-timeout 10s --to "tcp://127.0.0.1:$TCP" <"$T/in" >"$T/out" 2>"$T/err" 3>&- &
	kr=$!
	bg "$kr"
	for _ in $(seq 1 100); do grep -q "SPOOL FULL" "$T/err" && break; sleep 0.05; done
	grep -q "kreport: SPOOL FULL: $SPOOL holds 262,144 bytes and the server does not take more; input is held" "$T/err"
	# Held, not finished, and within its bound.
	sleep 0.3
	kill -0 "$kr"
	[ "$(du -cb "$SPOOL"/*.seg | tail -1 | cut -f1)" -le 262144 ]
	rs_start
	wait "$kr"
	grep -q "the spool has room again" "$T/err"
	grep -q "400 events to tcp://127.0.0.1:$TCP: 400 delivered, 0 pending" "$T/err"
	wait_ids "$T/ids" tcp
}

@test "a full spool drops the oldest (drop-oldest), counts them and tells the server" {
	records 1200 0 500 >"$T/in"
	run --separate-stderr relay --spool-size 256K --spool-full drop-oldest --drain-timeout 500ms \
		--to "tcp://127.0.0.1:$TCP" "$T/in"
	assert_failure 2
	# Said at the first drop, then at most every ten seconds, and at the
	# end with what was dropped since.
	[ "$(grep -c 'SPOOL FULL: dropped the' <<<"$stderr")" = 2 ]
	dropped=$(grep -o 'dropped the [0-9,]* oldest' <<<"$stderr" | tr -dc '0-9\n' | awk '{ s += $1 } END { print s }')
	last=$(grep -o 'dropped the [0-9,]* oldest' <<<"$stderr" | tail -1 | tr -dc '0-9')
	[ "$dropped" -gt 700 ]
	rs_start
	run --separate-stderr relay --to "tcp://127.0.0.1:$TCP" /dev/null
	assert_success
	sleep 0.5
	# What is left is the newest, and with it kreport's notices of the
	# drops (an early notice may itself have been dropped later): with
	# the dropped ones, nothing is unaccounted for.
	got=$(grep -c '^tcp .* kfscan file ' "$RS/out.log")
	notices=$(grep -c '^tcp .* kreport error ' "$RS/out.log")
	[ "$notices" -ge 1 ]
	[ $((got + notices + dropped)) = $((1200 + 2)) ]
	[ "$(tail -1 "$T/in" | ids_of)" = "$(grep '^tcp .* kfscan file ' "$RS/out.log" | tail -1 | grep -o ' id="[0-9a-f]*"' | cut -d'"' -f2)" ]
	grep -q "^tcp .* kreport error \[ksvm@32473 .* severity=\"low\"\] .*\"kind\":\"limit\",\"message\":\"the spool was full: $last undelivered events dropped, oldest first\"" "$RS/out.log"
}

@test "killed in the middle of a spool write: the torn record is cut, the rest is replayed" {
	records 100 >"$T/in"
	ids_of <"$T/in" >"$T/ids"
	run relay --drain-timeout 300ms --to "tcp://127.0.0.1:$TCP" "$T/in"
	assert_failure 2
	records 10 100 >"$T/more"
	run env KSVM_FAULT=kreport-spool-torn kreport --spool "$SPOOL" --drain-timeout 300ms --to "tcp://127.0.0.1:$TCP" "$T/more"
	assert_equal "$status" 137
	rs_start
	run --separate-stderr relay --to "tcp://127.0.0.1:$TCP" /dev/null
	assert_success
	[[ $stderr == *"cut "*" bytes of a record cut short"* ]]
	wait_ids "$T/ids" tcp
	# No garbage reached the server: every message is whole.
	while IFS= read -r l; do
		[[ $l =~ ^tcp\ [^\ ]+\ kfscan\ file\ \[ksvm@32473\ id=\"[0-9a-f]{32}\".*\"elapsed_us\":1\}$ ]]
	done <"$RS/out.log"
}

@test "killed with SIGKILL mid-stream: what was spooled is sent by the next start" {
	records 300 >"$T/in"
	ids_of <"$T/in" >"$T/ids"
	mkfifo "$T/fifo"
	( cat "$T/in"; sleep 30 ) >"$T/fifo" 3>&- &
	writer=$!
	bg "$writer"
	kreport --spool "$SPOOL" "${KR_ARGS[@]}" --to "tcp://127.0.0.1:$TCP" "$T/fifo" 2>"$T/err" 3>&- &
	kr=$!
	bg "$kr"
	for _ in $(seq 1 100); do
		[ "$(du -cb "$SPOOL"/*.seg 2>/dev/null | tail -1 | cut -f1)" -gt 30000 ] && break
		sleep 0.05
	done
	kill -KILL "$kr"
	wait "$kr" || true
	kill "$writer"; wait "$writer" 2>/dev/null || true
	rs_start
	run --separate-stderr relay --to "tcp://127.0.0.1:$TCP" /dev/null
	assert_success
	[[ $stderr == *"300 events from an earlier run"* ]]
	wait_ids "$T/ids" tcp
}

@test "killed while saving the delivery state: the old state holds, nothing is lost" {
	rs_start
	records 50 >"$T/in"
	ids_of <"$T/in" >"$T/ids"
	run env KSVM_FAULT=kreport-spool-cursor kreport --spool "$SPOOL" --to "tcp://127.0.0.1:$TCP" "$T/in"
	assert_equal "$status" 137
	[ -e "$SPOOL/cursor.tmp" ]
	wait_ids "$T/ids" tcp
	: >"$RS/out.log"
	# The next start sends them again (the server sees duplicates, with
	# the same ids) and ends with an empty spool.
	run --separate-stderr relay --to "tcp://127.0.0.1:$TCP" /dev/null
	assert_success
	wait_ids "$T/ids" tcp
	[ -z "$(ls "$SPOOL" | grep '\.seg$')" ]
}

@test "SIGTERM: what the pipe holds is spooled, and kreport exits within the drain time" {
	records 50 >"$T/in"
	ids_of <"$T/in" >"$T/ids"
	mkfifo "$T/fifo"
	( cat "$T/in"; sleep 30 ) >"$T/fifo" 3>&- &
	writer=$!
	bg "$writer"
	kreport --spool "$SPOOL" "${KR_ARGS[@]}" --drain-timeout 1s --to "tcp://127.0.0.1:$TCP" "$T/fifo" 2>"$T/err" 3>&- &
	kr=$!
	bg "$kr"
	sleep 0.5
	t0=$(date +%s%N)
	kill -TERM "$kr"
	wait "$kr" && rc=0 || rc=$?
	t1=$(date +%s%N)
	kill "$writer"; wait "$writer" 2>/dev/null || true
	[ "$rc" = 2 ]
	[ $(((t1 - t0) / 1000000)) -lt 3000 ]
	grep -q "50 events not yet delivered to tcp://127.0.0.1:$TCP are kept in $SPOOL" "$T/err"
	rs_start
	run relay --to "tcp://127.0.0.1:$TCP" /dev/null
	assert_success
	wait_ids "$T/ids" tcp
}

@test "SIGTERM while the spool is full: every record read is kept, past the spool's size" {
	records 3000 0 500 >"$T/in"
	cat "$T/in" | kreport --spool "$SPOOL" "${KR_ARGS[@]}" --spool-size 256K --drain-timeout 500ms \
		--to "tcp://127.0.0.1:$TCP" 2>"$T/err" 3>&- &
	kr=$!
	bg "$kr"
	# (Up to 30 s: on a loaded machine filling the spool takes a while.)
	for _ in $(seq 1 600); do grep -q "SPOOL FULL" "$T/err" && break; sleep 0.05; done
	grep -q "SPOOL FULL" "$T/err"
	kill -TERM "$kr"
	wait "$kr" && rc=0 || rc=$?
	[ "$rc" = 2 ]
	# How many it read: those are all in the spool, more than it holds.
	n=$(grep -o '^kreport: [0-9,]* records' "$T/err" | tr -dc '0-9')
	[ "$n" -gt 300 ]
	[ "$(du -cb "$SPOOL"/*.seg | tail -1 | cut -f1)" -gt 262144 ]
	head -n "$n" "$T/in" | ids_of >"$T/ids"
	rs_start
	run relay --to "tcp://127.0.0.1:$TCP" /dev/null
	assert_success
	wait_ids "$T/ids" tcp
}

@test "a long event over UDP is cut to --max-message, marked, and keeps its id" {
	rs_start
	records 3 0 3000 >"$T/in"
	ids_of <"$T/in" >"$T/ids"
	run relay --max-message 1024 --to "syslog://127.0.0.1:$UDP" "$T/in"
	assert_success
	wait_ids "$T/ids" udp
	# The JSON went first, then the path's value.
	[ "$(grep -c '^udp .* truncated="msg,path"\]' "$RS/out.log")" = 3 ]
	# The sent messages were at most 1024 bytes each.
	kreport -q -f syslog --max-message 1024 "$T/in" | while IFS= read -r l; do
		[ "$(printf '%s' "$l" | wc -c)" -le 1024 ]
	done
}

@test "two kreports cannot share a spool" {
	mkfifo "$T/fifo"
	( sleep 3 ) >"$T/fifo" 3>&- &
	writer=$!
	bg "$writer"
	kreport --spool "$SPOOL" "${KR_ARGS[@]}" --to "tcp://127.0.0.1:$TCP" "$T/fifo" 2>/dev/null 3>&- &
	kr=$!
	bg "$kr"
	sleep 0.3
	run relay --to "tcp://127.0.0.1:$TCP" /dev/null
	assert_failure 2
	assert_output --partial "the spool $SPOOL is in use by another kreport"
	kill -KILL "$kr" "$writer" 2>/dev/null || true
	wait 2>/dev/null || true
}
