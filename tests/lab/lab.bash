# shellcheck shell=bash
# The knetscan capture lab: network namespaces joined by a bridge, services
# in a server namespace, clients and attackers in their own, and tcpdump on
# the bridge.  Sourced by tests/lab/make-captures and bench/knetscan-capture,
# which run under `set -euo pipefail` and call lab_setup first (it refuses
# to run when a namespace of the lab exists, and installs the trap that
# removes everything again, also after a failure or Ctrl-C).
#
# Layout (addresses in lab.params):
#
#   ksvm-lab-lan       br0, one port per namespace below; no address, no
#                      IPv6, so that the bridge itself sends nothing
#   ksvm-lab-server    HTTP on 80 and 8080, TLS on 443 and 8443, DNS on 53
#   ksvm-lab-client    curl, dig, openssl s_client, ping
#   ksvm-lab-victim    target of floods, ARP spoofing and the sweep
#   ksvm-lab-attacker  nmap, hping3, scapy
#
# No namespace has a default route, so that nothing the lab sends (spoofed
# sources included) can go anywhere but to another lab namespace.

lab_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lab.params
. "$lab_dir/lab.params"

# Debian's interpreter, the one python3-scapy installs for; no __pycache__
# left in the tree.
LAB_PYTHON=${LAB_PYTHON:-/usr/bin/python3}
export PYTHONDONTWRITEBYTECODE=1
LAB_SNAPLEN=262144
lab_roles=(server client victim attacker)
read -r -a lab_client_extra <<<"$CLIENT_EXTRA_IP4"
lab_tmp=
lab_pids=()
lab_made_ns=()
declare -gA lab_cap_pid=()
declare -gA lab_cap_log=()
declare -gA lab_cap_file=()

lab_log() { printf 'lab: %s\n' "$*" >&2; }
lab_die() {
	printf 'lab: %s\n' "$*" >&2
	exit 1
}

# The last byte of a role's addresses and MAC.
lab_id() {
	case $1 in
	server) echo 10 ;;
	client) echo 20 ;;
	victim) echo 30 ;;
	attacker) echo 66 ;;
	*) lab_die "unknown role $1" ;;
	esac
}

# in_ns ROLE CMD...: runs CMD inside the role's namespace.
in_ns() {
	local role=$1
	shift
	ip netns exec "$LAB_PREFIX$role" "$@"
}

# lab_bg NAME ROLE CMD...: starts CMD in the background inside the role's
# namespace, output to a log in the lab's temporary directory; the
# teardown stops it.  ip netns exec execs the command, so $! is its pid.
lab_bg() {
	local name=$1 role=$2
	shift 2
	ip netns exec "$LAB_PREFIX$role" "$@" >"$lab_tmp/$name.log" 2>&1 &
	lab_pids+=("$!")
}

lab_existing() {
	ip netns list 2>/dev/null | awk -v p="$LAB_PREFIX" 'index($1, p) == 1 { print $1 }'
}

lab_need_tools() {
	local missing=() t deps=$lab_dir/../../scripts/deps
	# scripts/deps installs the lab's packages once it has a step for them.
	if "$deps" --list lab >/dev/null 2>&1; then
		"$deps" lab
	fi
	for t in ip ss tcpdump dumpcap nmap hping3 curl dig openssl ethtool ping \
		unshare mount sysctl; do
		command -v "$t" >/dev/null 2>&1 || missing+=("$t")
	done
	if ! "$LAB_PYTHON" -c 'import scapy.all' >/dev/null 2>&1; then
		missing+=("$LAB_PYTHON with scapy")
	fi
	if [[ ${#missing[@]} -gt 0 ]]; then
		lab_die "missing: ${missing[*]} (Debian packages: iproute2 tcpdump wireshark-common nmap hping3 curl bind9-dnsutils openssl ethtool iputils-ping util-linux procps python3 python3-scapy)"
	fi
}

# lab_ns_pids NS: the pids of the processes inside a namespace, one a line.
lab_ns_pids() {
	ip netns pids "$1" 2>/dev/null || true
}

# Removes every namespace of the lab, also ones left by a run that was
# killed with SIGKILL, after stopping the processes still inside them, and
# the temporary directories such runs leave.  Never while a run goes on.
lab_cleanup_stale() {
	local ns pid names pids
	mapfile -t names < <(lab_existing)
	for ns in "${names[@]}"; do
		mapfile -t pids < <(lab_ns_pids "$ns")
		for pid in "${pids[@]}"; do
			kill -TERM "$pid" 2>/dev/null || true
		done
		sleep 0.5
		mapfile -t pids < <(lab_ns_pids "$ns")
		for pid in "${pids[@]}"; do
			kill -KILL "$pid" 2>/dev/null || true
		done
		ip netns del "$ns"
		lab_log "removed $ns"
	done
	# The temporary directories of runs that were killed.
	local d
	for d in /tmp/ksvm-lab.??????; do
		if [[ -d $d && ! -L $d && -O $d ]]; then
			rm -rf -- "$d"
			lab_log "removed $d"
		fi
	done
}

lab_teardown() {
	local rc=$? pid ns i
	trap - EXIT INT TERM HUP
	set +e
	for pid in "${lab_pids[@]}"; do
		kill -TERM "$pid" 2>/dev/null
	done
	for pid in "${lab_pids[@]}"; do
		for i in 1 2 3 4 5 6 7 8 9 10; do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.2
		done
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	# Anything else still running inside the lab's namespaces was started
	# by this run (a client interrupted by Ctrl-C, say): stop it by pid.
	local pids
	for ns in "${lab_made_ns[@]}"; do
		mapfile -t pids < <(lab_ns_pids "$ns")
		for pid in "${pids[@]}"; do
			kill -KILL "$pid" 2>/dev/null
		done
	done
	for ((i = ${#lab_made_ns[@]} - 1; i >= 0; i--)); do
		ip netns del "${lab_made_ns[i]}" 2>/dev/null
	done
	if [[ -n $lab_tmp && -d $lab_tmp ]]; then
		rm -rf -- "$lab_tmp"
	fi
	exit "$rc"
}

lab_sysctl() {
	local role=$1
	shift
	ip netns exec "$LAB_PREFIX$role" sysctl -q -w "$@" >/dev/null
}

# Turns off the offloads of a veth end, so that what tcpdump sees is what
# a wire would carry: frames of at most the MTU (no 64 KB TSO/GSO
# aggregates), checksums filled in (no CHECKSUM_PARTIAL), VLAN tags in the
# frame.
lab_no_offload() {
	local role=$1 dev=$2
	ip netns exec "$LAB_PREFIX$role" ethtool -K "$dev" tx off rx off tso off gso off \
		gro off rxvlan off txvlan off >/dev/null 2>&1 ||
		ip netns exec "$LAB_PREFIX$role" ethtool -K "$dev" tx off tso off gso off >/dev/null
}

lab_make_namespaces() {
	local role id mac n
	for role in lan "${lab_roles[@]}"; do
		ip netns add "$LAB_PREFIX$role"
		lab_made_ns+=("$LAB_PREFIX$role")
		ip -n "$LAB_PREFIX$role" link set lo up
	done

	# The bridge's namespace has no IPv6 and does not hand bridged frames
	# to iptables (the host may have br_netfilter, which would drop the
	# malformed packets this lab exists to record before tcpdump sees
	# them).
	lab_sysctl lan net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
	for n in iptables ip6tables arptables; do
		if [[ -e /proc/sys/net/bridge/bridge-nf-call-$n ]]; then
			lab_sysctl lan "net.bridge.bridge-nf-call-$n=0"
		fi
	done
	ip -n "${LAB_PREFIX}lan" link add br0 type bridge stp_state 0 mcast_snooping 0
	ip -n "${LAB_PREFIX}lan" link set br0 up

	for role in "${lab_roles[@]}"; do
		id=$(lab_id "$role")
		mac=02:77:00:00:00:$id
		# Set before the interface exists, so that it inherits them: no
		# duplicate address detection, no router solicitations, so that
		# the captures carry no background noise of the lab's own making.
		lab_sysctl "$role" net.ipv6.conf.default.accept_dad=0 net.ipv6.conf.all.accept_dad=0 \
			net.ipv6.conf.default.router_solicitations=0 net.ipv6.conf.default.accept_ra=0 \
			net.ipv6.conf.all.accept_ra=0
		# No ICMP rate limits: a UDP scan then takes seconds, not minutes,
		# and every closed port answers.
		lab_sysctl "$role" net.ipv4.icmp_ratelimit=0 net.ipv6.icmp.ratelimit=0 \
			net.ipv4.icmp_msgs_per_sec=100000 net.ipv4.icmp_msgs_burst=100000
		ip -n "${LAB_PREFIX}lan" link add "p-$role" address "02:77:ff:00:00:$id" type veth \
			peer name eth0 netns "$LAB_PREFIX$role" address "$mac"
		ip -n "${LAB_PREFIX}lan" link set "p-$role" master br0
		lab_no_offload lan "p-$role"
		lab_no_offload "$role" eth0
		ip -n "$LAB_PREFIX$role" addr add "10.77.0.$id/24" dev eth0
		ip -n "$LAB_PREFIX$role" addr add "fd77::$id/64" dev eth0 nodad
		ip -n "${LAB_PREFIX}lan" link set "p-$role" up
		ip -n "$LAB_PREFIX$role" link set eth0 up
	done
	local a
	for a in "${lab_client_extra[@]}"; do
		ip -n "${LAB_PREFIX}client" addr add "$a/24" dev eth0
	done
	for ((n = SWEEP_FIRST; n <= SWEEP_LAST; n++)); do
		ip -n "${LAB_PREFIX}victim" addr add "10.77.0.$n/24" dev eth0
	done
}

lab_wait_listen() {
	local proto=$1 port=$2 i
	for ((i = 0; i < 100; i++)); do
		if [[ -n $(ip netns exec "${LAB_PREFIX}server" ss -Hln "$proto" "sport = :$port") ]]; then
			return 0
		fi
		sleep 0.1
	done
	lab_die "the server is not listening on $port ($proto); logs in $lab_tmp"
}

lab_start_services() {
	local t=$lab_tmp
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
		-keyout "$t/key.pem" -out "$t/cert.pem" -days 2 -subj "/CN=secure.$ZONE" \
		-addext "subjectAltName=DNS:*.$ZONE,DNS:$PHISH_HOST" >/dev/null 2>&1
	lab_bg httpd server "$LAB_PYTHON" "$lab_dir/httpd.py" --port "$HTTP_PORT" \
		--port "$HTTP_ALT_PORT" --zone "$ZONE" --objects "$WEB_OBJECTS"
	lab_bg dnsd server "$LAB_PYTHON" "$lab_dir/dnsd.py" --zone "$ZONE" --extra "$PHISH_HOST" \
		--ip4 "$SERVER_IP4" --ip6 "$SERVER_IP6" --port "$DNS_PORT"
	# s_server -www answers a GET with a status page; it takes one
	# connection at a time, which is all the lab's clients need.
	lab_bg tls server openssl s_server -accept "$TLS_PORT" -cert "$t/cert.pem" \
		-key "$t/key.pem" -www -quiet
	lab_bg tls-alt server openssl s_server -accept "$TLS_ALT_PORT" -cert "$t/cert.pem" \
		-key "$t/key.pem" -www -quiet
	lab_wait_listen -t "$HTTP_PORT"
	lab_wait_listen -t "$HTTP_ALT_PORT"
	lab_wait_listen -t "$DNS_PORT"
	lab_wait_listen -u "$DNS_PORT"
	lab_wait_listen -t "$TLS_PORT"
	lab_wait_listen -t "$TLS_ALT_PORT"

	# The clients' resolver, for the scenarios that browse by name.
	printf 'nameserver %s\noptions timeout:2 attempts:1\n' "$SERVER_IP4" >"$t/resolv.conf"
	printf 'hosts: files dns\n' >"$t/nsswitch.conf"
	printf '127.0.0.1 localhost\n::1 localhost ip6-localhost\n' >"$t/hosts"
}

lab_setup() {
	[[ $EUID -eq 0 ]] || lab_die "must run as root (it makes network namespaces)"
	lab_need_tools
	local existing
	existing=$(lab_existing)
	if [[ -n $existing ]]; then
		lab_die "namespaces of the lab exist already ($(echo "$existing" | tr '\n' ' ')): another run is going on, or one was killed; remove them with: tests/lab/make-captures --cleanup"
	fi
	trap lab_teardown EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	trap 'exit 129' HUP
	lab_tmp=$(mktemp -d /tmp/ksvm-lab.XXXXXX)
	lab_make_namespaces
	lab_start_services
	# Let the IPv6 multicast listener reports that follow link-up go by.
	sleep 2
}

# Forgets every neighbour in every namespace, so that each capture starts
# with its own address resolution.
lab_flush_neigh() {
	local role
	for role in "${lab_roles[@]}"; do
		ip -n "$LAB_PREFIX$role" neigh flush all >/dev/null 2>&1 || true
	done
}

# cap_start ID FILE [tcpdump options...]: records the bridge into FILE
# until cap_stop ID.  tcpdump keeps root (-Z root) to write where it is
# told.
cap_start() {
	local id=$1 file=$2 i
	shift 2
	lab_flush_neigh
	lab_cap_log[$id]=$lab_tmp/cap-$id.log
	lab_cap_file[$id]=$file
	: >"${lab_cap_log[$id]}"
	ip netns exec "${LAB_PREFIX}lan" tcpdump -i br0 -n -U --immediate-mode -B 65536 -Z root -s "$LAB_SNAPLEN" -w "$file" \
		"$@" >"${lab_cap_log[$id]}" 2>&1 &
	lab_cap_pid[$id]=$!
	lab_pids+=("$!")
	cap_wait_ready "$id" 'listening on'
}

# cap_start_cmd ID ROLE CMD...: like cap_start with any capture command run
# in a namespace (dumpcap, tcpdump -i any); the command prints READY_TEXT
# on stderr when it records.
cap_start_cmd() {
	local id=$1 role=$2 ready=$3
	shift 3
	lab_flush_neigh
	lab_cap_log[$id]=$lab_tmp/cap-$id.log
	lab_cap_file[$id]=
	: >"${lab_cap_log[$id]}"
	ip netns exec "$LAB_PREFIX$role" "$@" >"${lab_cap_log[$id]}" 2>&1 &
	lab_cap_pid[$id]=$!
	lab_pids+=("$!")
	cap_wait_ready "$id" "$ready"
}

cap_wait_ready() {
	local id=$1 ready=$2 i
	for ((i = 0; i < 200; i++)); do
		if grep -q -- "$ready" "${lab_cap_log[$id]}"; then
			sleep 0.3
			return 0
		fi
		kill -0 "${lab_cap_pid[$id]}" 2>/dev/null || break
		sleep 0.05
	done
	cat "${lab_cap_log[$id]}" >&2
	lab_die "capture $id did not start"
}

# cap_stop ID: lets the last replies arrive, stops the capture and fails
# when the kernel dropped packets or tcpdump wrote fewer than it counted
# (the counts in the README would be off).
cap_stop() {
	local id=$1 pid=${lab_cap_pid[$1]} log=${lab_cap_log[$1]} file=${lab_cap_file[$1]:-}
	local said got
	sleep 0.5
	kill -INT "$pid" 2>/dev/null || true
	wait "$pid" || true
	if grep -Eq '^[1-9][0-9]* packets? dropped by (kernel|interface)' "$log"; then
		cat "$log" >&2
		lab_die "capture $id lost packets"
	fi
	if [[ -n $file ]]; then
		said=$(sed -n 's/^\([0-9]*\) packets\{0,1\} captured$/\1/p' "$log")
		got=$("$LAB_PYTHON" "$lab_dir/craft.py" count "$file")
		if [[ $said != "$got" ]]; then
			cat "$log" >&2
			lab_die "capture $id: tcpdump counted ${said:-nothing}, the file has $got packets"
		fi
	fi
}

# in_resolved ROLE CMD...: runs CMD in the role's namespace with the lab's
# DNS server as its only resolver, through a private mount namespace (the
# host's files stay as they are, and no query can reach a resolver of the
# host through a local socket).
in_resolved() {
	local role=$1
	shift
	# shellcheck disable=SC2016
	ip netns exec "$LAB_PREFIX$role" unshare --mount --propagation private -- bash -c '
		mount --bind "$1" /etc/resolv.conf &&
		mount --bind "$2" /etc/nsswitch.conf &&
		mount --bind "$3" /etc/hosts &&
		shift 3 && exec "$@"' lab-resolved \
		"$lab_tmp/resolv.conf" "$lab_tmp/nsswitch.conf" "$lab_tmp/hosts" "$@"
}

# The craft helper (scapy) inside a namespace.
craft() {
	local role=$1
	shift
	ip netns exec "$LAB_PREFIX$role" "$LAB_PYTHON" "$lab_dir/craft.py" "$@"
}

# ---- Traffic, shared by the captures and the benchmark ----

# curl from the client without a resolver: the Host header says the name.
t_curl() {
	in_ns client curl -sS --max-time 60 -o /dev/null "$@"
}

# The browser-like page: the page from www, then its objects from static
# over up to WEB_PARALLEL connections, both names resolved through DNS.
t_web_page() {
	local args=() i
	local ext=(css js png svg)
	in_resolved client curl -sS --max-time 60 -o /dev/null "http://www.$ZONE/page.html"
	for ((i = 1; i <= WEB_OBJECTS; i++)); do
		args+=(-o /dev/null "$(printf 'http://static.%s/static/obj-%02d.%s' "$ZONE" "$i" "${ext[i % 4]}")")
	done
	in_resolved client curl -sS --no-progress-meter --max-time 60 --parallel --parallel-max "$WEB_PARALLEL" "${args[@]}"
}

# t_download BYTES: one download by name.
t_download() {
	in_resolved client curl -sS --max-time 120 -o /dev/null "http://www.$ZONE/bytes/$1"
}

# t_tls NAME [ADDRESS [PORT [s_client options...]]]: one TLS handshake.
t_tls() {
	local name=$1 addr=${2:-$SERVER_IP4} port=${3:-$TLS_PORT}
	shift $(($# < 3 ? $# : 3))
	if [[ $addr == *:* ]]; then
		addr="[$addr]"
	fi
	in_ns client openssl s_client -connect "$addr:$port" -servername "$name" "$@" \
		</dev/null >/dev/null 2>&1
}

# t_dig CLIENT_ADDRESS dig-arguments...: one dig from a given address.
t_dig() {
	local src=$1
	shift
	in_ns client dig -b "$src" "@$SERVER_IP4" +tries=1 +time=2 "$@" >/dev/null
}

# t_dns_busy QUERIES_PER_CLIENT [PAUSE]: the busy resolver, every client
# address running its own queries at the same time, names host001.<zone>
# and up; with a PAUSE (seconds), each client sends DNS_BUSY_BATCH queries,
# waits, and goes on, as clients of a resolver do; without, as fast as dig
# goes.
t_dns_busy() {
	local per=$1 pause=${2:-0} src pids=() n=0 pid
	for src in "$CLIENT_IP4" "${lab_client_extra[@]}"; do
		t_dns_batches "$src" "$n" "$per" "$pause" &
		pids+=("$!")
		n=$((n + 1))
	done
	for pid in "${pids[@]}"; do
		wait "$pid"
	done
}

t_dns_batches() {
	local src=$1 n=$2 per=$3 pause=$4 first size=$3 to f=$lab_tmp/batch-$1
	if [[ $pause != 0 ]]; then
		size=$DNS_BUSY_BATCH
	fi
	for ((first = 0; first < per; first += size)); do
		to=$((first + size < per ? first + size : per))
		awk -v from="$first" -v to="$to" -v n="$n" -v zone="$ZONE" 'BEGIN {
			for (i = from; i < to; i++)
				printf "host%03d.%s %s\n", (i * 7 + n * 13) % 500 + 1, zone, (i % 5 == 4 ? "AAAA" : "A")
		}' >"$f"
		in_ns client dig -b "$src" "@$SERVER_IP4" +tries=1 +time=2 -f "$f" >/dev/null
		if [[ $pause != 0 && $to -lt $per ]]; then
			sleep "$pause"
		fi
	done
}

# t_nmap SCAN_OPTION PORTS: a scan of the server, default timing.
t_nmap() {
	in_ns attacker nmap -n "$1" -p "$2" "$SERVER_IP4" >/dev/null
}

# t_hping ARGS...: hping3 from the attacker, quiet.
t_hping() {
	in_ns attacker hping3 -q "$@" >/dev/null 2>&1 || true
}
