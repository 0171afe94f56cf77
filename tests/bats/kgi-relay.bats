#!/usr/bin/env bats
# kgi-relay: events in, scans out, one decision back for every event.

bats_require_minimum_version 1.5.0
load helpers

setup() {
	T="$BATS_TEST_TMPDIR"
	mkdir -p "$T/vm1/tmp" "$T/vm1/etc" "$T/host" "$T/q"
	eicar >"$T/vm1/tmp/eicar.com"
	echo "hello" >"$T/vm1/etc/motd"
	echo "secret" >"$T/host/secret"
	ln -s /etc/passwd "$T/vm1/etc/abs"
	ln -s ../../host/secret "$T/vm1/etc/out"
	SCANNER="kfscan --requests --no-cache -q --quarantine $T/q"
}

ev() { # ID OP PATH [VM]
	printf '{"id":%s,"vm":"%s","op":"%s","path":"%s"}\n' "$1" "${4:-vm1}" "$2" "$3"
}

access() { jq -c 'select(.event_type == "access")'; }

@test "a clean file is allowed, EICAR is denied and quarantined, every event gets one decision" {
	run --separate-stderr kgi-relay --root vm1="$T/vm1" --assign vm1=quarantine --scanner "$SCANNER" <<-EOF
	$(ev 1 open /etc/motd)
	$(ev 2 execute /tmp/eicar.com)
	EOF
	assert_failure 1
	[ "$(access <<<"$output" | jq -r '"\(.id) \(.decision) \(.reason)"' | sort | tr '\n' ' ')" = "1 allow clean 2 deny detected " ]
	[ "$(access <<<"$output" | jq -r 'select(.id==2) | "\(.scan.rules[0]) \(.scan.action) \(.profile)"')" = "EICAR_Test_File quarantine quarantine" ]
	[ ! -e "$T/vm1/tmp/eicar.com" ]
	[ "$(ls "$T/q" | grep -c '\.data$')" = 1 ]
	# The scanner's own verdicts are in the output too, for kreport.
	[ "$(jq -r 'select(.event_type=="file") | .verdict' <<<"$output" | sort | tr '\n' ' ')" = "clean infected " ]
	run validate_records <<<"$output"
	assert_success
}

@test "operations the profile does not scan are allowed at once; a close is scanned after a write" {
	run --separate-stderr kgi-relay --root vm1="$T/vm1" --scanner "fake-scanner count $T/requests" <<-EOF
	$(ev 1 close /etc/motd)
	$(ev 2 rename /etc/motd)
	$(ev 3 write /etc/motd)
	$(ev 4 close /etc/motd)
	EOF
	assert_success
	[ "$(access <<<"$output" | jq -r '"\(.id) \(.reason)"' | sort | tr '\n' ' ')" = "1 not-scanned 2 not-scanned 3 not-scanned 4 clean " ]
	[ "$(wc -l <"$T/requests")" = 1 ]
}

@test "paths that lead out of the VM's root are refused and never scanned" {
	run --separate-stderr kgi-relay --root vm1="$T/vm1" --scanner "fake-scanner count $T/requests" <<-EOF
	$(ev 1 open /etc/../../host/secret)
	$(ev 2 open /etc/abs)
	$(ev 3 open /etc/out)
	$(ev 4 open /etc/motd)
	EOF
	assert_failure 2
	[ "$(access <<<"$output" | jq -r '"\(.id) \(.decision) \(.reason)"' | sort | tr '\n' ' ')" = "1 deny bad-event 2 deny bad-event 3 deny bad-event 4 allow clean " ]
	[ "$(cat "$T/requests")" = r1 ]
}

@test "malformed, incomplete and oversized events each get an error decision; the rest goes on" {
	big=$(head -c 70000 /dev/zero | tr '\0' a)
	run --separate-stderr kgi-relay --root vm1="$T/vm1" --scanner "fake-scanner count $T/requests" <<-EOF
	not json at all
	{"id":"a","vm":"vm1","op":"open"}
	{"vm":"vm1","op":"open","path":"/etc/motd"}
	{"id":"b","vm":"nope","op":"open","path":"/etc/motd"}
	{"id":"c","vm":"vm1","op":"open","path":"relative"}
	{"id":"d","vm":"vm1","op":"open","path":"/etc/motd","pad":"$big"}
	{"id":"e","vm":"vm1","op":"open","path":"/etc/motd","unknown":[1,2,{"x":1}]}
	EOF
	assert_failure 2
	[ "$(access <<<"$output" | wc -l)" = 7 ]
	[ "$(access <<<"$output" | jq -r '"\(.id) \(.reason)"' | sort | tr '\n' ' ')" = "a bad-event b bad-event c bad-event e clean null bad-event null bad-event null bad-event " ]
}

@test "a burst of 1000 opens of one new file makes one scan" {
	for i in $(seq 1000); do ev "$i" open /etc/motd; done >"$T/burst"
	run --separate-stderr kgi-relay --root vm1="$T/vm1" --scanner "fake-scanner slow 0.3" <"$T/burst"
	assert_success
	[ "$(access <<<"$output" | jq -r 'select(.reason=="clean") | .id' | sort -u | wc -l)" = 1000 ]
	[ "$(jq -r 'select(.event_type=="stats" and .program=="kgi-relay") | "\(.stats.scans) \(.stats.merged)"' <<<"$output")" = "1 999" ]
}

@test "an unchanged file is decided from the relay's cache; a changed one is scanned again" {
	{ ev 1 open /etc/motd; sleep 1; ev 2 open /etc/motd; sleep 0.2; echo more >>"$T/vm1/etc/motd"; ev 3 open /etc/motd; } |
		kgi-relay --root vm1="$T/vm1" --scanner "fake-scanner count $T/requests" >"$T/out" 2>"$T/err"
	[ "$(access <"$T/out" | jq -r '"\(.id) \(.scan.cached)"' | sort | tr '\n' ' ')" = "1 false 2 true 3 false " ]
	[ "$(wc -l <"$T/requests")" = 2 ]
}

@test "a slow scanner: past the deadline, fail-closed profiles deny and fail-open ones allow" {
	run --separate-stderr kgi-relay --root vm1="$T/vm1" --timeout 300ms --scanner "fake-scanner slow 2" <<-EOF
	$(ev 1 open /etc/motd)
	EOF
	assert_success
	[ "$(access <<<"$output" | jq -r '"\(.decision) \(.reason)"')" = "deny timeout" ]
	[ "$(access <<<"$output" | jq -r '.latency_us')" -ge 300000 ]
	run --separate-stderr kgi-relay --root vm1="$T/vm1" --assign vm1=report --timeout 300ms --scanner "fake-scanner slow 2" <<-EOF
	$(ev 1 open /etc/motd)
	EOF
	[ "$(access <<<"$output" | jq -r '"\(.decision) \(.reason)"')" = "allow timeout" ]
}

@test "a scanner that dies is restarted and the events in flight are sent again, none forgotten" {
	run --separate-stderr kgi-relay --root vm1="$T/vm1" --timeout 20s --scanner "fake-scanner die-once $T/state" <<-EOF
	$(ev 1 open /etc/motd)
	$(ev 2 open /tmp/eicar.com)
	EOF
	assert_failure 1
	[ "$(access <<<"$output" | jq -r '"\(.id) \(.reason)"' | sort | tr '\n' ' ')" = "1 clean 2 detected " ]
	[ "$(jq -r 'select(.event_type=="stats" and .program=="kgi-relay") | "\(.stats.scanner_restarts) \(.stats.resent)"' <<<"$output")" = "1 2" ]
	[[ "$stderr" == *"the scanner stopped"* ]]
}

@test "a scanner that writes garbage: the events time out by their profile and the garbage is counted" {
	run --separate-stderr kgi-relay --root vm1="$T/vm1" --timeout 300ms --scanner "fake-scanner garbage" <<-EOF
	$(ev 1 open /etc/motd)
	EOF
	[ "$(access <<<"$output" | jq -r '"\(.decision) \(.reason)"')" = "deny timeout" ]
	[ "$(jq -r 'select(.event_type=="stats" and .program=="kgi-relay") | .stats.scanner_garbage' <<<"$output")" -ge 1 ]
	[ "$(jq -r 'select(.event_type=="error") | .error.message' <<<"$output" | head -1)" = "the scanner wrote a line that is not a record" ]
}

@test "monitoring mode allows everything, says what standard mode would decide, and the file stays" {
	run --separate-stderr kgi-relay --mode monitoring --root vm1="$T/vm1" --assign vm1=quarantine --scanner "$SCANNER" <<-EOF
	$(ev 1 execute /tmp/eicar.com)
	$(ev 2 open /etc/motd)
	EOF
	assert_failure 1
	[ "$(access <<<"$output" | jq -r '"\(.id) \(.decision) \(.would) \(.reason) \(.mode)"' | sort | tr '\n' ' ')" = "1 allow deny detected monitoring 2 allow allow clean monitoring " ]
	[ -e "$T/vm1/tmp/eicar.com" ]
	[ -z "$(ls "$T/q")" ]
}

@test "many clients at once on the socket each get exactly their own decisions" {
	sock="$T/relay.sock"
	kgi-relay --listen "$sock" --root vm1="$T/vm1" --scanner "fake-scanner count $T/requests" >"$T/out" 2>"$T/err" 3>&- &
	pid=$!
	for _ in $(seq 100); do [ -S "$sock" ] && break; sleep 0.05; done
	[ "$(stat -c %a "$sock")" = 600 ]
	run relay-clients "$sock" 20 50 /etc/motd
	assert_success
	assert_output "clients=20 decisions=1000 wrong=0"
	# A client that leaves in the middle of a line disturbs nobody.
	$PY -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.sendall(b"{\"id\":\"half\",\"vm\":\"vm1\""); s.close()' "$sock"
	run relay-clients "$sock" 2 10 /etc/motd
	assert_output "clients=2 decisions=20 wrong=0"
	kill -TERM "$pid"
	rc=0
	wait "$pid" || rc=$?
	[ "$rc" = 0 ]
	[ ! -e "$sock" ]
	[ "$(access <"$T/out" | wc -l)" = 1020 ]
	[ "$(access <"$T/out" | jq -r 'select(.id=="half")' | wc -l)" = 0 ]
}

@test "--socket-group gives the socket to a group, mode 0660" {
	sock="$T/g.sock"
	kgi-relay --listen "$sock" --socket-group daemon --root vm1="$T/vm1" --scanner "fake-scanner count $T/requests" >/dev/null 2>&1 3>&- &
	pid=$!
	for _ in $(seq 100); do [ -S "$sock" ] && break; sleep 0.05; done
	[ "$(stat -c '%a %G' "$sock")" = "660 daemon" ]
	kill -TERM "$pid"
	wait "$pid" || true
}

@test "usage and configuration errors exit 2" {
	run --separate-stderr kgi-relay
	assert_failure 2
	[[ "$stderr" == *"no guest is known"* ]]
	run --separate-stderr kgi-relay --root vm1=relative
	assert_failure 2
	run --separate-stderr kgi-relay --root vm1="$T/missing" </dev/null
	assert_failure 2
	[[ "$stderr" == *"cannot open its root"* ]]
	run --separate-stderr kgi-relay --root vm1="$T/vm1" --assign vm1=nope </dev/null
	assert_failure 2
	[[ "$stderr" == *"unknown profile 'nope'"* ]]
	run --separate-stderr kgi-relay --root vm1="$T/vm1" --timeout 0 </dev/null
	assert_failure 2
	printf '[kgi-relay]\ntimeout = soon\n[vm web]\nroot = %s\ncolour = red\n' "$T/vm1" >"$T/bad.conf"
	run --separate-stderr kgi-relay --config "$T/bad.conf" </dev/null
	assert_failure 2
	[[ "$stderr" == *"bad.conf:2: timeout: not a time"* ]]
	[[ "$stderr" == *"bad.conf:5: unknown setting 'colour' in [vm web]"* ]]
}

@test "a configuration file gives the guests, their profiles and the relay's settings" {
	cat >"$T/ksvm.conf" <<-EOF
	[kgi-relay]
	timeout = 10s

	[vm web1]
	root = $T/vm1
	profile = strict

	[profile strict]
	action = quarantine block
	scan_on = open execute
	fail = closed
	EOF
	run --separate-stderr kgi-relay --config "$T/ksvm.conf" --scanner "$SCANNER --config $T/ksvm.conf" <<-EOF
	$(ev 1 open /tmp/eicar.com web1)
	EOF
	assert_failure 1
	[ "$(access <<<"$output" | jq -r '"\(.decision) \(.profile) \(.scan.action)"')" = "deny strict quarantine" ]
}

@test "--mode on the command line wins over the file's mode; --check-config reports each guest's errors with their lines" {
	printf '[kgi-relay]\nmode = monitoring\n[vm web1]\nroot = %s\n' "$T/vm1" >"$T/ksvm.conf"
	run --separate-stderr kgi-relay --config "$T/ksvm.conf" --mode standard --scanner "$SCANNER" <<-EOF
	$(ev 1 open /tmp/eicar.com web1)
	EOF
	assert_failure 1
	[ "$(access <<<"$output" | jq -r '"\(.decision) \(.mode)"')" = "deny standard" ]
	run --separate-stderr kgi-relay --config "$T/ksvm.conf" --scanner "$SCANNER" <<-EOF
	$(ev 1 open /tmp/eicar.com web1)
	EOF
	[ "$(access <<<"$output" | jq -r '"\(.decision) \(.mode)"')" = "allow monitoring" ]
	printf '[vm a]\nroot = /nonexistent/a\n[vm b]\nroot = %s\nprofile = nosuch\n' "$T/vm1" >"$T/bad.conf"
	run --separate-stderr kgi-relay --config "$T/bad.conf" --check-config
	assert_failure 2
	[ "$stderr" = "$T/bad.conf:2: [vm a] root /nonexistent/a: No such file or directory
$T/bad.conf:5: [vm b] profile: no profile 'nosuch' (built-in, or a [profile NAME] section)
kgi-relay: $T/bad.conf has errors; not started" ]
	printf '[vm a]\nroot = %s\n' "$T/vm1" >"$T/good.conf"
	run --separate-stderr kgi-relay --config "$T/good.conf" --check-config
	assert_success
	assert_equal "$stderr" "kgi-relay: 1 guests, their roots and profiles: valid"
}

@test "an agent may name its guest by address: the guest whose addresses hold it, the most specific first" {
	mkdir -p "$T/vm2/tmp"
	eicar >"$T/vm2/tmp/eicar.com"
	cat >"$T/ksvm.conf" <<-EOF
	[vm vm1]
	root = $T/vm1
	address = 10.9.0.0/24, 2001:db8::/64
	[vm vm2]
	root = $T/vm2
	address = 10.9.0.7
	profile = report
	EOF
	run --separate-stderr kgi-relay --config "$T/ksvm.conf" --scanner "$SCANNER --config $T/ksvm.conf" <<-EOF
	{"id":1,"address":"10.9.0.5","op":"open","path":"/tmp/eicar.com"}
	{"id":2,"address":"10.9.0.7","op":"open","path":"/tmp/eicar.com"}
	{"id":3,"address":"2001:db8::42","op":"open","path":"/etc/motd"}
	{"id":4,"address":"192.0.2.1","op":"open","path":"/etc/motd"}
	{"id":5,"address":"10.9.0.0/24","op":"open","path":"/etc/motd"}
	{"id":6,"op":"open","path":"/etc/motd"}
	EOF
	assert_failure 1
	[ "$(access <<<"$output" | jq -r '"\(.id) \(.vm) \(.address) \(.decision) \(.reason) \(.profile)"' | sort)" = "1 vm1 10.9.0.5 deny detected disinfect
2 vm2 10.9.0.7 allow detected report
3 vm1 2001:db8::42 allow clean disinfect
4 null 192.0.2.1 deny bad-event null
5 null 10.9.0.0/24 deny bad-event null
6 null null deny bad-event null" ]
	[ "$(access <<<"$output" | jq -r 'select(.id == 4) | .detail')" = "no guest has this address" ]
	[ "$(access <<<"$output" | jq -r 'select(.id == 6) | .detail')" = "the event has no 'vm' and no 'address'" ]
	printf '[vm a]\nroot = %s\naddress = 10.1.1.1, 10.1.1.300\n' "$T/vm1" >"$T/bad.conf"
	run --separate-stderr kgi-relay --config "$T/bad.conf" --check-config
	assert_failure 2
	[[ $stderr == *"bad.conf:3: [vm a] address: '10.1.1.300' is not an address or a subnet"* ]]
}

@test "kgi-relay: options agree in --help, kgi-relay.8 and the completion" {
	run "$TOP/tests/check-options" "$KSVM_BIN/kgi-relay" "$TOP/man/kgi-relay.8" "$TOP/completions/kgi-relay"
	assert_success
}
