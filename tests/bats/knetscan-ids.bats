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

# "sid count" of the alerts of a run, sorted by sid.
sids() {
	jq -r 'select(.event_type=="alert" and .alert.signature_id < 9000000) | .alert.signature_id' | sort | uniq -c | awk '{print $2, $1}'
}

@test "one rule per buffer over the lab capture: exact alerts, none where none is due" {
	run -1 --separate-stderr knetscan -q --rules "$R/lab.rules" --events alert "$TOP/samples/pcap/lab-mixed.pcap"
	[ "$(sids <<<"$output")" = "$(printf '%s\n' '2000001 10' '2000002 40' '2000003 43' '2000004 8' '2000005 4' '2000006 1' '2000007 10' '2000009 1' '2000010 2')" ]
	# The record: Suricata's alert members, the sender's addresses, the
	# transaction, and what standard mode would have done.
	a=$(jq -c 'select(.alert.signature_id==2000001)' <<<"$output" | head -n 1)
	[ "$(jq -r '[.alert.gid, .alert.rev, .alert.signature, .alert.category, .alert.severity, .alert.action, .would, .app_proto, .src_ip, .dest_ip, .dest_port, .proto] | join(" ")' <<<"$a")" = "1 1 lab: uri Misc activity 3 allowed allowed http 10.77.0.20 10.77.0.10 80 TCP" ]
	[ "$(jq -c .alert.metadata <<<"$a")" = '{"created_at":["2024_04_01"],"signature_severity":["Minor"]}' ]
	[ "$(jq -r 'select(.alert.signature_id==2000009) | "\(.src_ip) \(.src_port)"' <<<"$output")" = "10.77.0.10 80" ]
	validate_records <<<"$output"
}

@test "file.data without a direction inspects the response bodies, once per transaction; flow:to_server does not" {
	printf '%s\n' 'alert http any any -> any any (msg:"body"; file_data; content:"ksvm lab payload"; sid:1;)' \
		'alert http any any -> any any (msg:"body to server"; flow:to_server; file.data; content:"ksvm lab payload"; sid:2;)' \
		'alert http any any -> any any (msg:"body to client"; flow:established,to_client; file.data; content:"ksvm lab payload"; sid:3;)' \
		'alert http any any -> any any (msg:"page"; file.data; content:"<img src="; sid:4;)' >"$T/body.rules"
	run -1 --separate-stderr knetscan -q --rules "$T/body.rules" --events alert "$TOP/samples/pcap/lab-mixed.pcap"
	# 41 of the capture's 44 responses carry the payload (the other three
	# are HTML pages, one of them with images), and no request has a body.
	[ "$(sids <<<"$output")" = "$(printf '%s\n' '1 41' '3 41' '4 1')" ]
	# Sent by the server, one alert per transaction and rule.
	[ "$(jq -r 'select(.alert.signature_id < 9000000) | "\(.src_ip) \(.src_port) \(.app_proto)"' <<<"$output" | sort -u)" = "10.77.0.10 80 http" ]
	[ -z "$(jq -r 'select(.alert.signature_id < 9000000) | "\(.alert.signature_id) \(.flow_id) \(.tx_id)"' <<<"$output" | sort | uniq -d)" ]
}

@test "a content split over two TCP segments is found in the stream, not in either packet" {
	printf '%s\n' 'alert tcp any any -> any 443 (msg:"stream"; flow:established,to_server; content:"split-hello.lab.example"; sid:1;)' \
		'alert tcp any any -> any 443 (msg:"packet"; flow:no_stream; content:"split-hello.lab.example"; sid:2;)' \
		'alert tcp any any -> any 443 (msg:"first part"; flow:no_stream; content:"split-hel"; sid:3;)' >"$T/split.rules"
	run -1 --separate-stderr knetscan -q --rules "$T/split.rules" --events alert "$P/tls-sni-split.pcap"
	[ "$(jq -r '"\(.alert.signature_id) \(.pcap_cnt)"' <<<"$output" | sort)" = "$(printf '1 7\n3 6')" ]
}

@test "standard mode: a drop rule drops its packet and the rest of the flow; monitoring says what would be done" {
	echo 'drop http any any -> any any (msg:"drop submit"; http.uri; content:"/submit"; sid:3000001; rev:1;)' >"$T/drop.rules"
	echo 'alert http any any -> any any (msg:"alert submit"; http.uri; content:"/submit"; sid:3000002; rev:1;)' >"$T/alert.rules"
	run -1 --separate-stderr knetscan -q --mode standard --rules "$T/drop.rules" -w "$T/out.pcap" "$P/http.pcap"
	[ "$(jq -r 'select(.event_type=="alert") | "\(.alert.action) \(.pcap_cnt)"' <<<"$output")" = "blocked 30" ]
	[ "$(jq -r 'select(.event_type=="stats") | "\(.stats.packets) \(.stats.passed) \(.stats.dropped)"' <<<"$output")" = "122 113 9" ]
	[ "$(tcpdump -r "$T/out.pcap" 2>/dev/null | wc -l)" -eq 113 ]
	# An alert rule only alerts (as in Suricata's IPS mode), unless the
	# policy for the class signature says drop or block.
	run -1 --separate-stderr knetscan -q --mode standard --rules "$T/alert.rules" -w "$T/out2.pcap" "$P/http.pcap"
	[ "$(jq -r 'select(.event_type=="stats") | .stats.dropped' <<<"$output")" = 0 ]
	[ "$(jq -r 'select(.event_type=="alert") | .alert.action' <<<"$output")" = allowed ]
	cmp "$P/http.pcap" "$T/out2.pcap"
	run -1 --separate-stderr knetscan -q --mode standard --rules "$T/alert.rules" --action signature=drop -w "$T/out3.pcap" "$P/http.pcap"
	[ "$(jq -r 'select(.event_type=="stats") | .stats.dropped' <<<"$output")" = 9 ]
	# A drop rule drops also when the policy allows the class.
	run -1 --separate-stderr knetscan -q --mode standard --rules "$T/drop.rules" --action signature=allow -w "$T/out5.pcap" "$P/http.pcap"
	[ "$(jq -r 'select(.event_type=="stats") | .stats.dropped' <<<"$output")" = 9 ]
	# An excluded source is never dropped.
	run -1 --separate-stderr knetscan -q --mode standard --rules "$T/drop.rules" --exclude 10.77.0.0/16 -w "$T/out4.pcap" "$P/http.pcap"
	[ "$(jq -r 'select(.event_type=="stats") | .stats.dropped' <<<"$output")" = 0 ]
	# Monitoring: nothing dropped, the record says what would have been.
	run -1 --separate-stderr knetscan -q --rules "$T/drop.rules" "$P/http.pcap"
	[ "$(jq -r 'select(.event_type=="alert") | "\(.alert.action) \(.would)"' <<<"$output")" = "allowed blocked" ]
	[ "$(jq -r 'select(.event_type=="stats") | .stats.dropped' <<<"$output")" = 0 ]
}

@test "rules from the configuration, variables from it and from --var; --check-config loads them" {
	cat >"$T/k.conf" <<-EOF
	[knetscan]
	rules = $R/lab.rules
	var.HOME_NET = [192.0.2.0/24]
	EOF
	# sid 2000001 wants the client in \$HOME_NET: not with 192.0.2.0/24.
	run -1 --separate-stderr knetscan -q --config "$T/k.conf" --events alert "$TOP/samples/pcap/lab-mixed.pcap"
	[ "$(sids <<<"$output" | grep -c '^2000001 ')" = 0 ]
	run -1 --separate-stderr knetscan -q --config "$T/k.conf" --var HOME_NET=10.77.0.0/16 --events alert "$TOP/samples/pcap/lab-mixed.pcap"
	[ "$(sids <<<"$output" | grep '^2000001 ')" = "2000001 10" ]
	run -0 --separate-stderr knetscan --config "$T/k.conf" --check-config
	printf '[knetscan]\nrules = %s\n' "$T/none.rules" >"$T/bad.conf"
	run -2 --separate-stderr knetscan --config "$T/bad.conf" --check-config
	[[ "$stderr" == *"none.rules"* ]]
	run -2 --separate-stderr knetscan -q --rules "$T/none.rules" "$P/http.pcap"
}

@test "SIGHUP reloads the rules at the next packet; a broken file keeps the old set and says why" {
	python3 - "$P/http.pcap" "$T" <<-'EOF'
	import struct, sys
	d = open(sys.argv[1], 'rb').read()
	off, pk = 24, []
	while off < len(d):
	    n = struct.unpack('<I', d[off + 8:off + 12])[0]
	    pk.append(d[off:off + 16 + n]); off += 16 + n
	open(sys.argv[2] + '/p1', 'wb').write(d[:24] + b''.join(pk[:40]))
	open(sys.argv[2] + '/p2', 'wb').write(b''.join(pk[40:60]))
	open(sys.argv[2] + '/p3', 'wb').write(b''.join(pk[60:]))
	EOF
	index='alert http any any -> any any (msg:"index"; http.uri; content:"/index.html"; sid:1;)'
	echo "$index" >"$T/r.rules"
	mkfifo "$T/in"
	knetscan --rules "$T/r.rules" --events alert -r - <"$T/in" >"$T/out" 2>"$T/err" &
	pid=$!
	exec 5>"$T/in"
	cat "$T/p1" >&5
	wait_for() { for _ in $(seq 100); do grep -q "$1" "$2" && return 0; sleep 0.05; done; return 1; }
	wait_for '"signature_id":1' "$T/out"
	printf '%s\n%s\n' "$index" 'alert http any any -> any any (msg:"missing"; http.uri; content:"/missing"; sid:2;)' >"$T/r.rules"
	kill -HUP $pid
	cat "$T/p2" >&5
	wait_for 'rules reloaded: 2 loaded' "$T/err"
	echo 'alert http any any -> any any (msg:"broken"; content:"|4|"; sid:3;)' >>"$T/r.rules"
	kill -HUP $pid
	cat "$T/p3" >&5
	exec 5>&-
	rc=0
	wait $pid || rc=$?
	[ "$rc" = 1 ]
	[ "$(jq -r 'select(.event_type=="alert") | "\(.alert.signature_id) \(.pcap_cnt)"' "$T/out")" = "$(printf '1 6\n1 56\n1 92\n2 102')" ]
	[ "$(jq -r 'select(.event_type=="error") | .error.message' "$T/out")" = "rules not reloaded, the previous rules stay: 1 rules with syntax errors (first: $T/r.rules:3: content: odd number of hex digits)" ]
}

@test "the stats record counts the signatures: rules, alerts, what a threshold held back" {
	run -1 --separate-stderr knetscan -q --rules "$TOP/samples/ids" "$TOP/samples/pcap/lab-mixed.pcap"
	[ "$(jq -r 'select(.event_type=="stats") | .stats.signatures | "\(.rules) \(.refused) \(.alerts) \(.suppressed) \(.reloads)"' <<<"$output")" = "4 0 7 42 0" ]
	[ "$(jq -r 'select(.event_type=="alert" and .alert.signature_id > 9100000)' <<<"$output" | jq -s length)" = 7 ]
	validate_records <<<"$output"
	# Without rules there is no signatures object.
	run -0 --separate-stderr knetscan -q "$P/http.pcap"
	[ "$(jq -r 'select(.event_type=="stats") | .stats.signatures' <<<"$output")" = null ]
}
