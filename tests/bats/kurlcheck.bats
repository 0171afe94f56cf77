#!/usr/bin/env bats
# kurlcheck: verdicts and exit codes, inputs (arguments, lines, events),
# compile and info, damaged databases, SIGHUP reloads under load, output
# flushing, the options agreement and the completion.

bats_require_minimum_version 1.5.0
load helpers

setup() {
	T="$BATS_TEST_TMPDIR"
	FEEDS="$TOP/samples/feeds"
	kurlcheck compile -q --config "$FEEDS/feeds.conf" --db "$T/s.kudb" >/dev/null
}

kuc() {
	kurlcheck --db "$T/s.kudb" "$@"
}

@test "kurlcheck: options agree in --help, kurlcheck.1 and the completion" {
	run "$TOP/tests/check-options" "$KSVM_BIN/kurlcheck" "$TOP/man/kurlcheck.1" "$TOP/completions/kurlcheck" compile info
	assert_success
}

@test "the kurlcheck option check fails when an option is missing from the man page" {
	sed 's/listed\\-only/listed-xonly/' "$TOP/man/kurlcheck.1" >"$T/page.1"
	run "$TOP/tests/check-options" "$KSVM_BIN/kurlcheck" "$T/page.1" "$TOP/completions/kurlcheck" compile info
	assert_failure
	assert_output --partial "--listed-only"
}

@test "a listed URL: exit 1, verdict, canonical form, registrable domain, port, userinfo, the match" {
	run --separate-stderr kuc --no-stats 'HTTP://User@Malware.EXAMPLE.com.:8080/./payload.exe#x'
	assert_failure 1
	rec=$(records url <<<"$output")
	[ "$(jq -r .verdict <<<"$rec")" = malicious ]
	[ "$(jq -r '.url | "\(.canonical) \(.host) \(.domain) \(.port) \(.userinfo) \(.path)"' <<<"$rec")" = \
		"http://malware.example.com/payload.exe malware.example.com example.com 8080 User /payload.exe" ]
	[ "$(jq -r '.matches[0] | "\(.feed) \(.category) \(.kind) \(.entry) \(.expression)"' <<<"$rec")" = \
		"sample-urls malicious url malware.example.com/payload.exe malware.example.com/payload.exe" ]
	[ "$(jq -r '"\(.source) \(.query) \(.db_generation)"' <<<"$rec")" = "argument url 1" ]
	validate_records <<<"$output"
}

@test "clean gives exit 0, an unusable input exit 2, and a listed one wins over errors" {
	run --separate-stderr kuc --no-stats http://www.example.com/
	assert_success
	[ "$(jq -r .verdict <<<"$output")" = clean ]
	run --separate-stderr kuc --no-stats 'mailto:a@example.com'
	assert_failure 2
	[ "$(jq -r '"\(.verdict) \(.error.kind)"' <<<"$output")" = "error invalid" ]
	run --separate-stderr kuc 'mailto:a@example.com' http://evil.example/
	assert_failure 1
	[ "$(records url <<<"$output" | jq -r .verdict | tr '\n' ' ')" = "error malicious " ]
	[ "$(records stats <<<"$output" | jq -r '.stats | "\(.inputs) \(.listed) \(.errors)"')" = "2 1 1" ]
	validate_records <<<"$output"
}

@test "every sample feed format gives its verdict; allowlist and exception win" {
	run --separate-stderr kuc --no-stats \
		http://203.0.113.45:8080/i \
		'http://files.example.com/a,b/loader.bin' \
		http://secure-login.example.com/bank/signin.html \
		'https://exämple.example/signin' \
		http://www.c2.example.net/ \
		http://x.botnet.example.org/ \
		http://pixel.example.net/p.gif \
		http://x.ads.example.com/ \
		http://192.0.2.66/ \
		'http://[2001:db8:bad:1::7]/' \
		http://safe.evil.example/ \
		http://good.ads.example.com/ \
		http://botnet.example.org/
	assert_failure 1
	[ "$(jq -r .verdict <<<"$output" | tr '\n' ' ')" = \
		"malicious malicious phishing phishing malicious malicious tracking ads malicious malicious clean clean clean " ]
	[ "$(jq -r 'select(.allowed) | .url.host' <<<"$output")" = safe.evil.example ]
}

@test "lines on stdin and --hosts; blank lines are not inputs; --listed-only" {
	printf 'http://evil.example/a\n\n  www.example.org  \n' >"$T/in"
	run --separate-stderr kuc --no-stats <"$T/in"
	assert_failure 1
	[ "$(jq -r '"\(.line) \(.source) \(.verdict)"' <<<"$output" | tr '\n' ' ')" = "1 stdin malicious 3 stdin clean " ]
	printf 'TRACKER.example.com.\nmalware.example.com\n' | {
		run --separate-stderr kuc --no-stats --hosts -
		assert_failure 1
		[ "$(jq -r '"\(.query) \(.verdict) \(.url.canonical)"' <<<"$output" | tr '\n' ' ')" = "host tracking null host clean null " ]
	}
	run --separate-stderr kuc --listed-only http://evil.example/ http://example.org/
	[ "$(records url <<<"$output" | wc -l)" = 1 ]
	[ "$(records stats <<<"$output" | jq -r .stats.inputs)" = 2 ]
}

@test "--explain lists the expressions and every lookup" {
	run --separate-stderr kuc --no-stats --explain http://a.b.downloads.example.net/tools/cracked/x.zip?y=1
	assert_failure 1
	[ "$(jq -r '.explain.expressions | length' <<<"$output")" = 20 ]
	[ "$(jq -r '.explain.expressions[0]' <<<"$output")" = "a.b.downloads.example.net/tools/cracked/x.zip?y=1" ]
	[ "$(jq -r '.explain.lookups[] | select(.found) | .key' <<<"$output" | tr '\n' ' ')" = \
		"downloads.example.net downloads.example.net/tools/cracked/ " ]
	validate_records <<<"$output"
}

@test "--events: http, tls and dns records give addresses; identifiers and the event time are carried" {
	cat >"$T/ev" <<-'EOF'
	{"timestamp":"2026-11-20T08:00:01.000002+0000","event_type":"http","flow_id":41,"src_ip":"10.0.0.5","src_port":51000,"dest_ip":"203.0.113.45","dest_port":8080,"proto":"TCP","http":{"hostname":"203.0.113.45","url":"/i","http_method":"GET"}}
	{"timestamp":"2026-11-20T08:00:02.000000+0000","event_type":"tls","flow_id":42,"dest_port":443,"tls":{"sni":"ADS.example.com"}}
	{"timestamp":"2026-11-20T08:00:03.000000+0000","event_type":"dns","flow_id":43,"dns":{"version":3,"type":"request","queries":[{"rrname":"c2.example.net","rrtype":"A"},{"rrname":"ok.example","rrtype":"A"}]}}
	{"timestamp":"2026-11-20T08:00:04.000000+0000","event_type":"flow","flow_id":44}
	not json
	EOF
	run --separate-stderr kuc --events <"$T/ev"
	assert_failure 1
	[ "$(records url <<<"$output" | jq -r '"\(.flow_id) \(.source) \(.verdict) \(.timestamp)"' | tr '\n' ' ')" = \
		"41 http malicious 2026-11-20T08:00:01.000002+0000 42 tls ads 2026-11-20T08:00:02.000000+0000 43 dns malicious 2026-11-20T08:00:03.000000+0000 43 dns clean 2026-11-20T08:00:03.000000+0000 " ]
	[ "$(records url <<<"$output" | head -1 | jq -r '"\(.src_ip) \(.src_port) \(.dest_ip) \(.proto) \(.input) \(.url.port)"')" = "10.0.0.5 51000 203.0.113.45 TCP http://203.0.113.45:8080/i 8080" ]
	[ "$(records error <<<"$output" | jq -r .error.line)" = 5 ]
	[ "$(records stats <<<"$output" | jq -r '.stats | "\(.events) \(.events_without_address) \(.bad_lines)"')" = "4 1 1" ]
	validate_records <<<"$output"
}

@test "compile: a urldb record, bad lines as error records, --strict writes nothing, generations count up" {
	printf 'good.example\nbad name\n*.w.example\n' >"$T/d.txt"
	printf '||a.example^\n##.x\n' >"$T/a.txt"
	run --separate-stderr kurlcheck compile --db "$T/n.kudb" --feed "domains,name=mine,category=phishing:$T/d.txt" --feed "adblock,category=ads:$T/a.txt"
	assert_success
	[ "$(records urldb <<<"$output" | jq -r '.urldb | "\(.generation) \(.entries) \(.feeds[0].name) \(.feeds[0].bad) \(.feeds[1].unsupported) \(.feeds[1].name)"')" = "1 3 mine 1 1 a" ]
	[ "$(records error <<<"$output" | jq -r '"\(.error.line) \(.error.kind)"' | tr '\n' ' ')" = "2 invalid 2 unsupported " ]
	[[ $stderr == *"d.txt:2: more than one word"* ]]
	validate_records <<<"$output"
	run --separate-stderr kurlcheck compile --db "$T/n.kudb" --feed "domains:$T/d.txt"
	[ "$(records urldb <<<"$output" | jq -r .urldb.generation)" = 2 ]
	run --separate-stderr kurlcheck compile --strict --db "$T/n.kudb" --feed "domains:$T/d.txt"
	assert_failure 2
	run --separate-stderr kurlcheck info --db "$T/n.kudb"
	[ "$(jq -r .urldb.generation <<<"$output")" = 2 ]
	run --separate-stderr kurlcheck compile --db "$T/n.kudb" --feed "domains:$T/missing.txt"
	assert_failure 2
	[[ $stderr == *"missing.txt"* ]]
	run --separate-stderr kurlcheck compile --db "$T/x.kudb" --feed "ip,match=domain:$T/d.txt"
	assert_failure 2
	[ -z "$(ls "$T"/n.kudb.tmp.* 2>/dev/null)" ]
}

@test "a truncated database or one with a flipped byte is refused with a clear message" {
	size=$(stat -c %s "$T/s.kudb")
	head -c $((size - 10)) "$T/s.kudb" >"$T/cut.kudb"
	run --separate-stderr kurlcheck --db "$T/cut.kudb" http://evil.example/
	assert_failure 2
	[ -z "$output" ]
	[[ $stderr == *"truncated"* ]]
	cp "$T/s.kudb" "$T/flip.kudb"
	printf '\x5a' | dd of="$T/flip.kudb" bs=1 seek=$((size - 100)) conv=notrunc status=none
	run --separate-stderr kurlcheck --db "$T/flip.kudb" http://evil.example/
	assert_failure 2
	[[ $stderr == *"checksum mismatch"* ]]
	run --separate-stderr kurlcheck info --db "$T/flip.kudb"
	assert_failure 2
	printf 'not a database at all\n' >"$T/text.kudb"
	run --separate-stderr kurlcheck --db "$T/text.kudb" http://evil.example/
	assert_failure 2
	[[ $stderr == *"not a kurlcheck database"* ]]
}

# A database of 20,000 domains (about 15 blocks of 64 KiB) with one byte of
# a record flipped, far from the header: $T/big.kudb intact, $T/dmg.kudb
# damaged, $T/dmg.key the key whose record holds the flipped byte.
big_damaged() {
	seq 1 20000 | awk '{ printf "k%05d.example\n", $1 }' >"$T/big.txt"
	kurlcheck compile -q --db "$T/big.kudb" --feed "domains,category=phishing:$T/big.txt" >/dev/null
	$PY - "$T" <<-'PY'
	import sys
	t = sys.argv[1]
	b = bytearray(open(t + "/big.kudb", "rb").read())
	for i in range(1, 20001):
	    key = b"k%05d.example" % i
	    at = b.find(key)
	    if at > 4 * 65536:
	        break
	b[at + 3] ^= 0x01
	open(t + "/dmg.kudb", "wb").write(b)
	open(t + "/dmg.key", "w").write(key.decode())
	PY
}

@test "a damaged block far from the header: info and --check-config refuse it, a check that reads it is an error verdict, exit 2" {
	big_damaged
	key=$(cat "$T/dmg.key")
	run --separate-stderr kurlcheck info --db "$T/big.kudb"
	assert_success
	[ "$(jq -r '.urldb | "\(.format_version) \(.block_size) \(.blocks > 8) \(.entries)"' <<<"$output")" = "2 65536 true 20000" ]
	validate_records <<<"$output"
	run --separate-stderr kurlcheck info --db "$T/dmg.kudb"
	assert_failure 2
	[ -z "$output" ]
	[[ $stderr == *"dmg.kudb: damaged database: checksum mismatch in block "* ]]
	run --separate-stderr kurlcheck --check-config --db "$T/dmg.kudb"
	assert_failure 2
	[[ $stderr == *"checksum mismatch in block"* ]]
	run --separate-stderr kurlcheck --check-config --db "$T/big.kudb"
	assert_success
	# Intact, the same checks are listed.
	run --separate-stderr kurlcheck --db "$T/big.kudb" --no-stats "http://$key/" http://k00001.example/
	assert_failure 1
	[ "$(jq -r .verdict <<<"$output" | tr '\n' ' ')" = "phishing phishing " ]
	# Opening reads only the header, the block table and the feeds; the
	# check that reads the damaged block is an error, and so is every
	# one after it.
	run --separate-stderr kurlcheck --db "$T/dmg.kudb" "http://$key/" http://k00001.example/ http://clean.test/
	assert_failure 2
	[ "$(records url <<<"$output" | jq -r '"\(.verdict) \(.error.kind)"' | tr '\n' ' ')" = "error invalid error invalid error invalid " ]
	[ "$(records url <<<"$output" | jq -r .error.message | grep -c 'dmg.kudb: damaged database: checksum mismatch in block')" = 3 ]
	[ "$(records stats <<<"$output" | jq -r .stats.errors)" = 3 ]
	[[ $stderr == *"every check is an error until a good database is loaded"* ]]
	validate_records <<<"$output"
}

@test "SIGHUP refuses a database damaged in any block and keeps the one in use" {
	big_damaged
	cp "$T/big.kudb" "$T/live.kudb"
	$PY - "$KSVM_BIN/kurlcheck" "$T" <<-'PY'
	import json, os, shutil, signal, subprocess, sys
	exe, t = sys.argv[1], sys.argv[2]
	db = t + "/live.kudb"
	p = subprocess.Popen([exe, "-q", "--db", db, "--hosts", "--no-stats", "--line-buffered"],
	                     stdin=subprocess.PIPE, stdout=subprocess.PIPE)
	def ask(host):
	    p.stdin.write(host.encode() + b"\n")
	    p.stdin.flush()
	    while True:
	        r = json.loads(p.stdout.readline())
	        if r["event_type"] == "url":
	            return r
	        errors.append(r)
	errors = []
	assert ask("k00002.example")["verdict"] == "phishing"
	shutil.copy(t + "/dmg.kudb", db + ".tmp")
	os.rename(db + ".tmp", db)
	p.send_signal(signal.SIGHUP)
	key = open(t + "/dmg.key").read()
	for host in (key, "k00003.example", "a." + key):
	    r = ask(host)
	    assert r["verdict"] == "phishing" and r["db_generation"] == 1, r
	p.stdin.close()
	assert p.wait(10) == 1
	assert len(errors) == 1, errors
	m = errors[0]["error"]["message"]
	assert "reload refused, generation 1 stays" in m and "checksum mismatch in block" in m, m
	PY
}

@test "the built-in database is the sample feeds compiled" {
	[ ! -e /var/lib/ksvm/kurlcheck.kudb ] || skip "/var/lib/ksvm/kurlcheck.kudb exists"
	run --separate-stderr kurlcheck info
	assert_success
	[ "$(jq -r .urldb.builtin <<<"$output")" = sample ]
	jq -c '[.urldb.feeds[] | del(.source)], .urldb.entries, .urldb.keys' <<<"$output" >"$T/builtin"
	kurlcheck info --db "$T/s.kudb" | jq -c '[.urldb.feeds[] | del(.source)], .urldb.entries, .urldb.keys' >"$T/compiled"
	diff "$T/builtin" "$T/compiled"
	run --separate-stderr kurlcheck --no-stats http://evil.example/
	assert_failure 1
	[[ $stderr == *"built-in sample database"* ]]
	run --separate-stderr kurlcheck -q --no-stats http://evil.example/
	[ -z "$stderr" ]
}

@test "records are written before kurlcheck waits for more input" {
	$PY - "$KSVM_BIN/kurlcheck" "$T/s.kudb" <<-'PY'
	import subprocess, sys, select
	p = subprocess.Popen([sys.argv[1], "-q", "--db", sys.argv[2], "--no-stats"],
	                     stdin=subprocess.PIPE, stdout=subprocess.PIPE)
	for url in (b"http://evil.example/\n", b"http://example.org/\n"):
	    p.stdin.write(url)
	    p.stdin.flush()
	    r, _, _ = select.select([p.stdout], [], [], 10)
	    assert r, "no record while stdin stays open"
	    line = p.stdout.readline()
	    assert b'"event_type":"url"' in line, line
	p.stdin.close()
	assert p.wait(10) == 1
	PY
}

@test "--events from a pipe: each event's verdicts are written with the event" {
	$PY - "$KSVM_BIN/kurlcheck" "$T/s.kudb" <<-'PY'
	import subprocess, sys, select
	p = subprocess.Popen([sys.argv[1], "-q", "--db", sys.argv[2], "--events", "--no-stats"],
	                     stdin=subprocess.PIPE, stdout=subprocess.PIPE)
	ev = b'{"event_type":"dns","flow_id":%d,"dns":{"rrname":"evil.example"}}\n'
	for i in range(3):
	    p.stdin.write(ev % i)
	    p.stdin.flush()
	    r, _, _ = select.select([p.stdout], [], [], 10)
	    assert r, "no verdict while the pipe stays open"
	    line = p.stdout.readline()
	    assert b'"flow_id":%d' % i in line, line
	p.stdin.close()
	assert p.wait(10) == 1
	PY
}

@test "SIGHUP swaps the database under load: no query lost, a bad database refused and the old one kept" {
	printf 'one.example\n' >"$T/one.txt"
	printf 'two.example\n' >"$T/two.txt"
	kurlcheck compile -q --db "$T/live.kudb" --feed "domains:$T/one.txt" >/dev/null
	$PY - "$KSVM_BIN/kurlcheck" "$T" <<-'PY'
	import json, os, signal, subprocess, sys, threading, time
	exe, t = sys.argv[1], sys.argv[2]
	db = t + "/live.kudb"
	p = subprocess.Popen([exe, "-q", "--db", db, "--hosts", "--no-stats"],
	                     stdin=subprocess.PIPE, stdout=subprocess.PIPE)
	recs, errors, runs = [], [], []
	seen = threading.Condition()
	def reader():
	    for line in p.stdout:
	        r = json.loads(line)
	        with seen:
	            if r["event_type"] == "url":
	                recs.append(r)
	                if not runs or runs[-1] != r["db_generation"]:
	                    runs.append(r["db_generation"])
	            else:
	                errors.append(r)
	            seen.notify_all()
	th = threading.Thread(target=reader, daemon=True)
	th.start()
	n = 0
	def send(k):
	    global n
	    for _ in range(k):
	        n += 1
	        p.stdin.write(b"h%d.%s.example\n" % (n, b"one" if n % 2 else b"two"))
	    p.stdin.flush()
	def until(cond):
	    end = time.time() + 20
	    while time.time() < end:
	        with seen:
	            if cond():
	                return
	        send(1)
	        time.sleep(0.001)
	    p.kill()
	    raise SystemExit("timed out: %d records, runs %s" % (len(recs), runs))
	def compile(*feeds):
	    subprocess.run([exe, "compile", "-q", "--db", db] +
	                   ["--feed=domains:" + t + "/" + f for f in feeds],
	                   check=True, stdout=subprocess.DEVNULL)
	send(5000)
	compile("two.txt")
	p.send_signal(signal.SIGHUP)
	send(3000)
	until(lambda: len(runs) == 2)
	with open(t + "/bad.tmp", "wb") as f:
	    f.write(b"\x89KURLDB\n garbage")
	os.rename(t + "/bad.tmp", db)
	p.send_signal(signal.SIGHUP)
	send(3000)
	until(lambda: errors)
	# Over a file that is not a database, the generation starts again.
	compile("one.txt", "two.txt")
	p.send_signal(signal.SIGHUP)
	send(3000)
	until(lambda: len(runs) == 3)
	send(2000)
	p.stdin.close()
	rc = p.wait(30)
	th.join(30)
	assert rc == 1, rc
	assert len(recs) == n, (len(recs), n)
	assert [r["line"] for r in recs] == list(range(1, n + 1)), "lines out of order or lost"
	assert runs == [1, 2, 1], runs
	listed = [("one",), ("two",), ("one", "two")]
	phase = 0
	for i, r in enumerate(recs):
	    if i > 0 and r["db_generation"] != recs[i - 1]["db_generation"]:
	        phase += 1
	    want = any(r["input"].endswith(x + ".example") for x in listed[phase])
	    assert (r["verdict"] == "malicious") == want, r
	assert len(errors) == 1 and "reload refused, generation 2 stays" in errors[0]["error"]["message"], errors
	print("queries", n, "generations", runs)
	PY
}

@test "--config reads the database path; a misspelled key is an error" {
	printf '[kurlcheck]\ndatabase = %s\n' "$T/s.kudb" >"$T/k.conf"
	run --separate-stderr kurlcheck --config "$T/k.conf" --no-stats http://evil.example/
	assert_failure 1
	[ "$(jq -r .db_generation <<<"$output")" = 1 ]
	printf '[kurlcheck]\ndatabse = x\n' >"$T/bad.conf"
	run --separate-stderr kurlcheck --config "$T/bad.conf" http://evil.example/
	assert_failure 2
	[[ $stderr == *"bad.conf:2"* ]]
}

@test "usage errors: --events with arguments, compile without feeds" {
	run --separate-stderr kurlcheck --events http://x/
	assert_failure 2
	run --separate-stderr kurlcheck compile --db "$T/z.kudb"
	assert_failure 2
	[[ $stderr == *"no feeds"* ]]
	run --separate-stderr kurlcheck compile --feed "nosuch:$T/x"
	assert_failure 2
	[[ $stderr == *"unknown format"* ]]
}

complete_words() { # TOOL WORDS... -> the completions of the last word
	bash -c '
		source /usr/share/bash-completion/bash_completion
		source "$1"; shift
		compopt() { :; }
		COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
		COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
		_"${1//-/_}" "$1" "${COMP_WORDS[-1]}" "${COMP_WORDS[-2]}"
		printf "%s\n" "${COMPREPLY[@]}"' _ "$@"
}

@test "the kurlcheck completion completes options, subcommands and feed formats" {
	[ -f /usr/share/bash-completion/bash_completion ] || skip "bash-completion is not installed"
	run complete_words "$TOP/completions/kurlcheck" kurlcheck --list
	assert_output "--listed-only"
	run complete_words "$TOP/completions/kurlcheck" kurlcheck comp
	assert_output "compile"
	run complete_words "$TOP/completions/kurlcheck" kurlcheck compile --str
	assert_output "--strict"
	run complete_words "$TOP/completions/kurlcheck" kurlcheck compile --feed url
	assert_output "$(printf 'urls:\nurlhaus:')"
}
