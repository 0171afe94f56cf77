#!/usr/bin/env bats
# knetscan --bridge: a two-port userspace bridge between two network
# namespaces the test makes.  nsA (10.98.0.1 on vethA) and nsB (10.98.0.2
# on vethB) can only reach each other through knetscan, which captures on
# the root namespace's ends of both veth pairs and sends each frame that
# passes out of the other.  Needs root; traffic is made with python3.

bats_require_minimum_version 1.5.0
load helpers

setup() {
	T="$BATS_TEST_TMPDIR"
	id=$(($$ % 100000))
	NA=ksvm-kbA-$id NB=ksvm-kbB-$id
	BA=kbA$id-br BB=kbB$id-br
}

teardown() {
	local p
	for p in ${BPID-} ${SPID-}; do
		kill "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	# Deleting a namespace deletes its veth end, and with it the peer.
	ip netns del "$NA" 2>/dev/null || true
	ip netns del "$NB" 2>/dev/null || true
	ip link del "$BA" 2>/dev/null || true
	ip link del "$BB" 2>/dev/null || true
	[ -z "${W-}" ] || rm -rf "$W"
}

# The frames must be the real ones: no checksums left to the card, no
# segments larger than the MTU (a 64 KB TCP super-segment cannot be sent
# out of the other port).  ethtool when it is here, else its ioctls.
offloads_off() { # NETNS|- IF
	local ns=$1 dev=$2 run=()
	[ "$ns" = - ] || run=(ip netns exec "$ns")
	if command -v ethtool >/dev/null; then
		"${run[@]}" ethtool -K "$dev" tx off rx off gro off gso off tso off >/dev/null 2>&1 || true
		return
	fi
	"${run[@]}" "$PY" - "$dev" <<-'EOF'
	import array, fcntl, socket, struct, sys
	# ETHTOOL_SRXCSUM, STXCSUM, SSG, STSO, SGSO, SGRO (linux/ethtool.h).
	sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
	for cmd in (0x15, 0x17, 0x19, 0x1f, 0x24, 0x2c):
	    val = array.array("I", [cmd, 0])
	    addr, _ = val.buffer_info()
	    ifr = struct.pack("16sP", sys.argv[1].encode(), addr)
	    try:
	        fcntl.ioctl(sock, 0x8946, ifr)   # SIOCETHTOOL
	    except OSError:
	        pass
	EOF
}

# nsA -- vethA ==== BA  [knetscan]  BB ==== vethB -- nsB
make_net() {
	[ "$(id -u)" = 0 ] || skip "needs root (network namespaces)"
	local s ns dev br addr
	for s in A B; do
		if [ $s = A ]; then ns=$NA br=$BA addr=10.98.0.1; else ns=$NB br=$BB addr=10.98.0.2; fi
		dev=veth$s
		ip netns add "$ns"
		ip link add "$br" type veth peer name "$dev" netns "$ns"
		ip -n "$ns" addr add "$addr/24" dev "$dev"
		ip -n "$ns" link set lo up
		ip -n "$ns" link set "$dev" up
		sysctl -qw "net.ipv6.conf.$br.disable_ipv6=1"
		ip netns exec "$ns" sysctl -qw "net.ipv6.conf.$dev.disable_ipv6=1"
		ip link set "$br" up
		offloads_off - "$br"
		offloads_off "$ns" "$dev"
	done
	# A web server in nsB.
	mkdir -p "$T/www"
	echo "through the bridge" >"$T/www/hello.txt"
	ip netns exec "$NB" "$PY" -m http.server --bind 10.98.0.2 --directory "$T/www" 8080 \
		>/dev/null 2>&1 &
	SPID=$!
	# Traffic from nsA: ping, a GET, a SYN scan.
	cat >"$T/net.py" <<-'EOF'
	import os, socket, struct, sys, time, urllib.request

	def csum(b):
	    if len(b) % 2:
	        b += b"\0"
	    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
	    while s >> 16:
	        s = (s & 0xffff) + (s >> 16)
	    return ~s & 0xffff

	cmd, dst = sys.argv[1], sys.argv[2]
	if cmd == "ping":
	    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
	    s.settimeout(1)
	    body = struct.pack("!HH", 0x4b4e, 1) + b"knetscan bridge"
	    if len(sys.argv) > 3:
	        body += b"x" * (int(sys.argv[3]) - len(body))
	    hdr = struct.pack("!BBH", 8, 0, 0) + body
	    s.sendto(struct.pack("!BBH", 8, 0, csum(hdr)) + body, (dst, 0))
	    while True:
	        d, a = s.recvfrom(2048)
	        ihl = (d[0] & 15) * 4
	        if a[0] == dst and d[ihl] == 0 and d[ihl + 4:ihl + 6] == b"\x4b\x4e":
	            break
	elif cmd == "get":
	    url = "http://%s:8080/%s" % (dst, sys.argv[3])
	    print(urllib.request.urlopen(url, timeout=float(sys.argv[4])).read().decode(), end="")
	elif cmd == "synscan":
	    src = sys.argv[3]
	    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_TCP)
	    for port in range(int(sys.argv[4]), int(sys.argv[5]) + 1):
	        tcp = struct.pack("!HHIIBBHHH", 40000, port, 1000 + port, 0, 5 << 4, 2, 1024, 0, 0)
	        pseudo = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack("!BBH", 0, 6, len(tcp))
	        c = csum(pseudo + tcp)
	        s.sendto(tcp[:16] + struct.pack("!H", c) + tcp[18:], (dst, 0))
	        time.sleep(0.005)
	EOF
}

inA() { ip netns exec "$NA" "$PY" "$T/net.py" "$@"; }

# Start knetscan on the bridge; wait until both ports are open.
start_bridge() {
	knetscan -q --bridge "$BA,$BB" -Z nobody --events all "$@" \
		-o "$T/rec.jsonl" 2>"$T/err" &
	BPID=$!
	local i
	for i in $(seq 50); do
		[ "$(ps -o user= -p "$BPID" 2>/dev/null)" = nobody ] && break
		sleep 0.1
	done
	[ "$(ps -o user= -p "$BPID")" = nobody ]
	# The web server is up (and the bridge passes it) once a GET works.
	for i in $(seq 30); do
		inA get 10.98.0.2 hello.txt 1 >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	cat "$T/err"
	false
}

stop_bridge() {
	kill -TERM "$BPID"
	local rc=0
	wait "$BPID" || rc=$?
	unset BPID
	echo "$rc" >"$T/rc"
}

stat() { # NAME: a member of the stats record
	jq -r "select(.event_type==\"stats\") | .stats.$1" "$T/rec.jsonl"
}

# Everything the bridge received was forwarded, dropped, or could not be
# sent; the engine saw each frame once.
counters_agree() {
	local received forwarded dropped errors packets
	received=$(stat bridge.received) forwarded=$(stat bridge.forwarded)
	dropped=$(stat bridge.dropped) errors=$(stat bridge.inject_errors)
	packets=$(stat packets)
	echo "received=$received forwarded=$forwarded dropped=$dropped errors=$errors packets=$packets"
	[ "$errors" = 0 ]
	[ "$received" = "$packets" ]
	[ $((forwarded + dropped + errors)) = "$received" ]
	[ "$dropped" = "$(stat dropped)" ]
	[ "$forwarded" -gt 0 ]
}

@test "--help, the man page and the completion name the same options" {
	run "$TOP/tests/check-options" "$KSVM_BIN/knetscan" "$TOP/man/knetscan.1" "$TOP/completions/knetscan"
	assert_success
}

@test "--bridge usage errors: one interface, the same twice, with -i, -r, -f, -s, --no-promisc; an interface that does not exist" {
	for args in "--bridge eth0" "--bridge eth0," "--bridge ,eth0" "--bridge eth0,eth0" \
		"--bridge a,b,c" "--bridge a234567890123456,b"; do
		run -2 --separate-stderr knetscan $args
		[[ $stderr == *"--bridge wants two different interfaces IF1,IF2"* ]] || { echo "$args: $stderr"; false; }
	done
	run -2 --separate-stderr knetscan --bridge a,b -i c
	[[ $stderr == *"not with -i or -r"* ]]
	run -2 --separate-stderr knetscan --bridge a,b -r x.pcap
	[[ $stderr == *"not with -i or -r"* ]]
	run -2 --separate-stderr knetscan --bridge a,b x.pcap
	[[ $stderr == *"not with -i or -r"* ]]
	for args in "-f tcp" "-s 1500" "--no-promisc"; do
		run -2 --separate-stderr knetscan --bridge a,b $args
		[[ $stderr == *"not with -f, -s or --no-promisc"* ]] || { echo "$args: $stderr"; false; }
	done
	run -2 --separate-stderr knetscan -Z nobody x.pcap
	[[ $stderr == *"-Z goes with a live capture (-i or --bridge)"* ]]
	# The monitoring copy is of one input file.
	run -2 --separate-stderr knetscan --bridge a,b -w "$BATS_TEST_TMPDIR/c"
	[[ $stderr == *"copies one input"* ]]
	[ "$(id -u)" = 0 ] || skip "opening interfaces needs root"
	run -2 --separate-stderr knetscan -q --bridge lo,ksvm-nosuch0
	[ "$stderr" = "knetscan: --bridge: ksvm-nosuch0: no such interface" ]
	[ -z "$output" ]
}

@test "--bridge: an interface that is not Ethernet is refused" {
	[ "$(id -u)" = 0 ] || skip "needs root"
	# Linux's "any" captures with a cooked header: nothing to send.
	run -2 --separate-stderr knetscan -q --bridge lo,any
	[ "$stderr" = "knetscan: --bridge: any: not an Ethernet interface (link type LINUX_SLL): cannot bridge it" ]
}

@test "standard mode bridges ping and HTTP; a SYN scan blocks the scanner, whose new connections then fail" {
	make_net
	# Without the bridge the two namespaces cannot reach each other.
	run ! inA get 10.98.0.2 hello.txt 0.5
	# The output is opened once knetscan is nobody (like tcpdump -Z),
	# outside the test's private directory.
	W=$(mktemp -d /tmp/ksvm-kb.XXXXXX)
	chmod 777 "$W"
	start_bridge --mode standard -w "$W/passed.pcap"
	inA ping 10.98.0.2
	[ "$(inA get 10.98.0.2 hello.txt 2)" = "through the bridge" ]
	inA synscan 10.98.0.2 10.98.0.1 1 40
	sleep 0.3
	# The block holds: a new connection from the scanner gets nowhere.
	run ! inA get 10.98.0.2 hello.txt 1
	run ! inA ping 10.98.0.2
	stop_bridge
	cat "$T/err"
	[ "$(cat "$T/rc")" = 1 ]
	[[ $(cat "$T/err") == "" ]]
	# Exact http records: the two GETs that got through (the one
	# start_bridge waits for and the one above), none after the block.
	got=$(records http <"$T/rec.jsonl" |
		jq -r '"\(.src_ip) \(.dest_ip) \(.dest_port) \(.tx_id) \(.http.http_method) \(.http.hostname) \(.http.http_port) \(.http.url) \(.http.protocol) \(.http.absolute_url)"')
	want="10.98.0.1 10.98.0.2 8080 0 GET 10.98.0.2 8080 /hello.txt HTTP/1.1 http://10.98.0.2:8080/hello.txt"
	[ "$got" = "$want"$'\n'"$want" ] || { echo "$got"; false; }
	got=$(records alert <"$T/rec.jsonl" | jq -r '"\(.attack.class) \(.src_ip) \(.dest_ip) \(.alert.action) \(.mode)"')
	[ "$got" = "tcp-portscan 10.98.0.1 10.98.0.2 blocked standard" ] || { echo "$got"; false; }
	counters_agree
	run validate_records <"$T/rec.jsonl"
	assert_success
	[ "$(stat dropped_blocked)" -gt 0 ]
	[ "$(stat blocked_sources)" = 1 ]
	[ "$(stat policy.blocks)" = 1 ]
	# -w holds exactly the frames that were sent on: the scan's first 19
	# probes; the 20th (the threshold's 20 ports) and the later ones are
	# dropped.
	[ "$(tcpdump -r "$W/passed.pcap" 2>/dev/null | wc -l)" = "$(stat bridge.forwarded)" ]
	[ "$(tcpdump -n -r "$W/passed.pcap" 'src 10.98.0.1 and src port 40000 and tcp[13] = 2' 2>/dev/null | wc -l)" = 19 ]
}

@test "monitoring mode bridges everything: after the scan the scanner still connects, and the alert says what standard mode would do" {
	make_net
	start_bridge
	inA ping 10.98.0.2
	inA synscan 10.98.0.2 10.98.0.1 1 40
	sleep 0.3
	[ "$(inA get 10.98.0.2 hello.txt 2)" = "through the bridge" ]
	inA ping 10.98.0.2
	stop_bridge
	[ "$(cat "$T/rc")" = 1 ]
	got=$(records alert <"$T/rec.jsonl" | jq -r '"\(.attack.class) \(.src_ip) \(.alert.action) \(.would) \(.mode)"')
	[ "$got" = "tcp-portscan 10.98.0.1 allowed blocked monitoring" ] || { echo "$got"; false; }
	counters_agree
	[ "$(stat bridge.dropped)" = 0 ]
	[ "$(stat bridge.forwarded)" = "$(stat bridge.received)" ]
	# Both GETs (the one start_bridge waits for and the one after the
	# scan) went through.
	[ "$(records http <"$T/rec.jsonl" | jq -r '.http.url' | sort | uniq -c | awk '{print $1, $2}')" = "2 /hello.txt" ]
}

@test "SIGTERM stops the bridge cleanly: a stats record, the ports closed, and SIGUSR1 stats on stderr before" {
	make_net
	start_bridge --mode standard
	pid=$BPID
	kill -USR1 "$BPID"
	sleep 0.3
	stop_bridge
	[ "$(cat "$T/rc")" = 0 ]
	jq -e 'select(.event_type=="stats") | .stats.bridge.forwarded > 0' "$T/err" >/dev/null
	[ "$(records stats <"$T/rec.jsonl" | wc -l)" = 1 ]
	counters_agree
	# Nothing of knetscan is left on the ports.
	run ! ps -p "$pid"
}

@test "a frame the other side cannot take (its MTU) is counted as an inject error, with one error record per interface" {
	make_net
	ip link set "$BB" mtu 1000
	start_bridge --mode standard
	inA ping 10.98.0.2 900
	# A frame of 14 (Ethernet) + 20 (IP) + 4 (ICMP) + 1200 bytes.
	run ! inA ping 10.98.0.2 1200
	run ! inA ping 10.98.0.2 1200
	inA ping 10.98.0.2
	stop_bridge
	[ "$(cat "$T/rc")" = 2 ]
	[ "$(stat bridge.inject_errors)" = 2 ]
	[ "$(stat bridge.dropped)" = 0 ]
	[ $(($(stat bridge.forwarded) + 2)) = "$(stat bridge.received)" ]
	got=$(records error <"$T/rec.jsonl" | jq -r .error.message)
	[[ $got == "$BB: cannot send a frame of 1238 bytes: "*"(later failures to send out of $BB are only counted)" ]] ||
		{ echo "$got"; false; }
}

@test "ksvm with [ksvm] bridge: the appliance inline between two segments, supervised" {
	make_net
	mkdir -p "$T/log" "$T/run"
	cat >"$T/ksvm.conf" <<-EOF
	[ksvm]
	mode = standard
	bridge = $BA,$BB
	user = nobody
	url_check = no
	log_dir = $T/log
	run_dir = $T/run
	EOF
	"$TOP/scripts/bin/ksvm" -q -c "$T/ksvm.conf" run 3>&- &
	KPID=$!
	BPID=$KPID
	local i ok=0
	for i in $(seq 50); do
		inA get 10.98.0.2 hello.txt 1 >/dev/null 2>&1 && { ok=1; break; }
		sleep 0.1
	done
	[ $ok = 1 ]
	[ "$(inA get 10.98.0.2 hello.txt 2)" = "through the bridge" ]
	inA synscan 10.98.0.2 10.98.0.1 1 40
	for i in $(seq 50); do
		grep -q '"tcp-portscan"' "$T/log/events.jsonl" 2>/dev/null && break
		sleep 0.1
	done
	! inA get 10.98.0.2 hello.txt 1
	run "$TOP/scripts/bin/ksvm" -c "$T/ksvm.conf" stop
	assert_success
	unset BPID
	wait "$KPID" || true
	run jq -r 'select(.event_type == "alert") | "\(.attack.class) \(.alert.action) \(.src_ip)"' "$T/log/events.jsonl"
	assert_output "tcp-portscan blocked 10.98.0.1"
	[ "$(jq -r 'select(.event_type == "http") | .http.url' "$T/log/events.jsonl" | sort -u)" = "/hello.txt" ]
	grep -q '^Detections: ' "$T/log/report.txt"
}
