#!/usr/bin/env bats
# knetscan: captures in, attacks, anomalies and web addresses out; standard
# mode drops what the policy blocks, monitoring mode copies byte for byte.
# The captures are tests/pcap/ (see its README for what each holds).

bats_require_minimum_version 1.5.0
load helpers

P="$BATS_TEST_DIRNAME/../pcap"

setup() {
	T="$BATS_TEST_TMPDIR"
}

kns() {
	knetscan -q "$@"
}

# "class src dst" of each alert, sorted.
alerts() {
	jq -r 'select(.event_type=="alert") | "\(.attack.class) \(.src_ip) \(.dest_ip)"' | sort
}

stat() { # NAME: a member of the stats record
	jq -r "select(.event_type==\"stats\") | .stats.$1"
}

@test "--help, the man page and the completion name the same options" {
	run "$TOP/tests/check-options" "$KSVM_BIN/knetscan" "$TOP/man/knetscan.1" "$TOP/completions/knetscan"
	assert_success
}

@test "each detector finds its attack, from the right source, once per episode" {
	while read -r file want; do
		run -1 --separate-stderr knetscan -q "$P/$file"
		got=$(alerts <<<"$output" | tr '\n' ';')
		[ "$got" = "$want" ] || { echo "$file: got '$got', want '$want'"; false; }
	done <<-'EOF'
	scan-syn.pcap tcp-portscan 10.77.0.66 10.77.0.10;
	scan-connect.pcap tcp-portscan 10.77.0.66 10.77.0.10;
	scan-udp.pcap udp-portscan 10.77.0.66 10.77.0.10;
	scan-xmas.pcap stealth-scan 10.77.0.66 10.77.0.10;
	scan-null.pcap stealth-scan 10.77.0.66 10.77.0.10;
	scan-fin.pcap stealth-scan 10.77.0.66 10.77.0.10;
	sweep.pcap host-sweep 10.77.0.66 null;
	flood-syn.pcap syn-flood 10.77.0.66 10.77.0.10;
	flood-syn-spoofed.pcap syn-flood null 10.77.0.10;
	flood-udp.pcap udp-flood 10.77.0.66 10.77.0.30;
	flood-icmp.pcap icmp-flood 10.77.0.66 10.77.0.30;
	land.pcap land 10.77.0.30 10.77.0.30;
	bad-flags.pcap bad-tcp-flags 10.77.0.66 10.77.0.10;
	source-route.pcap source-route 10.77.0.66 10.77.0.30;
	rh0.pcap source-route fd77::66 fd77::30;
	frag-teardrop.pcap teardrop 10.77.0.66 10.77.0.10;teardrop fd77::66 fd77::10;
	frag-pod.pcap ping-of-death 10.77.0.66 10.77.0.10;
	frag-tiny.pcap tiny-fragment 10.77.0.66 10.77.0.10;tiny-fragment fd77::66 fd77::10;
	arp-spoof.pcap arp-spoof 10.77.0.10 10.77.0.30;
	EOF
}

@test "alert counters: distinct ports, hosts, sources and packets of the episode" {
	run -1 kns "$P/scan-syn.pcap"
	[ "$(records alert <<<"$output" | jq -r '.attack | "\(.ports) \(.spoofed)"')" = "1000 false" ]
	run -1 kns "$P/sweep.pcap"
	[ "$(records alert <<<"$output" | jq -r '.attack.hosts')" = 50 ]
	run -1 kns "$P/flood-udp.pcap"
	[ "$(records alert <<<"$output" | jq -r '.attack | "\(.packets) \(.sources) \(.spoofed)"')" = "3000 1 false" ]
	[ "$(records alert <<<"$output" | jq -r '.dest_port')" = 9 ]
	run -1 kns "$P/flood-syn-spoofed.pcap"
	[ "$(records alert <<<"$output" | jq -r '.attack.spoofed')" = true ]
	[ "$(records alert <<<"$output" | jq -r '.attack.sources')" -gt 100 ]
	run -1 kns "$P/frag-pod.pcap"
	[ "$(records alert <<<"$output" | jq -r '.attack.packets')" -ge 2 ]
	# ARP: the claimed address, who was told, the owner's MAC and the
	# claimer's.
	run -1 kns "$P/arp-spoof.pcap"
	[ "$(records alert <<<"$output" | jq -r '"\(.attack.mac_before) \(.attack.mac_after) \(.attack.packets)"')" = "02:77:00:00:00:10 02:77:00:00:00:66 7" ]
}

@test "ordinary traffic raises no alert: a web page, a download, a busy resolver, HTTP, DNS, TLS, good fragments" {
	for f in normal-web-page normal-download normal-dns-busy http dns-udp dns-tcp tls-sni tls-sni-split phishing frag-ok; do
		run -0 --separate-stderr knetscan -q "$P/$f.pcap"
		[ -z "$(alerts <<<"$output")" ] || { echo "$f: $(alerts <<<"$output")"; false; }
	done
	run -0 kns "$P/frag-ok.pcap"
	[ "$(stat reassembled <<<"$output")" = 12 ]
	[ -z "$(records anomaly <<<"$output")" ]
}

@test "a scan followed by a flood from the same source: both are reported" {
	run -1 kns "$TOP/samples/pcap/lab-mixed.pcap"
	[ "$(alerts <<<"$output" | tr '\n' ';')" = "syn-flood 10.77.0.66 10.77.0.10;tcp-portscan 10.77.0.66 10.77.0.10;" ]
	[ "$(records http <<<"$output" | wc -l)" = 44 ]
}

@test "http records: method, hostname and the absolute URL of every request, in order" {
	run -0 kns "$P/http.pcap"
	[ "$(records http <<<"$output" | jq -r '"\(.http.http_method) \(.http.absolute_url)"')" = "$(cat <<-'EOF'
	GET http://www.lab.example/index.html
	GET http://intranet.lab.example/search?q=knetscan&lang=en
	POST http://www.lab.example/submit
	GET http://www.lab.example:8080/status
	GET http://v6.lab.example/index.html
	GET http://www.lab.example/static/obj-01.js
	GET http://www.lab.example/static/obj-02.png
	HEAD http://www.lab.example/index.html
	GET http://www.lab.example/missing.html
	GET http://10.77.0.10/legacy.html
	EOF
	)" ]
	# EVE's url is the request target; the user agent as sent.
	[ "$(records http <<<"$output" | jq -r 'select(.src_port==37148) | "\(.http.url) \(.http.hostname) \(.http.http_user_agent)"')" = "/search?q=knetscan&lang=en intranet.lab.example ksvm-lab-browser/1.0" ]
	[ "$(records http <<<"$output" | jq -r 'select(.http.http_port) | "\(.http.http_port) \(.dest_port)"')" = "8080 8080" ]
	[ "$(records http <<<"$output" | jq -r 'select(.dest_ip=="fd77::10") | .http.hostname')" = v6.lab.example ]
}

@test "dns records: every query's rrname as sent (case kept), over UDP and TCP, with its answer" {
	run -0 kns "$P/dns-udp.pcap"
	[ "$(records dns <<<"$output" | jq -r 'select(.dns.type=="request") | "\(.dns.rrname) \(.dns.rrtype) \(.dns.id)"' | tr '\n' ';')" = "www.lab.example A 50508;dual.lab.example AAAA 26789;alias.lab.example A 33981;chain.lab.example A 11303;nope.lab.example A 8327;txt.lab.example TXT 945;WWW.Lab.Example A 14882;example.org A 53320;v6.lab.example AAAA 56128;" ]
	[ "$(records dns <<<"$output" | jq -r 'select(.dns.type=="response") | .dns.rcode' | tr '\n' ' ')" = "NOERROR NOERROR NOERROR NOERROR NXDOMAIN NOERROR NOERROR REFUSED NOERROR " ]
	run -0 kns "$P/dns-tcp.pcap"
	[ "$(records dns <<<"$output" | jq -r 'select(.dns.type=="request") | "\(.proto) \(.dns.rrname)"' | tr '\n' ';')" = "TCP www.lab.example;TCP dual.lab.example;TCP alias.lab.example;TCP intranet.lab.example;TCP secure.lab.example;TCP v6.lab.example;" ]
}

@test "tls records: the ClientHello's SNI, also when the ClientHello spans two segments" {
	run -0 kns "$P/tls-sni.pcap"
	[ "$(records tls <<<"$output" | jq -r 'select(.tls.version) | "\(.tls.sni) \(.dest_port) \(.tls.version)"' | tr '\n' ';')" = "secure.lab.example 443 TLS 1.3;legacy.lab.example 443 TLS 1.2;v6.lab.example 443 TLS 1.3;alt-port.lab.example 8443 TLS 1.3;null 443 TLS 1.3;www.lab.example 443 TLS 1.3;" ]
	run -0 kns "$P/tls-sni-split.pcap"
	[ "$(records tls <<<"$output" | jq -r '.tls.sni')" = split-hello.lab.example ]
}

@test "every link type and capture format the lab made gives the same requests" {
	for f in vlan qinq sll sll2 nanosecond; do
		run -0 kns "$P/$f.pcap"
		[ "$(records http <<<"$output" | wc -l)" -ge 1 ] || { echo "$f: no http"; false; }
		[ "$(stat decode_errors <<<"$output")" = 0 ]
	done
	run -0 kns "$P/pcapng.pcapng"
	[ "$(records http <<<"$output" | wc -l)" -ge 1 ]
	# Nanosecond time stamps keep their microseconds.
	run -0 kns "$P/nanosecond.pcap"
	first=$(tcpdump -n -tt -r "$P/nanosecond.pcap" 2>/dev/null | head -1 | cut -d' ' -f1)
	[ "$(records stats <<<"$output" | jq -r .timestamp)" != "" ]
	[ -n "$first" ]
}

@test "records validate against the project's schemas" {
	phish_db "$T/p.kudb"
	run -1 kns --events=all --url-db "$T/p.kudb" "$TOP/samples/pcap/lab-mixed.pcap" "$P/snaplen-96.pcap" "$P/frag-teardrop.pcap"
	[ "$(records alert <<<"$output" | jq -c 'select(.url)' | wc -l)" = 4 ]
	[ "$(records flow <<<"$output" | wc -l)" -gt 100 ]
	run validate_records <<<"$output"
	assert_success
}

@test "--eve-strict: only Suricata's members, valid against Suricata's EVE schema when it is present" {
	phish_db "$T/p.kudb"
	run -1 kns --eve-strict --events=all --url-db "$T/p.kudb" "$TOP/samples/pcap/lab-mixed.pcap" "$P/snaplen-96.pcap"
	[ "$(jq -r 'select(.alert.signature_id == 9000016) | .app_proto' <<<"$output" | tr '\n' ' ')" = "dns http dns tls " ]
	[ "$(jq -r 'select(has("program") or has("mode") or has("attack") or has("would") or has("url")) | .event_type' <<<"$output" | wc -l)" = 0 ]
	schema="$TOP/../shared/data/schemas/suricata-eve-schema-8.0.6.json"
	if [ ! -f "$schema" ]; then
		skip "Suricata's EVE schema is not here ($schema)"
	fi
	printf '%s\n' "$output" >"$T/eve.jsonl"
	run "$PY" - "$schema" "$T/eve.jsonl" <<-'EOF'
	import json, sys, jsonschema
	schema = json.load(open(sys.argv[1]))
	v = jsonschema.Draft7Validator(schema)
	bad = n = 0
	for line in open(sys.argv[2]):
	    n += 1
	    for e in v.iter_errors(json.loads(line)):
	        bad += 1
	        print(line[:200], e.message[:200])
	print(n, "records,", bad, "errors")
	sys.exit(1 if bad or n == 0 else 0)
	EOF
	assert_success
}

@test "standard mode writes exactly the packets that pass: the blocked source's are gone" {
	run -1 kns --mode standard -w "$T/out.pcap" "$P/scan-syn.pcap"
	passed=$(stat passed <<<"$output")
	dropped=$(stat dropped <<<"$output")
	[ "$passed" = 1029 ]
	[ "$dropped" = 978 ]
	[ $((passed + dropped)) = 2007 ]
	[ "$(tcpdump -r "$T/out.pcap" 2>/dev/null | wc -l)" = "$passed" ]
	[ "$(records alert <<<"$output" | jq -r '"\(.alert.action) \(.mode)"')" = "blocked standard" ]
	# The attacker's packets up to the probe that crossed the threshold
	# pass; none after it.  The target's answers all pass.
	[ "$(tcpdump -n -r "$T/out.pcap" 'ip src 10.77.0.66' 2>/dev/null | wc -l)" = 25 ]
	[ "$(tcpdump -n -r "$T/out.pcap" 'ip src 10.77.0.10' 2>/dev/null | wc -l)" = "$(tcpdump -n -r "$P/scan-syn.pcap" 'ip src 10.77.0.10' 2>/dev/null | wc -l)" ]
	# An excluded source is reported, never dropped.
	run -1 kns --mode standard --exclude 10.77.0.0/24 -w "$T/out2.pcap" "$P/scan-syn.pcap"
	[ "$(stat dropped <<<"$output")" = 0 ]
	[ "$(records alert <<<"$output" | jq -r .alert.action)" = allowed ]
	cmp "$T/out2.pcap" <(tcpdump -r "$P/scan-syn.pcap" -w - 2>/dev/null) || [ "$(tcpdump -r "$T/out2.pcap" 2>/dev/null | wc -l)" = 2007 ]
}

@test "standard mode: allow lets everything through; drop drops only the episode's packets; UDP sources are not blocked" {
	run -1 kns --mode standard --action tcp-portscan=allow -w "$T/a.pcap" "$P/scan-syn.pcap"
	[ "$(stat dropped <<<"$output")" = 0 ]
	[ "$(tcpdump -r "$T/a.pcap" 2>/dev/null | wc -l)" = 2007 ]
	run -1 kns --mode standard --action tcp-portscan=drop -w "$T/d.pcap" "$P/scan-syn.pcap"
	[ "$(stat dropped_blocked <<<"$output")" = 0 ]
	[ "$(stat dropped <<<"$output")" -gt 900 ]
	[ "$(records alert <<<"$output" | jq -r .alert.action)" = blocked ]
	# The scanner's RSTs to open ports are no probes: they pass.
	[ "$(tcpdump -n -r "$T/d.pcap" 'ip src 10.77.0.66 and tcp[13] & 4 != 0' 2>/dev/null | wc -l)" = \
	  "$(tcpdump -n -r "$P/scan-syn.pcap" 'ip src 10.77.0.66 and tcp[13] & 4 != 0' 2>/dev/null | wc -l)" ]
	# A UDP flood's source may be forged: dropped, not blocked.
	run -1 kns --mode standard -w "$T/u.pcap" "$P/flood-udp.pcap"
	[ "$(stat blocked_sources <<<"$output")" = 0 ]
	[ "$(stat policy.not_blocked <<<"$output")" = 1 ]
	[ "$(stat dropped <<<"$output")" -gt 0 ]
}

@test "monitoring mode: the copy is the input byte for byte, and records say what standard mode would do" {
	for f in scan-syn.pcap pcapng.pcapng frag-teardrop.pcap; do
		run -1 kns -w "$T/copy" "$P/$f" || true
		cmp "$P/$f" "$T/copy"
	done
	run -1 kns -w "$T/copy" "$P/scan-syn.pcap"
	[ "$(records alert <<<"$output" | jq -r '"\(.mode) \(.alert.action) \(.would)"')" = "monitoring allowed blocked" ]
	[ "$(stat dropped <<<"$output")" = 0 ]
	# From a stream, to a stream.
	knetscan -q -r - -w - -o "$T/rec.jsonl" <"$P/http.pcap" >"$T/copy2"
	cmp "$P/http.pcap" "$T/copy2"
	[ "$(records http <"$T/rec.jsonl" | wc -l)" = 10 ]
	# A copy of more than one input cannot be the input.
	run -2 --separate-stderr knetscan -q -w "$T/c" "$P/http.pcap" "$P/dns-udp.pcap"
	[[ $stderr == *"copies one input"* ]]
}

@test "broken captures: a clear error record each, the other inputs are still read, exit 2 without an alert" {
	: >"$T/empty.pcap"
	head -c 10 "$P/http.pcap" >"$T/short-header.pcap"
	{ printf 'XXXX'; tail -c +5 "$P/http.pcap"; } >"$T/magic.pcap"
	head -c 3000 "$P/http.pcap" >"$T/cut-record.pcap"
	"$PY" - "$P/http.pcap" "$T/caplen.pcap" <<-'EOF'
	import struct, sys
	d = open(sys.argv[1], "rb").read()
	first = 24 + 16 + struct.unpack("<I", d[32:36])[0]
	bad = struct.pack("<IIII", 1, 0, 0xfffffff0, 0xfffffff0) + b"x" * 100
	open(sys.argv[2], "wb").write(d[:first] + bad)
	EOF
	while read -r f kind msg; do
		run -2 --separate-stderr knetscan -q "$T/$f" "$P/dns-udp.pcap"
		[ "$(records error <<<"$output" | jq -r '"\(.error.input | split("/") | last) \(.error.kind)"')" = "$f $kind" ]
		[[ $(records error <<<"$output" | jq -r .error.message) == *"$msg"* ]]
		[ "$(records dns <<<"$output" | wc -l)" = 18 ]
	done <<-'EOF'
	empty.pcap truncated file header
	short-header.pcap truncated file header
	magic.pcap invalid unknown file format
	cut-record.pcap truncated truncated dump file
	caplen.pcap invalid capture length
	EOF
	# The packets before the cut are read.
	run -2 kns "$T/cut-record.pcap"
	[ "$(records http <<<"$output" | wc -l)" -ge 1 ]
	# A missing file and a directory of captures with junk in it.
	mkdir "$T/dir"
	cp "$P/http.pcap" "$T/dir/a.pcap"
	cp "$T/magic.pcap" "$T/dir/b.pcap"
	cp "$P/dns-udp.pcap" "$T/dir/c.pcap"
	run -2 kns "$T/dir" "$T/no-such.pcap"
	[ "$(records error <<<"$output" | wc -l)" = 2 ]
	[ "$(records http <<<"$output" | wc -l)" = 10 ]
	[ "$(records dns <<<"$output" | wc -l)" = 18 ]
}

@test "snap-length cuts are truncation anomalies, not invalid packets; the anomaly rate is capped" {
	run -0 kns "$P/snaplen-96.pcap"
	[ "$(stat truncated <<<"$output")" -gt 50 ]
	[ "$(records anomaly <<<"$output" | jq -r 'select(.anomaly.event | endswith(".truncated")) | .anomaly.type' | sort -u)" = decode ]
	[ "$(records anomaly <<<"$output" | jq -r '.anomaly.event' | grep -vcE '\.truncated$|^stream\.gap$|^dns\.malformed$')" = 0 ]
	run -0 kns --anomaly-rate=5 "$P/snaplen-96.pcap"
	[ "$(records anomaly <<<"$output" | jq -r .anomaly.event | sort | uniq -c | awk '$1 > 5' | wc -l)" = 0 ]
	[ "$(stat anomalies_suppressed <<<"$output")" -gt 0 ]
}

@test "--events chooses the record types; --threshold and --action change the detectors and the policy" {
	run -0 kns --events=dns "$P/phishing.pcap"
	[ "$(jq -r .event_type <<<"$output" | sort -u)" = dns ]
	[ "$(records dns <<<"$output" | jq -r 'select(.dns.type=="request") | .dns.rrname' | sort -u)" = login-verify-account.example ]
	run -0 kns --threshold=host-sweep=100/60s "$P/sweep.pcap"
	[ -z "$(alerts <<<"$output")" ]
	run -1 kns --threshold=syn-flood=500/1s "$TOP/samples/pcap/lab-mixed.pcap"
	[ "$(alerts <<<"$output" | grep -c syn-flood)" = 1 ]
	run -2 --separate-stderr knetscan --action=nosuchclass=drop "$P/http.pcap"
	[[ $stderr == *"unknown detection class"* ]]
	run -2 --separate-stderr knetscan --threshold=syn-flood=10 "$P/http.pcap"
	[[ $stderr == *"CLASS=N/TIME"* ]]
	run -2 --separate-stderr knetscan --mode=inline "$P/http.pcap"
	run -2 --separate-stderr knetscan --exclude=10.0.0.0/33 "$P/http.pcap"
	[[ $stderr == *"--exclude"* ]]
	run -2 --separate-stderr knetscan
	run -2 --separate-stderr knetscan -i lo "$P/http.pcap"
	[[ $stderr == *"not both"* ]]
}

@test "the [knetscan] section of the configuration file; the command line wins; errors name their line" {
	cat >"$T/ksvm.conf" <<-'EOF'
	[knetscan]
	mode = standard
	events = alert,stats
	exclude = 192.0.2.1 10.77.0.66
	threshold.host-sweep = 100/60s
	action.tcp-portscan = drop
	EOF
	run -1 kns --config "$T/ksvm.conf" -w "$T/o.pcap" "$P/scan-syn.pcap"
	[ "$(jq -r .event_type <<<"$output" | sort -u | tr '\n' ' ')" = "alert stats " ]
	[ "$(records alert <<<"$output" | jq -r '"\(.mode) \(.alert.action)"')" = "standard allowed" ]
	run -0 kns --config "$T/ksvm.conf" "$P/sweep.pcap"
	run -1 kns --config "$T/ksvm.conf" --threshold=host-sweep=10/60s "$P/sweep.pcap"
	# action.all gives way to an action for one class, wherever it is in
	# the file, and to the command line.
	printf '[knetscan]\nmode = standard\naction.tcp-portscan = allow\naction.all = block\n' >"$T/all.conf"
	run -1 kns --config "$T/all.conf" "$P/scan-syn.pcap"
	[ "$(records alert <<<"$output" | jq -r '"\(.attack.class) \(.alert.action)"')" = "tcp-portscan allowed" ]
	printf '[knetscan]\nmode = standard\naction.all = allow\n' >"$T/all.conf"
	run -1 kns --config "$T/all.conf" --action tcp-portscan=block "$P/scan-syn.pcap"
	[ "$(records alert <<<"$output" | jq -r '"\(.attack.class) \(.alert.action)"')" = "tcp-portscan blocked" ]
	printf '[knetscan]\nmode = standard\nmax_flow = 10\nthreshold.syn-flood = many\n' >"$T/bad.conf"
	run -2 --separate-stderr knetscan --config "$T/bad.conf" "$P/http.pcap"
	[[ $stderr == *":3:"* ]]
	[[ $stderr == *":4:"* ]]
	[ -z "$output" ]
}

@test "live capture on a veth in a namespace the test makes, as an unprivileged user once open" {
	[ "$(id -u)" = 0 ] || skip "needs root (network namespaces)"
	ns=ksvm-kn-$$
	ip netns add "$ns"
	ip link add kn$$a type veth peer name kn$$b
	ip link set kn$$b netns "$ns"
	ip addr add 10.99.0.1/24 dev kn$$a
	ip link set kn$$a up
	ip -n "$ns" addr add 10.99.0.2/24 dev kn$$b
	ip -n "$ns" link set kn$$b up
	ip -n "$ns" link set lo up
	knetscan -q -i kn$$a -Z nobody -f 'udp port 53' -o "$T/live.jsonl" 2>"$T/live.err" &
	pid=$!
	sleep 1
	# A DNS query from inside the namespace to the host side.
	ip netns exec "$ns" "$PY" - <<-'EOF'
	import socket, struct
	q = struct.pack(">HHHHHH", 0x4242, 0x0100, 1, 0, 0, 0)
	for label in b"live", b"lab", b"example":
	    q += bytes([len(label)]) + label
	q += b"\0" + struct.pack(">HH", 1, 1)
	s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
	for _ in range(3):
	    s.sendto(q, ("10.99.0.1", 53))
	EOF
	sleep 1
	# The capturing process no longer runs as root.
	user=$(ps -o user= -p "$pid")
	kill -INT "$pid"
	wait "$pid" || true
	ip link del kn$$a 2>/dev/null || true
	ip netns del "$ns"
	cat "$T/live.err"
	[ "$user" = nobody ]
	[ "$(records dns <"$T/live.jsonl" | jq -r '"\(.dns.rrname) \(.dns.id) \(.src_ip)"' | sort -u)" = "live.lab.example 16962 10.99.0.2" ]
	[ "$(records stats <"$T/live.jsonl" | jq -r .stats.packets)" -ge 3 ]
}

@test "an unsupported link type is refused with an error record" {
	"$PY" - "$T/usb.pcap" <<-'EOF'
	import struct, sys
	# LINKTYPE_USB_LINUX (189), one record
	h = struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 189)
	r = struct.pack("<IIII", 1, 0, 4, 4) + b"abcd"
	open(sys.argv[1], "wb").write(h + r)
	EOF
	run -2 kns "$T/usb.pcap"
	[ "$(records error <<<"$output" | jq -r .error.kind)" = unsupported ]
	[[ $(records error <<<"$output" | jq -r .error.message) == *"link type 189"* ]]
}

# ---- web addresses checked inline (--url-db) ----------------------------------

LAB="$TOP/samples/pcap/lab-mixed.pcap"
SIG='KNETSCAN malicious web address (phishing): login-verify-account.example'

# A database listing the lab's phishing host (domain match), compiled from
# a feed the test writes; generation 1 in a new file.
phish_db() { # FILE [HOST...]
	local db=$1
	shift
	printf '%s\n' "${@:-login-verify-account.example}" >"$T/phish.txt"
	kurlcheck compile -q --db "$db" --feed "domains,name=lab-phish,category=phishing:$T/phish.txt" >/dev/null
}

# What the policy must leave out of a capture, worked out from the capture
# alone: the packets of each flow that carries NEEDLE (DNS either way, TCP
# to ports 80 and 443), from the first packet that carries it; with CLIENT
# (block), also every later packet from CLIENT once a TCP flow carried it
# (a blocked source's packets are not inspected, so they mark no flow).
# Writes the capture without those packets to OUT and prints the number
# of flows, the number of packets left out and the first packet of each.
url_drops() { # PCAP NEEDLE OUT [CLIENT]
	"$PY" - "$@" <<-'EOF'
	import struct, sys
	path, needle, out = sys.argv[1], sys.argv[2].encode(), sys.argv[3]
	client = bytes(int(x) for x in sys.argv[4].split(".")) if len(sys.argv) > 4 else None
	d = open(path, "rb").read()
	assert struct.unpack("<I", d[:4])[0] == 0xa1b2c3d4
	kept, firsts, marked, blocked, dropped = [d[:24]], [], set(), False, 0
	off = 24
	n = 0
	while off + 16 <= len(d):
	    cap = struct.unpack("<I", d[off + 8:off + 12])[0]
	    rec, f = d[off:off + 16 + cap], d[off + 16:off + 16 + cap]
	    off += 16 + cap
	    n += 1
	    k = src = None
	    listed = False
	    if struct.unpack(">H", f[12:14])[0] == 0x0800 and f[23] in (6, 17):
	        l4 = 14 + (f[14] & 15) * 4
	        pr, src = f[23], f[26:30]
	        sp, dp = struct.unpack(">HH", f[l4:l4 + 4])
	        k = (pr, frozenset([(src, sp), (f[30:34], dp)]))
	        pay = f[l4 + ((f[l4 + 12] >> 4) * 4 if pr == 6 else 8):]
	        listed = needle in pay and ((pr == 17 and 53 in (sp, dp)) or
	                                    (pr == 6 and dp in (80, 443)))
	    if blocked and src == client:
	        dropped += 1
	        continue
	    if k in marked or listed:
	        if k not in marked:
	            marked.add(k)
	            firsts.append(n)
	            blocked = blocked or (client is not None and k[0] == 6)
	        dropped += 1
	        continue
	    kept.append(rec)
	open(out, "wb").write(b"".join(kept))
	print(len(firsts), dropped, *firsts)
	EOF
}

@test "--url-db: the phishing host over DNS, HTTP and TLS is one alert per flow, and its flows' packets are dropped from the listed one on" {
	phish_db "$T/p.kudb"
	run url_drops "$LAB" login-verify-account "$T/expected.pcap"
	assert_success
	# Two resolutions (A and AAAA in one flow each), a request, a
	# ClientHello: 36 packets from the first listed one of each flow.
	[ "$output" = "4 36 492 499 508 515" ]
	run -1 kns --mode standard --action all=allow --action url=drop --url-db "$T/p.kudb" -w "$T/out.pcap" "$LAB"
	[ "$(records alert <<<"$output" | jq -c "select(.url)" | jq -r '"\(.pcap_cnt) \(.app_proto) \(.alert.signature_id) \(.alert.action) \(.url.policy) \(.url.verdict)"')" = "$(printf '%s\n' \
		'492 dns 9000016 blocked drop phishing' '499 http 9000016 blocked drop phishing' \
		'508 dns 9000016 blocked drop phishing' '515 tls 9000016 blocked drop phishing')" ]
	[ "$(records alert <<<"$output" | jq -c "select(.url)" | jq -r .alert.signature | sort -u)" = "$SIG" ]
	[ "$(records alert <<<"$output" | jq -c "select(.url)" | jq -r '.alert.category' | sort -u)" = "Possible Social Engineering Attempted" ]
	[ "$(records alert <<<"$output" | jq -c "select(.url)" | jq -r 'select(.dns) | "\(.dns.type) \(.dns.rrname) \(.dns.rrtype) \(.src_ip) \(.dest_ip) \(.dest_port)"')" = "$(printf '%s\n' \
		'request login-verify-account.example A 10.77.0.20 10.77.0.10 53' 'request login-verify-account.example A 10.77.0.20 10.77.0.10 53')" ]
	[ "$(records alert <<<"$output" | jq -c "select(.url)" | jq -r 'select(.http) | "\(.http.hostname) \(.http.url) \(.url.input) \(.dest_port)"')" = \
	  "login-verify-account.example /account/verify?user=alice&token=4711 http://login-verify-account.example/account/verify?user=alice&token=4711 80" ]
	[ "$(records alert <<<"$output" | jq -c "select(.url)" | jq -r 'select(.tls) | "\(.tls.sni) \(.url.query) \(.dest_port)"')" = "login-verify-account.example host 443" ]
	[ "$(records alert <<<"$output" | jq -c "select(.url)" | jq -c '.url.matches' | sort -u)" = \
	  '[{"feed":"lab-phish","category":"phishing","kind":"domain","entry":"login-verify-account.example","expression":"login-verify-account.example"}]' ]
	[ "$(records alert <<<"$output" | jq -c "select(.url)" | jq -r '.url.db_generation' | sort -u)" = 1 ]
	# Each alert's flow is a distinct one, and is marked as alerted.
	[ "$(records alert <<<"$output" | jq -c "select(.url)" | jq -r .flow_id | sort -u | wc -l)" = 4 ]
	[ "$(stat dropped <<<"$output")" = 36 ]
	[ "$(stat url.alerts <<<"$output")" = 4 ]
	[ "$(stat url.listed <<<"$output")" = 10 ]
	[ "$(tcpdump -r "$T/out.pcap" 2>/dev/null | wc -l)" = $((9932 - 36)) ]
	cmp "$T/expected.pcap" "$T/out.pcap"
	# The flow records say alerted, and the records are valid.
	run -1 kns --events=all --mode standard --url-db "$T/p.kudb" "$LAB"
	ids=$(records alert <<<"$output" | jq -c "select(.url)" | jq -r 'select(.url) | .flow_id' | sort | tr '\n' ' ')
	[ "$(records flow <<<"$output" | jq -r 'select(.flow.alerted) | .flow_id' | sort | tr '\n' ' ')" = "$ids" ]
	run validate_records <<<"$output"
	assert_success
}

@test "--url-db in monitoring mode: the copy is byte for byte, alerts say allowed and what standard mode would do" {
	phish_db "$T/p.kudb"
	run -1 kns --url-db "$T/p.kudb" -w "$T/copy.pcap" "$LAB"
	cmp "$LAB" "$T/copy.pcap"
	[ "$(records alert <<<"$output" | jq -r 'select(.url) | "\(.pcap_cnt) \(.mode) \(.alert.action) \(.would) \(.url.policy)"')" = "$(printf '%s\n' \
		'492 monitoring allowed blocked drop' '499 monitoring allowed blocked drop' \
		'508 monitoring allowed blocked drop' '515 monitoring allowed blocked drop')" ]
	[ "$(stat dropped <<<"$output")" = 0 ]
	# Strict EVE: the facts in alert.metadata, no url member.
	run -1 kns --eve-strict --url-db "$T/p.kudb" "$LAB"
	[ "$(jq -r 'select(.alert.signature_id == 9000016) | "\(.alert.metadata.ksvm_url_source[0]) \(.alert.metadata.ksvm_url_entry[0]) \(has("url"))"' <<<"$output")" = "$(printf '%s\n' \
		'dns login-verify-account.example false' 'http login-verify-account.example false' \
		'dns login-verify-account.example false' 'tls login-verify-account.example false')" ]
	# Without a database nothing is checked, and an address that is not
	# listed (or is allowed) raises nothing.
	run -1 kns "$LAB"
	[ "$(records alert <<<"$output" | jq -r 'select(.url)' | wc -l)" = 0 ]
	phish_db "$T/other.kudb" phish.example.net
	run -1 kns --url-db "$T/other.kudb" "$LAB"
	[ "$(records alert <<<"$output" | jq -r 'select(.url)' | wc -l)" = 0 ]
	[ "$(stat url.checked <<<"$output")" = 70 ]
	[ "$(stat url.listed <<<"$output")" = 0 ]
	printf 'login-verify-account.example\n' >"$T/allow.txt"
	kurlcheck compile -q --db "$T/allowed.kudb" --feed "domains,category=phishing:$T/allow.txt" \
		--feed "domains,name=ok,category=allow:$T/allow.txt" >/dev/null
	run -1 kns --mode standard --url-db "$T/allowed.kudb" -w "$T/a.pcap" "$LAB"
	[ "$(records alert <<<"$output" | jq -r 'select(.url)' | wc -l)" = 0 ]
	[ "$(stat url.listed <<<"$output")" = 0 ]
}

@test "--action url=block: the client is blocked from the listed request on; a DNS query (UDP) is dropped, not blocked" {
	phish_db "$T/p.kudb"
	run url_drops "$LAB" login-verify-account "$T/expected.pcap" 10.77.0.20
	assert_success
	# The second resolution and the ClientHello come from the blocked
	# client: dropped unseen.  The second resolution's answer still
	# carries the name, so its flow is dropped from there.
	[ "$output" = "3 671 492 499 509" ]
	run -1 kns --mode standard --action all=allow --action url=block --url-db "$T/p.kudb" -w "$T/out.pcap" "$LAB"
	[ "$(records alert <<<"$output" | jq -r 'select(.url) | "\(.pcap_cnt) \(.app_proto) \(.url.policy) \(.alert.action)"')" = "$(printf '%s\n' \
		'492 dns drop blocked' '499 http block blocked' '509 dns drop blocked')" ]
	[ "$(stat blocked_sources <<<"$output")" = 1 ]
	[ "$(stat policy.not_blocked <<<"$output")" = 2 ]
	[ "$(stat dropped <<<"$output")" = 671 ]
	cmp "$T/expected.pcap" "$T/out.pcap"
	[ "$(tcpdump -n -r "$T/out.pcap" 'src host 10.77.0.20' 2>/dev/null | wc -l)" = \
	  "$(tcpdump -n -r "$LAB" 'src host 10.77.0.20' 2>/dev/null | head -498 | wc -l)" ] || \
	  [ "$(tcpdump -n -r "$T/out.pcap" 'src host 10.77.0.20' 2>/dev/null | wc -l)" -lt "$(tcpdump -n -r "$LAB" 'src host 10.77.0.20' 2>/dev/null | wc -l)" ]
	# allow: reported only.
	run -1 kns --mode standard --action all=allow --action url=allow --url-db "$T/p.kudb" -w "$T/allow.pcap" "$LAB"
	[ "$(records alert <<<"$output" | jq -r 'select(.url) | "\(.url.policy) \(.alert.action)"' | sort | uniq -c | awk '{print $1, $2, $3}')" = "4 allow allowed" ]
	[ "$(stat dropped <<<"$output")" = 0 ]
	[ "$(tcpdump -r "$T/allow.pcap" 2>/dev/null | wc -l)" = 9932 ]
}

@test "--url-db: an excluded client or server is reported, never dropped" {
	phish_db "$T/p.kudb"
	for x in 10.77.0.20 10.77.0.0/28; do
		run -1 kns --mode standard --action all=allow --action url=drop --exclude "$x" --url-db "$T/p.kudb" -w "$T/out.pcap" "$LAB"
		[ "$(records alert <<<"$output" | jq -r 'select(.url) | "\(.url.policy) \(.alert.action)"' | sort | uniq -c | awk '{print $1, $2, $3}')" = "4 allow allowed" ]
		[ "$(stat dropped <<<"$output")" = 0 ]
		[ "$(tcpdump -r "$T/out.pcap" 2>/dev/null | wc -l)" = 9932 ]
	done
	# The server alone excluded.
	run -1 kns --mode standard --action all=allow --action url=drop --exclude 10.77.0.10 --url-db "$T/p.kudb" -w "$T/out.pcap" "$LAB"
	[ "$(records alert <<<"$output" | jq -r 'select(.url) | .url.policy' | sort -u)" = allow ]
	[ "$(stat dropped <<<"$output")" = 0 ]
	# Another address excluded changes nothing.
	run -1 kns --mode standard --action all=allow --action url=drop --exclude 10.77.0.30 --url-db "$T/p.kudb" -w "$T/out.pcap" "$LAB"
	[ "$(stat dropped <<<"$output")" = 36 ]
}

@test "--url-db: a missing or damaged database is refused before any packet, exit 2; url_db in the configuration" {
	phish_db "$T/p.kudb"
	cp "$T/p.kudb" "$T/bad.kudb"
	# One byte of the payload changed: the checksum tells.
	"$PY" - "$T/bad.kudb" <<-'EOF'
	import sys
	b = bytearray(open(sys.argv[1], "rb").read())
	b[300] ^= 0xff
	open(sys.argv[1], "wb").write(bytes(b))
	EOF
	run -2 --separate-stderr knetscan --url-db "$T/bad.kudb" "$LAB"
	[ -z "$output" ]
	[[ $stderr == *"cannot use the web address database: $T/bad.kudb: damaged database: "*"checksum mismatch"*"; nothing was read"* ]]
	# One byte of the last data block: verified at open too, not only
	# when a lookup would read it.
	cp "$T/p.kudb" "$T/bad2.kudb"
	"$PY" - "$T/bad2.kudb" <<-'EOF'
	import sys
	b = bytearray(open(sys.argv[1], "rb").read())
	b[-1] ^= 0xff
	open(sys.argv[1], "wb").write(bytes(b))
	EOF
	run -2 --separate-stderr knetscan --url-db "$T/bad2.kudb" "$LAB"
	[ -z "$output" ]
	[[ $stderr == *"$T/bad2.kudb: damaged database: "*"; nothing was read"* ]]
	head -c 100 "$T/p.kudb" >"$T/short.kudb"
	run -2 --separate-stderr knetscan --url-db "$T/short.kudb" "$LAB"
	[[ $stderr == *"truncated"* ]]
	run -2 --separate-stderr knetscan --url-db "$LAB" "$LAB"
	[[ $stderr == *"not a kurlcheck database"* ]]
	run -2 --separate-stderr knetscan --url-db "$T/none.kudb" "$LAB"
	[[ $stderr == *"$T/none.kudb"* ]]
	[ -z "$output" ]
	# The configuration's url_db, and action.url; the command line wins.
	printf '[knetscan]\nmode = standard\nurl_db = %s\naction.url = block\naction.syn-flood = allow\naction.tcp-portscan = allow\n' "$T/p.kudb" >"$T/k.conf"
	run -0 --separate-stderr knetscan --config "$T/k.conf" --check-config
	run -1 kns --config "$T/k.conf" -w "$T/o.pcap" "$LAB"
	[ "$(records alert <<<"$output" | jq -r 'select(.url) | .url.policy' | tr '\n' ' ')" = "drop block drop " ]
	run -2 --separate-stderr knetscan --config "$T/k.conf" --url-db "$T/bad.kudb" "$LAB"
	[[ $stderr == *"checksum mismatch"* ]]
	printf '[knetscan]\nurl_db = %s\n' "$T/bad.kudb" >"$T/b.conf"
	run -2 --separate-stderr knetscan --config "$T/b.conf" --check-config
	[[ $stderr == *"checksum mismatch"* ]]
	run -2 --separate-stderr knetscan --action url=sometimes "$LAB"
	[[ $stderr == *"unknown action"* ]]
}

@test "SIGHUP reloads the database during a streamed run: a good one is used from the next packet, a broken one is refused and the old one stays" {
	phish_db "$T/cur.kudb" nothing-listed.example
	# The capture in three parts: before the first phishing packet (492),
	# up to the second resolution (508), and the rest.
	"$PY" - "$LAB" "$T" <<-'EOF'
	import struct, sys
	d = open(sys.argv[1], "rb").read()
	parts, off, n, cut = [bytearray(d[:24])], 24, 0, (492, 506)
	while off + 16 <= len(d):
	    cap = struct.unpack("<I", d[off + 8:off + 12])[0]
	    n += 1
	    if n in cut:
	        parts.append(bytearray())
	    parts[-1] += d[off:off + 16 + cap]
	    off += 16 + cap
	for i, p in enumerate(parts):
	    open("%s/part%d" % (sys.argv[2], i), "wb").write(p)
	EOF
	mkfifo "$T/fifo"
	knetscan -r - --url-db "$T/cur.kudb" -o "$T/rec.jsonl" <"$T/fifo" 2>"$T/err" &
	pid=$!
	exec 7>"$T/fifo"
	cat "$T/part0" >&7
	# Wait until it runs (and has its signal handlers): part 0 has records.
	for _ in $(seq 100); do [ -s "$T/rec.jsonl" ] && break; sleep 0.1; done
	[ -s "$T/rec.jsonl" ]
	phish_db "$T/new.kudb"
	mv "$T/new.kudb" "$T/cur.kudb"
	kill -HUP "$pid"
	sleep 0.3
	cat "$T/part1" >&7
	for _ in $(seq 100); do [ "$(records alert <"$T/rec.jsonl" | wc -l)" -ge 2 ] && break; sleep 0.1; done
	# A damaged file in its place: refused, the one in use stays.
	head -c 200 "$T/cur.kudb" >"$T/broken.kudb"
	mv "$T/broken.kudb" "$T/cur.kudb"
	kill -HUP "$pid"
	sleep 0.3
	cat "$T/part2" >&7
	exec 7>&-
	rc=0
	wait "$pid" || rc=$?
	[ "$rc" = 1 ]
	cat "$T/err"
	[ "$(records alert <"$T/rec.jsonl" | jq -r 'select(.url) | "\(.pcap_cnt) \(.app_proto) \(.url.db_generation)"')" = "$(printf '%s\n' \
		'492 dns 1' '499 http 1' '508 dns 1' '515 tls 1')" ]
	[ "$(records error <"$T/rec.jsonl" | jq -r '"\(.error.kind) \(.error.input)"')" = "truncated $T/cur.kudb" ]
	[[ $(records error <"$T/rec.jsonl" | jq -r .error.message) == "reload refused, generation 1 stays in use: "* ]]
	[[ $(cat "$T/err") == *"loaded $T/cur.kudb: generation 1, 1 entries"* ]]
	[ "$(records stats <"$T/rec.jsonl" | jq -r .stats.url.db_generation)" = 1 ]
	# Every packet was read.
	[ "$(records stats <"$T/rec.jsonl" | jq -r .stats.packets)" = 9932 ]
}
