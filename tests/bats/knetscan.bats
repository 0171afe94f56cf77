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
	run -1 kns --events=all "$TOP/samples/pcap/lab-mixed.pcap" "$P/snaplen-96.pcap" "$P/frag-teardrop.pcap"
	[ "$(records flow <<<"$output" | wc -l)" -gt 100 ]
	run validate_records <<<"$output"
	assert_success
}

@test "--eve-strict: only Suricata's members, valid against Suricata's EVE schema when it is present" {
	run -1 kns --eve-strict --events=all "$TOP/samples/pcap/lab-mixed.pcap" "$P/snaplen-96.pcap"
	[ "$(jq -r 'select(has("program") or has("mode") or has("attack") or has("would")) | .event_type' <<<"$output" | wc -l)" = 0 ]
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
