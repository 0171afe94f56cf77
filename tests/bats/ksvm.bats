#!/usr/bin/env bats
# ksvm(8), the supervisor: the whole pipeline on the samples in both modes
# (guest file events through kgi-relay and kfscan, the lab capture
# through knetscan and kurlcheck, everything into kreport and a real
# rsyslog started here), restarts, reloads, the drain, check-config, and
# ksvm-config.

bats_require_minimum_version 1.5.0
load helpers

KSVM="$TOP/scripts/bin/ksvm"
PCAP="$TOP/samples/pcap/lab-mixed.pcap"
export KSVM_BIN

setup() {
	T="$BATS_TEST_TMPDIR"
	W="$T/w"
}

teardown() {
	for p in ${BG:-}; do
		kill -KILL "$p" 2>/dev/null || true
	done
	[ -n "${RS_PID:-}" ] && kill -TERM "$RS_PID" 2>/dev/null
	return 0
}

bg() { BG="${BG:-} $1"; }

# A work directory like make demo's: the sample disks (infected now), the
# demo configuration for MODE, and the rules copied (tests change them).
make_work() { # MODE
	mkdir -p "$W/disk" "$W/rules"
	cp -a "$TOP/samples/disk/web1" "$TOP/samples/disk/db1" "$W/disk/"
	"$TOP/scripts/sample-infect" "$W/disk"
	cp "$TOP"/samples/rules/* "$W/rules/"
	sed -e "s|^rules = @TOP@/samples/rules\$|rules = $W/rules|" \
		-e "s|@WORK@|$W|g" -e "s|@TOP@|$TOP|g" -e "s|@MODE@|$1|g" \
		"$TOP/samples/pipeline/demo.conf.in" >"$W/ksvm.conf"
}

events() { cat "$W/log/events.jsonl"; }

# The supervisor in the background in standard mode, guests only, reading
# the guest events the test writes to descriptor 5 (a FIFO); $sv is its
# PID.  Closing 5 ends its input.
start_guests_only() {
	make_work standard
	sed -i '/^pcap = /d; /^forward = /d' "$W/ksvm.conf"
	mkfifo "$T/events"
	exec 5<>"$T/events"
	"$KSVM" -q -c "$W/ksvm.conf" -e "$T/events" run 3>&- 5>&- &
	sv=$!
	bg $sv
}

# The decisions of the guests' accesses: "decision vm path reason".
decisions() {
	events | jq -r 'select(.event_type == "access") | "\(.decision) \(.vm) \(.path) \(.reason)"' | sort -k3
}

# A component's PID from the status file.
pid_of() { # NAME
	awk -v n="$1" '$1 == n { print $4 }' "$W/run/status"
}

wait_for() { # SECONDS COMMAND...: until COMMAND succeeds
	local t=$(($1 * 20))
	shift
	while ! "$@"; do
		t=$((t - 1))
		[ $t -gt 0 ] || { echo "timed out waiting for: $*" >&3; return 1; }
		sleep 0.05
	done
}

count_access() { # -> the number of access records in the event log
	[ -f "$W/log/events.jsonl" ] || { echo 0; return; }
	events | jq -r 'select(.event_type == "access") | .id' | wc -l
}

access_count_is() { [ "$(count_access)" -ge "$1" ]; }

# Packets of a capture sent by ADDR, as "seconds.micros" times.
times_from() { # PCAP ADDR
	tcpdump -tt -n -r "$1" "src host $2" 2>/dev/null | awk '{ print $1 }'
}

epoch_of() { # EVE timestamp -> seconds.micros
	$PY -c 'import sys, datetime; print("%.6f" % datetime.datetime.strptime(sys.argv[1], "%Y-%m-%dT%H:%M:%S.%f%z").timestamp())' "$1"
}

@test "standard mode on the samples: infected files denied and quarantined, the scanner blocked and its later packets dropped, the phishing host flagged" {
	make_work standard
	run --separate-stderr "$KSVM" -q -c "$W/ksvm.conf" run
	assert_failure 1          # something was found
	[ -z "$stderr" ] || { echo "$stderr"; false; }
	# Every guest event has its decision, the right one.
	run decisions
	assert_output "deny web1 /../../etc/shadow bad-event
allow db1 /etc/mysql/my.cnf clean
allow web1 /etc/nginx/nginx.conf clean
deny web1 /home/alice/eicar.com detected
allow web1 /home/alice/notes.txt clean
deny db1 /tmp/.x/eicar.com detected
allow db1 /usr/local/bin/nightly-dump.sh clean
allow web1 /usr/local/bin/update-helper detected
allow db1 /var/backups/schema.sql clean
allow web1 /var/www/html/index.html clean
deny web1 /var/www/html/uploads/img.php detected"
	# The infected files were quarantined, and are gone from the disks;
	# the program with an appended payload was cured in place (its
	# original kept in the quarantine).
	[ ! -e "$W/disk/db1/tmp/.x/eicar.com" ] && [ ! -e "$W/disk/web1/home/alice/eicar.com" ]
	[ -e "$W/disk/web1/usr/local/bin/update-helper" ]
	run kfscan quarantine --dir "$W/quarantine" list
	assert_success
	[ "$(jq -r '.quarantine.path' <<<"$output" | sort | tr '\n' ' ')" = "$W/disk/db1/tmp/.x/eicar.com $W/disk/web1/home/alice/eicar.com $W/disk/web1/usr/local/bin/update-helper $W/disk/web1/var/www/html/uploads/img.php " ]
	run "$W/disk/web1/usr/local/bin/update-helper"
	assert_success
	# The port scanner is blocked ...
	run jq -r 'select(.event_type == "alert" and .attack) | "\(.attack.class) \(.alert.action) \(.src_ip)"' "$W/log/events.jsonl"
	assert_output "tcp-portscan blocked 10.77.0.66"
	# ... and none of its packets passed after the block, while some did
	# before it.
	at=$(epoch_of "$(events | jq -r 'select(.event_type == "alert" and .attack) | .timestamp')")
	times_from "$W/forward.pcap" 10.77.0.66 >"$T/passed"
	times_from "$PCAP" 10.77.0.66 >"$T/sent"
	[ "$(awk -v t="$at" '$1 > t' "$T/passed" | wc -l)" = 0 ]
	[ "$(awk -v t="$at" '$1 <= t' "$T/passed" | wc -l)" -gt 0 ]
	[ "$(awk -v t="$at" '$1 > t' "$T/sent" | wc -l)" -gt 1000 ]
	# The phishing host's connections and DNS queries (knetscan checks
	# the addresses inline): from the packet that named it on, nothing of
	# those flows passed ...
	events | jq -r 'select(.event_type == "alert" and .alert.signature_id == 9000016) |
		"\(.alert.action) \(.proto) \(.src_port) \(.dest_port) \(.timestamp)"' >"$T/url-alerts"
	[ "$(awk '{ print $1, $2, $4 }' "$T/url-alerts" | sort | tr '\n' ' ')" = "blocked TCP 443 blocked TCP 80 blocked UDP 53 blocked UDP 53 " ]
	held=0
	while read -r _ proto sport dport ts; do
		f="host 10.77.0.20 and port $sport and port $dport"
		t=$(epoch_of "$ts")
		[ "$(tcpdump -tt -n -r "$W/forward.pcap" "$f" 2>/dev/null | awk -v t="$t" '$1 >= t' | wc -l)" = 0 ]
		held=$((held + $(tcpdump -tt -n -r "$PCAP" "$f" 2>/dev/null | awk -v t="$t" '$1 >= t' | wc -l)))
	done <"$T/url-alerts"
	[ "$held" -gt 0 ]
	# ... and every other packet not from the scanner passed.
	[ "$(tcpdump -n -r "$W/forward.pcap" 'not src host 10.77.0.66' 2>/dev/null | wc -l)" = \
		$(($(tcpdump -n -r "$PCAP" 'not src host 10.77.0.66' 2>/dev/null | wc -l) - held)) ]
	# The sample signatures report (alert rules do not drop).
	run jq -r 'select(.event_type == "alert" and .alert.signature_id > 9100000) | "\(.alert.signature_id) \(.alert.action)"' "$W/log/events.jsonl"
	[ "$(sort <<<"$output" | uniq -c | awk '{ print $2, $3, $1 }' | tr '\n' ' ')" = "9100001 allowed 4 9100002 allowed 1 9100003 allowed 1 9100004 allowed 1 " ]
	# The phishing host, from DNS, HTTP and TLS alike.
	run jq -r 'select(.event_type == "url") | "\(.verdict) \(.source) \(.matches[0].entry)"' "$W/log/events.jsonl"
	[ "$(sort -u <<<"$output")" = "phishing dns login-verify-account.example
phishing http login-verify-account.example
phishing tls login-verify-account.example" ]
	# The records are valid, and the reports were written from them.
	validate_records <"$W/log/events.jsonl"
	grep -q '^Detections: ' "$W/log/report.txt"
	grep -q '<svg' "$W/log/report.html"
	# Nothing is left running or lying around.
	[ ! -e "$W/run/ksvm.pid" ] && [ -z "$(ls -d "$W"/run/pipes.* 2>/dev/null)" ]
}

@test "monitoring mode on the samples: the traffic passes byte for byte, nothing is denied or quarantined, records say what standard mode would do" {
	make_work monitoring
	run --separate-stderr "$KSVM" -q -c "$W/ksvm.conf" run
	assert_failure 1
	cmp "$PCAP" "$W/forward.pcap"
	# Every access allowed; the ones standard mode denies say why.
	[ "$(decisions | awk '{ print $1 }' | sort | uniq -c | awk '{ print $1, $2 }')" = "11 allow" ]
	[ "$(decisions | awk '$4 == "detected"' | wc -l)" = 4 ]
	# The files are all still there, nothing was quarantined.
	[ -e "$W/disk/db1/tmp/.x/eicar.com" ] && [ -e "$W/disk/web1/home/alice/eicar.com" ]
	run kfscan quarantine --dir "$W/quarantine" list
	[ -z "$output" ]
	# The scan and the flood are reported, and allowed.
	run jq -r 'select(.event_type == "alert") | "\(.attack.class // .url.host // .alert.signature_id) \(.alert.action) \(.would) \(.src_ip)"' "$W/log/events.jsonl"
	[ "$(sort -u <<<"$output")" = "9100001 allowed allowed 10.77.0.20
9100002 allowed allowed 10.77.0.20
9100003 allowed allowed 10.77.0.20
9100004 allowed allowed 10.77.0.20
login-verify-account.example allowed blocked 10.77.0.20
syn-flood allowed blocked 10.77.0.66
tcp-portscan allowed blocked 10.77.0.66" ]
	run jq -r 'select(.event_type == "url") | .verdict' "$W/log/events.jsonl"
	[ "$(sort -u <<<"$output")" = phishing ]
	validate_records <"$W/log/events.jsonl"
}

@test "every event reaches a real rsyslog started here, with its id" {
	command -v rsyslogd >/dev/null || skip "rsyslog is not installed"
	make_work standard
	port=$($PY -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	mkdir -p "$T/rs"
	cat >"$T/rs/rs.conf" <<-EOF
	global(workDirectory="$T/rs")
	module(load="imtcp")
	input(type="imtcp" address="127.0.0.1" port="$port")
	template(name="line" type="string" string="%structured-data%\n")
	action(type="omfile" file="$T/rs/out.log" template="line")
	EOF
	rsyslogd -n -f "$T/rs/rs.conf" -i "$T/rs/pid" 2>"$T/rs/err" 3>&- &
	RS_PID=$!
	wait_for 10 sh -c "ss -Hltn 'sport = :$port' | grep -q ."
	printf '\n[kreport]\nto = tcp://127.0.0.1:%s\n' "$port" >>"$W/ksvm.conf"
	run "$KSVM" -q -c "$W/ksvm.conf" run
	assert_failure 1
	kreport -q -f syslog "$W/log/events.jsonl" | grep -o ' id="[0-9a-f]\{32\}"' | sort -u >"$T/sent"
	[ "$(wc -l <"$T/sent")" -ge 100 ]
	received() { grep -o ' id="[0-9a-f]\{32\}"' "$T/rs/out.log" 2>/dev/null | sort -u; }
	all_there() { [ -z "$(comm -23 "$T/sent" <(received))" ]; }
	wait_for 10 all_there
}

@test "a killed component is started again and no event is lost; status shows it" {
	start_guests_only
	head -5 "$TOP/samples/pipeline/guest-events.jsonl" >&5
	wait_for 20 access_count_is 5
	run "$KSVM" -c "$W/ksvm.conf" status
	assert_success
	[[ $output == *"report     running"*"restarts 0"* ]]
	old=$(pid_of report)
	kill -KILL "$old"
	wait_for 10 sh -c "awk '\$1 == \"report\" && \$6 == 1' '$W/run/status' | grep -q ."
	# The rest of the events, while the sink is dead or starting again.
	tail -n +6 "$TOP/samples/pipeline/guest-events.jsonl" >&5
	exec 5>&-
	wait "$sv" || true
	[ "$(count_access)" = 11 ]
	[ "$(events | jq -r 'select(.event_type == "access") | .id' | sort -n | tr '\n' ' ')" = "1 2 3 4 5 6 7 8 9 10 11 " ]
	# The restart is reported.
	grep -q '"input":"report".*report stopped (killed by signal 9); restarting it in 1 s' "$W/log/ksvm.jsonl"
	events | grep -q 'report stopped (killed by signal 9)'
}

@test "SIGHUP with a broken rule file keeps the old rules; a good one is taken" {
	start_guests_only
	echo '{"id":1,"vm":"web1","op":"open","path":"/home/alice/eicar.com"}' >&5
	wait_for 20 access_count_is 1
	# A broken rule file: the reload is refused, the old rules go on.
	printf 'rule broken {\n  condition: nosuchthing\n' >"$W/rules/broken.yar"
	run "$KSVM" -c "$W/ksvm.conf" reload
	assert_success
	wait_for 20 sh -c "grep -q 'reload refused' '$W/log/events.jsonl'"
	cp "$W/disk/web1/var/www/html/uploads/img.php" "$W/disk/web1/home/alice/shell2.php"
	echo '{"id":2,"vm":"web1","op":"open","path":"/home/alice/shell2.php"}' >&5
	wait_for 20 access_count_is 2
	# A good rule file with a new rule: taken at the next reload.
	printf 'KSVM-NEW-MARKER\n' >"$W/disk/web1/home/alice/marked.txt"
	printf 'rule KSVM_Test_New_Rule {\n  strings: $a = "KSVM-NEW-MARKER"\n  condition: $a\n}\n' >"$W/rules/broken.yar"
	echo '{"id":3,"vm":"web1","op":"open","path":"/home/alice/marked.txt"}' >&5
	wait_for 20 access_count_is 3
	run "$KSVM" -c "$W/ksvm.conf" reload
	assert_success
	sleep 1
	printf 'KSVM-NEW-MARKER again\n' >"$W/disk/web1/home/alice/marked2.txt"
	echo '{"id":4,"vm":"web1","op":"open","path":"/home/alice/marked2.txt"}' >&5
	wait_for 20 access_count_is 4
	exec 5>&-
	wait "$sv" || true
	run jq -r 'select(.event_type == "access") | "\(.id) \(.decision) \(.reason)"' "$W/log/events.jsonl"
	assert_output "1 deny detected
2 deny detected
3 allow clean
4 deny detected"
	[ "$(events | jq -r 'select(.event_type == "error") | .error.message' | grep -c 'reload refused')" = 1 ]
}

@test "SIGTERM drains: what was sent is decided and logged, the reports are written, nothing is left running" {
	start_guests_only
	cat "$TOP/samples/pipeline/guest-events.jsonl" >&5
	wait_for 20 access_count_is 11
	pids=$(awk 'NR > 1 && $4 != "-" { print $4 }' "$W/run/status")
	[ -n "$pids" ]
	kill -TERM "$sv"
	wait "$sv" || true
	exec 5>&-
	[ "$(count_access)" = 11 ]
	[ -s "$W/log/report.txt" ] && [ -s "$W/log/report.html" ]
	for p in $pids; do
		! kill -0 "$p" 2>/dev/null
	done
	[ ! -e "$W/run/ksvm.pid" ]
	run "$KSVM" -c "$W/ksvm.conf" status
	assert_failure 3
	assert_output --partial "not running"
}

@test "a second supervisor with the same PID file is refused" {
	start_guests_only
	wait_for 20 test -s "$W/run/status"
	run "$KSVM" -q -c "$W/ksvm.conf" -e "$T/events" run
	assert_failure 2
	assert_output --partial "already running (pid $sv"
	exec 5>&-
	wait "$sv" || true
}

@test "check-config: a valid file passes; a broken one gives every error with its line and nothing starts" {
	make_work standard
	run "$KSVM" -c "$W/ksvm.conf" check-config
	assert_success
	assert_output --partial "$W/ksvm.conf: valid"
	cat >>"$W/ksvm.conf" <<-'EOF'
	[knetscan]
	action.tcp-portscan = explode
	[kreport]
	to = carrier-pigeon://x
	[kfscan]
	timeout = forever
	[knetsacn]
	x = 1
	[vm ghost]
	root = /nonexistent/ghost
	profile = nosuch
	EOF
	sed -i 's/^mode = standard/mode = inline/' "$W/ksvm.conf"
	n() { grep -n "^$1" "$W/ksvm.conf" | tail -1 | cut -d: -f1; }
	run "$KSVM" -c "$W/ksvm.conf" -r "$PCAP" run
	assert_failure 2
	assert_output --partial "$W/ksvm.conf:$(n 'mode = inline'):"
	assert_output --partial "$W/ksvm.conf:$(n 'x = 1'):"
	assert_output --partial "[knetsacn]"
	assert_output --partial ":$(n 'action.tcp-portscan'):"
	assert_output --partial ":$(n 'to = carrier'):"
	assert_output --partial ":$(n 'timeout = forever'):"
	assert_output --partial ":$(n 'root = /nonexistent'): [vm ghost] root /nonexistent/ghost: No such file or directory"
	assert_output --partial ":$(n 'profile = nosuch'): [vm ghost] profile: no profile 'nosuch'"
	assert_output --partial "nothing was started"
	[ ! -e "$W/log/events.jsonl" ] && [ ! -e "$W/run/ksvm.pid" ]
	# A syntax error every tool sees is shown once.
	make_work standard
	printf 'this is not a setting\n' >>"$W/ksvm.conf"
	run "$KSVM" -c "$W/ksvm.conf" check-config
	assert_failure 2
	[ "$(grep -c ":$(wc -l <"$W/ksvm.conf"): " <<<"$output")" = 1 ]
	# A bad feed line is reported with its file and line.
	make_work standard
	printf 'ok.example\nhttp://\n' >"$T/feed.txt"
	sed -i "s|^path = .*phishing-domains.txt|path = $T/feed.txt|; s|^format = domains|format = urls|" "$W/ksvm.conf"
	run "$KSVM" -c "$W/ksvm.conf" check-config
	assert_success
	assert_output --partial "warning: $T/feed.txt:2: "
	assert_output --partial "$W/ksvm.conf: valid"
}

@test "ksvm-config: the settings with defaults as NUL-separated items; errors with lines" {
	printf '[ksvm]\nmode = standard\npcap = /x.pcap\n[vm a]\nroot = /a\n[vm b]\nroot = /b\n[urlfeed f]\npath = /f\n' >"$T/c.conf"
	ksvm-config get "$T/c.conf" | tr '\0' '\n' >"$T/items"
	grep -qx 'mode=standard' "$T/items"
	grep -qx 'pcap=/x.pcap' "$T/items"
	grep -qx 'log_dir=/var/log/ksvm' "$T/items"
	grep -qx 'vm_count=2' "$T/items"
	grep -qx 'urlfeed_count=1' "$T/items"
	grep -qx 'report_to=' "$T/items"
	# Times in seconds, switches as yes or no, for the script.
	printf '[ksvm]\nrestart_max = 2min\ndrain_timeout = 1500ms\nurl_check = YES\n' >"$T/n.conf"
	ksvm-config get "$T/n.conf" | tr '\0' '\n' >"$T/items"
	grep -qx 'restart_max=120' "$T/items"
	grep -qx 'drain_timeout=2' "$T/items"
	grep -qx 'url_check=yes' "$T/items"
	ksvm-config -o "$T/out" get "$T/c.conf"
	cmp <(ksvm-config get "$T/c.conf") "$T/out"
	# A value with shell text in it is data.
	printf '[ksvm]\nlog_dir = /tmp/$(touch %s/pwned)\n' "$T" >"$T/evil.conf"
	ksvm-config get "$T/evil.conf" | tr '\0' '\n' | grep -qxF "log_dir=/tmp/\$(touch $T/pwned)"
	[ ! -e "$T/pwned" ]
	printf '[ksvm]\nmode = fast\n\n[nope]\nrestart_max = x\n' >"$T/bad.conf"
	run --separate-stderr ksvm-config check "$T/bad.conf"
	assert_failure 2
	# The counts still come (for ksvm check-config), the errors in order.
	ksvm-config check "$T/bad.conf" 2>/dev/null | tr '\0' '\n' >"$T/counts" || true
	[ "$(cat "$T/counts")" = "vm_count=0
urlfeed_count=0" ]
	[ "$stderr" = "$T/bad.conf:2: mode: standard or monitoring, not 'fast'
$T/bad.conf:5: [nope]: no program reads this section (ksvm, kfscan, kgi-relay, knetscan, kurlcheck, kreport, profile NAME, vm NAME, urlfeed NAME)" ]
	run ksvm-config check "$T/absent.conf"
	assert_failure 2
}

@test "ksvm: usage errors, help and version" {
	run "$KSVM" --frobnicate
	assert_failure 2
	assert_output --partial "unknown option '--frobnicate'"
	run "$KSVM" launch
	assert_failure 2
	assert_output --partial "unknown command 'launch'"
	run "$KSVM" --mode
	assert_failure 2
	run "$KSVM" --help
	assert_success
	assert_output --partial "check-config"
	run "$KSVM" --version
	assert_output "ksvm 0.1.0"
	run "$KSVM" -c "$T/absent.conf" run
	assert_failure 2
	assert_output --partial "cannot read"
}

@test "the supervisor and the pipeline scripts pass shellcheck" {
	command -v shellcheck >/dev/null || skip "shellcheck is not installed"
	run shellcheck "$TOP/scripts/bin/ksvm" "$TOP/scripts/init/ksvm.init" \
		"$TOP/scripts/demo" "$TOP/scripts/demo-pipeline" "$TOP/scripts/sample-infect" \
		"$TOP/scripts/demo-kfscan" "$TOP/scripts/check" "$TOP/scripts/deps"
	assert_success
}

@test "ksvm: options agree in --help, ksvm.8 and the completion" {
	run "$TOP/tests/check-options" "$TOP/scripts/bin/ksvm" "$TOP/man/ksvm.8" "$TOP/completions/ksvm"
	assert_success
	run "$TOP/tests/check-options" "$KSVM_BIN/ksvm-config" "$TOP/man/ksvm-config.8" "$TOP/completions/ksvm-config"
	assert_success
}

@test "the capture from standard input, the forward stream to standard output, and a source on the command line replacing the file's" {
	make_work standard
	"$KSVM" -q -c "$W/ksvm.conf" run || true
	mv "$W/forward.pcap" "$T/from-file.pcap"
	rm -rf "$W/log"
	# The file names a live interface: -r on the command line replaces it.
	sed -i "s|^pcap = .*|interface = ksvm-no-such-if|" "$W/ksvm.conf"
	# (The guests' events were decided in the first run: none now.)
	run --separate-stderr bash -c '"$1" -q -c "$2" -e /dev/null -r - -w - run <"$3" >"$4"' _ \
		"$KSVM" "$W/ksvm.conf" "$PCAP" "$T/stdout.pcap"
	[ "$status" -le 1 ] || { echo "$stderr"; false; }
	# The same packets pass as when reading and writing files.
	[ -s "$T/stdout.pcap" ]
	cmp "$T/from-file.pcap" "$T/stdout.pcap"
	run jq -r 'select(.event_type == "alert") | .attack.class // .url.host // .alert.signature_id' "$W/log/events.jsonl"
	[ "$(sort -u <<<"$output" | tr '\n' ' ')" = "9100001 9100002 9100003 9100004 login-verify-account.example tcp-portscan " ]
}

@test "a capture that knetscan cannot read makes the run fail with exit status 2 and a record" {
	make_work standard
	head -c 3000 "$PCAP" | tail -c 2000 >"$T/garbage.pcap"
	run "$KSVM" -q -c "$W/ksvm.conf" -r "$T/garbage.pcap" run
	assert_failure 2
	grep -q '"input":"netscan".*netscan finished its input with errors (exit status 2)' "$W/log/ksvm.jsonl"
}

@test "monitoring mode: a killed knetscan is not restarted on a capture (said loudly) and the traffic still passes byte for byte" {
	make_work monitoring
	mkfifo "$T/pcap-in"
	exec 6<>"$T/pcap-in"
	"$KSVM" -q -c "$W/ksvm.conf" -r "$T/pcap-in" run 3>&- 6>&- &
	sv=$!
	bg $sv
	head -c 200000 "$PCAP" >&6
	wait_for 20 sh -c "[ -s '$W/run/status' ] && awk '\$1 == \"netscan\" && \$4 != \"-\"' '$W/run/status' | grep -q ."
	sleep 0.5
	kill -KILL "$(pid_of netscan)"
	wait_for 20 grep -q 'cannot be resumed' "$W/log/ksvm.jsonl"
	tail -c +200001 "$PCAP" >&6
	exec 6>&-
	wait "$sv" || true
	cmp "$PCAP" "$W/forward.pcap"
	grep -q '"input":"netscan".*netscan stopped (killed by signal 9); a capture cannot be resumed: the rest of it is not scanned' "$W/log/ksvm.jsonl"
}

@test "Ctrl-C at a terminal reaches the supervisor alone, which drains in order" {
	make_work standard
	sed -i '/^pcap = /d; /^forward = /d' "$W/ksvm.conf"
	mkfifo "$T/events"
	exec 5<>"$T/events"
	# Its own process group, as a command typed at a terminal (with
	# SIGINT not ignored, as it is for a background job of a script).
	$PY -c 'import os, signal, sys
signal.signal(signal.SIGINT, signal.SIG_DFL)
os.setsid()
os.execv(sys.argv[1], sys.argv[1:])' "$KSVM" -q -c "$W/ksvm.conf" -e "$T/events" run 3>&- 5>&- &
	sv=$!
	bg $sv
	cat "$TOP/samples/pipeline/guest-events.jsonl" >&5
	wait_for 20 access_count_is 11
	# The components are not in the supervisor's process group.
	for p in $(awk 'NR > 1 && $4 != "-" { print $4 }' "$W/run/status"); do
		[ "$(ps -o pgid= -p "$p" | tr -d ' ')" != "$sv" ]
	done
	kill -INT -- "-$sv"
	wait "$sv" || true
	exec 5>&-
	[ "$(count_access)" = 11 ]
	# No component saw the signal itself: none stopped on its own.
	! grep -q 'stopped (' "$W/log/ksvm.jsonl" 2>/dev/null
	[ -s "$W/log/report.txt" ]
}

@test "events the syslog server does not take wait in kreport's own spool, not under the run directory" {
	make_work standard
	port=$($PY -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	printf '\n[kreport]\nto = tcp://127.0.0.1:%s\nspool = %s\ndrain_timeout = 1s\nbackoff_max = 200ms\n' "$port" "$T/spool" >>"$W/ksvm.conf"
	run "$KSVM" -q -c "$W/ksvm.conf" run
	[ -d "$T/spool" ] && [ -n "$(ls "$T/spool" | grep -v '^lock$')" ]
	[ ! -e "$W/run/spool" ]
	# Everything kept is delivered by the next kreport once the server is up.
	n=$(jq -s length "$W/log/events.jsonl")
	[ "$n" -ge 100 ]
}

@test "ksvm report with no events says so" {
	make_work standard
	run "$KSVM" -c "$W/ksvm.conf" report
	assert_success
	assert_output --partial "no events in $W/log/events.jsonl: no report written"
}

@test "ksvm stop drains the running supervisor through its PID file and waits for it" {
	start_guests_only
	cat "$TOP/samples/pipeline/guest-events.jsonl" >&5
	wait_for 20 access_count_is 11
	run "$KSVM" -c "$W/ksvm.conf" stop
	assert_success
	! kill -0 "$sv" 2>/dev/null
	exec 5>&-
	[ -s "$W/log/report.txt" ] && [ ! -e "$W/run/ksvm.pid" ]
	run "$KSVM" -c "$W/ksvm.conf" stop
	assert_success
	assert_output --partial "not running"
	run "$KSVM" -c "$W/ksvm.conf" reload
	assert_failure 2
	assert_output --partial "not running"
}

@test "a path's own mode: guests in standard mode while the network is only watched; --mode sets both" {
	make_work standard
	sed -i 's/^block_time = 60m$/&\nmode = monitoring/' "$W/ksvm.conf"
	grep -qx 'mode = monitoring' "$W/ksvm.conf"
	run --separate-stderr "$KSVM" -c "$W/ksvm.conf" run
	assert_failure 1
	[[ $stderr == *"running: guests in standard mode, network in monitoring mode"* ]]
	# The guests: decided.
	[ "$(decisions | awk '$1 == "deny"' | wc -l)" = 4 ]
	# The network: the traffic passes byte for byte, alerts say what would be done.
	cmp "$PCAP" "$W/forward.pcap"
	[ "$(events | jq -r 'select(.event_type == "alert" and .attack) | "\(.alert.action) \(.would)"' | sort -u)" = "allowed blocked" ]
	# --mode on the command line sets both paths.
	rm -rf "$W"
	make_work standard
	sed -i 's/^block_time = 60m$/&\nmode = monitoring/' "$W/ksvm.conf"
	run --separate-stderr "$KSVM" -c "$W/ksvm.conf" --mode standard run
	assert_failure 1
	! cmp -s "$PCAP" "$W/forward.pcap"
	[ "$(events | jq -r 'select(.event_type == "alert" and .attack) | .alert.action' | sort -u)" = blocked ]
}
