#!/usr/bin/env bats
# kreport: inputs, malformed lines, every report format, filters, exit
# codes, the options agreement.  The relay is in kreport-relay.bats.

bats_require_minimum_version 1.5.0
load helpers

MIXED="$BATS_TEST_DIRNAME/../golden/kreport-input/mixed.jsonl"
SCHEMAS="$BATS_TEST_DIRNAME/../../../shared/data/schemas"

setup() {
	T="$BATS_TEST_TMPDIR"
	export SOURCE_DATE_EPOCH=1795690000
}

# Records of every kind of one tool, one a line: kr_rec TYPE VERDICT VM
infected() { # PATH RULE [VM]
	printf '{"timestamp":"2026-11-26T09:00:00.000000+0000","event_type":"file","program":"kfscan","vm":"%s","file":{"path":"%s","sha256":"%064d"},"verdict":"infected","matches":[{"source":"yara","rule":"%s","namespace":"default","rule_set":"builtin","tags":[],"meta":{},"strings":[],"strings_total":0}],"action":{"taken":"report","access":"allow","attempts":[{"action":"report","result":"ok"}]},"elapsed_us":1}\n' "${3:-web1}" "$1" 7 "$2"
}
clean() { # PATH
	printf '{"timestamp":"2026-11-26T09:00:01.000000+0000","event_type":"file","program":"kfscan","file":{"path":"%s"},"verdict":"clean","elapsed_us":1}\n' "$1"
}

@test "kreport: options agree in --help, kreport.1 and the completion" {
	run "$TOP/tests/check-options" "$KSVM_BIN/kreport" "$TOP/man/kreport.1" "$TOP/completions/kreport"
	assert_success
	assert_output --partial "options agree"
}

@test "the kreport completion completes formats, severities and options" {
	[ -f /usr/share/bash-completion/bash_completion ] || skip "bash-completion is not installed"
	complete_words() {
		bash -c '
			source /usr/share/bash-completion/bash_completion
			source "$1"; shift
			compopt() { :; }
			COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
			COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
			_kreport "$1" "${COMP_WORDS[-1]}" "${COMP_WORDS[-2]}"
			printf "%s\n" "${COMPREPLY[@]}"' _ "$@"
	}
	run complete_words "$TOP/completions/kreport" kreport -f sa
	assert_output "sarif"
	run complete_words "$TOP/completions/kreport" kreport --min-severity cr
	assert_output "critical"
	run complete_words "$TOP/completions/kreport" kreport --spool-f
	assert_output "--spool-full="
}

@test "the text summary of a mixed input: sections, counts, 80 columns, exit 1" {
	run --separate-stderr kreport "$MIXED"
	assert_failure 1
	assert_line --index 0 --partial "ksvm report"
	assert_line "Records:    26 from 1 input"
	assert_line "Problems:   2 malformed lines"
	assert_line "Time span:  2026-11-26 09:00:01 to 2026-11-26 09:28:00 UTC (27m 59s)"
	assert_line "Detections: 10"
	assert_line --regexp '^  EICAR_Test_File +3  critical$'
	assert_line --regexp '^  \[2100498\] GPL ATTACK_RESPONSE id check returned root +1  medium$'
	assert_line --regexp '^  web1 +6 +4 +3 +2 +1 +1 +1 +0$'
	assert_line --regexp '^  heartbeat \(not known to kreport\) +1 +0$'
	# Every line fits a terminal of 80 columns.
	longest=$(printf '%s\n' "$output" | $PY -c 'import sys; print(max(len(l.rstrip("\n")) for l in sys.stdin))')
	[ "$longest" -le 79 ]
	# The malformed lines are on stderr with their place.
	[ "$stderr" = "kreport: $MIXED:21: the line is not a JSON object
kreport: $MIXED:26: incomplete JSON value" ]
}

@test "exit status: 0 clean, 1 found (also with failures), 2 failed" {
	clean /a >"$T/clean.jsonl"
	run kreport -q "$T/clean.jsonl"
	assert_success
	printf 'nonsense\n' >"$T/bad.jsonl"
	run --separate-stderr kreport "$T/clean.jsonl" "$T/bad.jsonl"
	assert_failure 2
	[ "$stderr" = "kreport: $T/bad.jsonl:1: the line is not a JSON object" ]
	run --separate-stderr kreport "$T/clean.jsonl" "$T/missing.jsonl"
	assert_failure 2
	assert_equal "$stderr" "kreport: cannot open $T/missing.jsonl: No such file or directory"
	infected /b X >"$T/found.jsonl"
	run kreport -q "$T/found.jsonl" "$T/bad.jsonl" "$T/missing.jsonl"
	assert_failure 1
	# The filters decide what counts.
	run kreport -q -t url "$T/found.jsonl"
	assert_success
	run kreport -q -s critical "$T/found.jsonl"
	assert_success
}

@test "stdin, files and FIFOs are read together; a quiet producer holds up no one" {
	mkfifo "$T/a" "$T/b"
	# A keeps its FIFO open until B is done; B writes more than a pipe
	# holds, so reading the inputs one after the other would never end.
	( infected /from/a RuleA; while [ ! -e "$T/b.done" ]; do sleep 0.05; done ) >"$T/a" &
	( for i in $(seq 1 400); do clean "/from/b/$i-$(printf '%0200d' 0)"; done; touch "$T/b.done" ) >"$T/b" &
	infected /from/stdin RuleS | timeout 20 kreport -q -f json - "$T/a" "$T/b" >"$T/out" && rc=0 || rc=$?
	wait
	[ "$rc" = 1 ]
	[ "$(jq -r '.summary.records' "$T/out")" = 402 ]
	[ "$(jq -r '[.summary.inputs[] | "\(.name)=\(.records)"] | join(" ")' "$T/out")" = "-=1 $T/a=1 $T/b=400" ]
}

@test "an overlong line is refused whole and counted; the next one is read" {
	{ infected /x R; printf '{"pad":"%04000d"}\n' 0; clean /y; } >"$T/in"
	run --separate-stderr kreport --max-line 1K -f json "$T/in"
	assert_failure 1
	[ "$stderr" = "kreport: $T/in:2: line longer than 1024 bytes" ]
	[ "$(jq -r '"\(.summary.records) \(.summary.malformed) \(.summary.inputs[0].malformed)"' <<<"$output")" = "3 1 1" ]
}

@test "the JSON summary validates against its schema and has the counts" {
	run --separate-stderr kreport -f json "$MIXED"
	assert_failure 1
	run validate_records <<<"$output"
	assert_success
	run --separate-stderr kreport -f json "$MIXED"
	[ "$(jq -r '.summary | "\(.records) \(.detections) \(.malformed) \(.by_type.file) \(.by_severity.critical)"' <<<"$output")" = "26 10 2 5 1" ]
	[ "$(jq -r '[.summary.other_types[].event_type] | join(",")' <<<"$output")" = "fileinfo,heartbeat" ]
	[ "$(jq -r '.summary.top_signatures[0] | "\(.signature_id) \(.count)"' <<<"$output")" = "1 1" ]
	[ "$(jq -r '.timestamp' <<<"$output")" = "2026-11-26T10:46:40.000000+0000" ]
}

@test "filters: type, VM, minimum severity, time window, detections only" {
	sum() { kreport -q -f json "$@" "$MIXED" | jq -r '"\(.summary.records) \(.summary.filtered_out)"'; }
	[ "$(sum -t alert,url)" = "7 19" ]
	[ "$(sum -t alert -t url)" = "7 19" ]
	[ "$(sum --vm web1)" = "6 20" ]
	[ "$(sum --vm '')" = "15 11" ]
	[ "$(sum -s high)" = "8 18" ]
	[ "$(sum --detections-only)" = "10 16" ]
	# kreport's own errors carry their own time, outside the window.
	[ "$(sum --since 2026-11-26T09:20 --until 2026-11-26T09:25)" = "6 20" ]
	run kreport --since yesterday "$MIXED"
	assert_failure 2
	assert_output --partial "--since wants a time"
	run kreport --since 2026-11-27 --until 2026-11-26 "$MIXED"
	assert_failure 2
}

@test "colour only on a terminal, and never with NO_COLOR" {
	command -v script >/dev/null || skip "script(1) is not installed"
	unset NO_COLOR
	run script -qec "TERM=xterm kreport -q '$MIXED'" /dev/null
	assert_output --partial $'\e[31mhigh\e[0m'
	run script -qec "TERM=xterm NO_COLOR=1 kreport -q '$MIXED'" /dev/null
	refute_output --partial $'\e['
	run bash -c "TERM=xterm kreport -q '$MIXED' | cat"
	refute_output --partial $'\e['
}

@test "CEF and syslog escape hostile names exactly as their formats say" {
	printf '%s\n' '{"timestamp":"2026-11-26T09:00:00.000000+0000","event_type":"file","program":"kf scan","vm":"a|b=c\\d]e\"f","file":{"path":"/x|y=z\\w]v\"u\nt\udce9s"},"verdict":"infected","matches":[{"rule":"R|1=2\\3"}]}' >"$T/h.jsonl"
	id=$(kreport -q -f json "$T/h.jsonl" >/dev/null; kreport -q -f syslog "$T/h.jsonl" | grep -o 'id="[0-9a-f]*"' | cut -d'"' -f2)
	run -1 kreport -q -f cef --hostname svm1 "$T/h.jsonl"
	assert_output "CEF:0|ksvm|kf scan|0.1.0|file:infected|R\\|1=2\\\\3|8|rt=1795683600000 externalId=$id cat=malware dvchost=svm1 cs1Label=vm cs1=a|b\\=c\\\\d]e\"f cs2Label=eventType cs2=file cs3Label=verdict cs3=infected filePath=/x|y\\=z\\\\w]v\"u\\nt"$'\xef\xbf\xbd'"s fname=x|y\\=z\\\\w]v\"u\\nt"$'\xef\xbf\xbd'"s"
	run -1 kreport -q -f syslog --hostname svm1 "$T/h.jsonl"
	assert_output --partial "<131>1 2026-11-26T09:00:00.000000Z svm1 kf_scan - file [ksvm@32473 id=\"$id\" type=\"file\" severity=\"high\" vm=\"a|b=c\\\\d\\]e\\\"f\" threat=\"R|1=2\\\\3\" verdict=\"infected\" path=\"/x|y=z\\\\w\\]v\\\"u"$'\xef\xbf\xbd'"t"$'\xef\xbf\xbd'"s\" category=\"malware\"] "$'\xef\xbb\xbf'"{"
	# One line each, valid UTF-8.
	[ "$(kreport -q -f syslog "$T/h.jsonl" | wc -l)" = 1 ]
	kreport -q -f syslog "$T/h.jsonl" | iconv -f UTF-8 -t UTF-8 >/dev/null
	kreport -q -f cef "$T/h.jsonl" | iconv -f UTF-8 -t UTF-8 >/dev/null
}

@test "syslog lines carry every event with its id and fit --max-message" {
	run --separate-stderr kreport -f syslog --max-message 600 "$MIXED"
	assert_failure 1
	[ "$(wc -l <<<"$output")" = 26 ]
	while IFS= read -r l; do
		[ "$(printf '%s' "$l" | wc -c)" -le 600 ]
		[[ $l =~ \ id=\"[0-9a-f]{32}\" ]]
	done <<<"$output"
	[ "$(grep -c 'truncated="msg"' <<<"$output")" = 6 ]
}

@test "EVE: network records pass through, others are left out, bad ones refused" {
	run --separate-stderr kreport -f eve "$MIXED"
	assert_failure 1
	[ "$(jq -r .event_type <<<"$output" | tr '\n' ' ')" = "alert alert anomaly http dns tls flow fileinfo " ]
	[ "$(jq -c 'select(has("program") or has("vm"))' <<<"$output")" = "" ]
	assert_equal "$(printf '%s\n' "$stderr" | grep 'not valid EVE')" "kreport: $MIXED:25: not valid EVE, left out: src_port must be an integer"
	[[ $stderr == *"eve: 17 records of types that are not EVE"* ]]
	# The alert is byte for byte the input, less program and vm.
	[ "$(jq -c 'select(.alert.signature_id == 2100498)' <<<"$output")" = "$(grep 2100498 "$MIXED" | jq -c 'del(.program, .vm)')" ]
}

@test "EVE output validates against Suricata's schema" {
	[ -f "$SCHEMAS/suricata-eve-schema-8.0.6.json" ] || skip "../shared/data/schemas is absent"
	kreport -q -f eve "$MIXED" >"$T/eve.jsonl" || true
	run $PY - "$SCHEMAS/suricata-eve-schema-8.0.6.json" "$T/eve.jsonl" <<-'PY'
	import json, sys, jsonschema
	s = json.load(open(sys.argv[1]))
	v = jsonschema.validators.validator_for(s)(s)
	n = 0
	for line in open(sys.argv[2]):
	    errs = list(v.iter_errors(json.loads(line)))
	    assert not errs, errs[0].message
	    n += 1
	print(n, "records valid")
	PY
	assert_success
	assert_output "8 records valid"
}

@test "SARIF validates against the SARIF 2.1.0 schemas" {
	[ -f "$SCHEMAS/sarif-schema-2.1.0.draft07.json" ] || skip "../shared/data/schemas is absent"
	kreport -q -f sarif --base /srv "$MIXED" >"$T/out.sarif" || true
	run $PY - "$SCHEMAS" "$T/out.sarif" <<-'PY'
	import json, os, sys, jsonschema
	doc = json.load(open(sys.argv[2]))
	for name, cls in (("sarif-schema-2.1.0.draft07.json", jsonschema.Draft7Validator),
	                  ("sarif-schema-2.1.0.errata01.draft04.json", jsonschema.Draft4Validator)):
	    s = json.load(open(os.path.join(sys.argv[1], name)))
	    errs = list(cls(s).iter_errors(doc))
	    assert not errs, (name, errs[0].message)
	print("valid", len(doc["runs"][0]["results"]))
	PY
	assert_success
	assert_output "valid 4"
}

@test "SARIF has what GitHub code scanning needs, paths relative to --base" {
	mkdir -p "$T/repo/src"
	{ infected "$T/repo/src/bad one.exe" Trojan_X; infected /etc/passwd Odd; clean "$T/repo/ok"; } >"$T/scan.jsonl"
	cd "$T/repo"
	run --separate-stderr kreport -f sarif --base . "$T/scan.jsonl"
	assert_failure 1
	sarif=$output
	q() { jq -r "$1" <<<"$sarif"; }
	[ "$(q '.version, .runs[0].tool.driver.name' | tr '\n' ' ')" = "2.1.0 ksvm " ]
	[ "$(q '.runs[0].tool.driver.rules | map(.id) | join(",")')" = "Trojan_X,Odd" ]
	[ "$(q '.runs[0].tool.driver.rules[0] | [.shortDescription.text, .defaultConfiguration.level, .properties."security-severity"] | join(" ")')" = "Trojan_X error 8.0" ]
	[ "$(q '.runs[0].results | length')" = 2 ]
	[ "$(q '.runs[0].results[0] | [.ruleId, (.ruleIndex | tostring), .level, .message.text] | join("|")')" = "Trojan_X|0|error|Trojan_X found in $T/repo/src/bad one.exe on web1; action: report." ]
	[ "$(q '.runs[0].results[0].locations[0].physicalLocation | "\(.artifactLocation.uri) \(.artifactLocation.uriBaseId) \(.region.startLine)"')" = "src/bad%20one.exe SRCROOT 1" ]
	[ "$(q '.runs[0].results[1].locations[0].physicalLocation.artifactLocation | "\(.uri) \(.uriBaseId)"')" = "file:///etc/passwd null" ]
	[ "$(q '.runs[0].originalUriBaseIds.SRCROOT.uri')" = "file://$T/repo/" ]
	[ "$(q '.runs[0].results[0].partialFingerprints."ksvmDetection/v1" | length')" = 64 ]
	# The fingerprint is the same on the next run over the same files.
	fp1=$(q '.runs[0].results[0].partialFingerprints."ksvmDetection/v1"')
	SOURCE_DATE_EPOCH=1795699999 kreport -q -f sarif --base . -o "$T/again.sarif" "$T/scan.jsonl" || true
	[ "$(jq -r '.runs[0].results[0].partialFingerprints."ksvmDetection/v1"' "$T/again.sarif")" = "$fp1" ]
	# Nothing found: exit 0 and an empty, valid result list.
	run kreport -q -f sarif --base . <(clean "$T/repo/ok")
	assert_success
	[ "$(jq -r '.runs[0].results | length' <<<"$output")" = 0 ]
}

@test "the HTML report renders in headless Chromium with its rows and bars" {
	command -v chromium >/dev/null || skip "chromium is not installed"
	kreport -q -f html -o "$T/report.html" "$MIXED" || true
	# Self-contained: no URL of any kind is loaded.
	! grep -Eq '(src|href)=|url\(|@import' "$T/report.html"
	timeout 60 chromium --headless --no-sandbox --disable-gpu --disable-quic \
		--no-first-run --disable-background-networking --disable-component-update \
		--disable-sync --user-data-dir="$T/chromium" \
		--dump-dom "file://$T/report.html" >"$T/dom.html" 2>"$T/chromium.log"
	run $PY - "$T/dom.html" <<-'PY'
	import sys
	from html.parser import HTMLParser
	class P(HTMLParser):
	    def __init__(self):
	        super().__init__()
	        self.rows = []; self.bars = {}; self.svg = None; self.td = None; self.cells = None
	    def handle_starttag(self, tag, a):
	        a = dict(a)
	        if tag == "svg" and a.get("id", "").startswith("chart-"):
	            self.svg = a["id"]; self.bars[self.svg] = []
	        if tag == "rect" and self.svg and "bar" in a.get("class", ""):
	            self.bars[self.svg].append((a.get("data-label") or a.get("data-severity"), int(a["data-count"])))
	        if tag == "tr" and a.get("class") == "detection":
	            self.cells = []; self.rows.append(self.cells)
	        if tag == "td" and self.cells is not None:
	            self.cells.append("")
	    def handle_endtag(self, tag):
	        if tag == "svg": self.svg = None
	        if tag == "tr": self.cells = None
	    def handle_data(self, d):
	        if self.cells: self.cells[-1] += d
	p = P(); p.feed(open(sys.argv[1]).read())
	print("rows", len(p.rows))
	print("row1", " | ".join(p.rows[1][:7]))
	print("time", sum(c for _, c in p.bars["chart-time"]))
	for k in ("chart-vm", "chart-category", "chart-threats", "chart-signatures"):
	    print(k, ",".join("%s=%d" % b for b in p.bars[k]))
	PY
	assert_success
	assert_line "rows 10"
	assert_line "row1 2026-11-26 09:05:00 | critical | db1 | file | EICAR_Test_FileBad-Hash-1 | malware | /srv/db1/a.zipin /srv/db1/a.zip!bin/eicar.com"
	assert_line "time 10"
	assert_line "chart-vm web1=4,(none)=3,db1=1,web2=1,web|1=x]\\y=1"
	assert_line "chart-category malware=5,alert=1,c2=yes=1,phishing=1,Potentially Bad Traffic=1,Misc activity=1"
	assert_line --partial "chart-threats EICAR_Test_File=3,Bad-Hash-1=1,"
	assert_line "chart-signatures [1] port as a string=1,[2100498] GPL ATTACK_RESPONSE id check returned root=1,[2027863] ET INFO Observed DNS Query to .cloud TLD=1"
}

@test "unknown event types are counted and passed through" {
	printf '%s\n' '{"timestamp":"2026-11-26T09:00:00.000000+0000","event_type":"brand-new","program":"kfuture","note":"x"}' >"$T/new.jsonl"
	run -0 kreport -q -f json "$T/new.jsonl"
	[ "$(jq -c '.summary.other_types' <<<"$output")" = '[{"event_type":"brand-new","count":1,"severity":"info"}]' ]
	run -0 kreport -q -f cef "$T/new.jsonl"
	assert_output --partial "CEF:0|ksvm|kfuture|0.1.0|brand-new|brand-new|1|"
	run -0 kreport -q -f syslog "$T/new.jsonl"
	assert_output --partial "kfuture - brand-new [ksvm@32473"
	assert_output --partial '"note":"x"}'
}

@test "the configuration file's [kreport] section, with every error and its line" {
	cat >"$T/ksvm.conf" <<-EOF
	[kreport]
	spool_full = sometimes
	facility = local9
	colour = yes
	EOF
	run kreport --config "$T/ksvm.conf" "$MIXED"
	assert_failure 2
	assert_line "$T/ksvm.conf:2: spool_full: wants block or drop-oldest"
	assert_line "$T/ksvm.conf:3: facility: unknown 'local9'"
	assert_line --partial "$T/ksvm.conf:4:"
	printf '[kreport]\nfacility = auth\nhostname = from-conf\n' >"$T/ok.conf"
	run -1 kreport -q --config "$T/ok.conf" -f syslog "$MIXED"
	assert_line --index 0 --regexp '^<38>1 .* from-conf kfscan - file '
	run -1 kreport -q --config "$T/ok.conf" --hostname cli -f syslog "$MIXED"
	assert_line --index 0 --regexp '^<38>1 .* cli kfscan - file '
}

@test "network records go to the guest whose address they go to (else come from), by [vm NAME] address" {
	cat >"$T/in" <<-'EOF'
	{"timestamp":"2026-11-26T09:00:00.000000+0000","event_type":"alert","program":"knetscan","src_ip":"203.0.113.9","src_port":4444,"dest_ip":"10.0.0.5","dest_port":80,"proto":"TCP","alert":{"action":"blocked","gid":1,"signature_id":1,"rev":1,"signature":"to web","category":"c","severity":1}}
	{"timestamp":"2026-11-26T09:00:01.000000+0000","event_type":"alert","program":"knetscan","src_ip":"10.0.1.7","src_port":5555,"dest_ip":"198.51.100.1","dest_port":443,"proto":"TCP","alert":{"action":"allowed","gid":1,"signature_id":2,"rev":1,"signature":"from db subnet","category":"c","severity":2}}
	{"timestamp":"2026-11-26T09:00:02.000000+0000","event_type":"alert","program":"knetscan","src_ip":"192.0.2.1","dest_ip":"192.0.2.2","proto":"TCP","alert":{"action":"allowed","gid":1,"signature_id":3,"rev":1,"signature":"no guest","category":"c","severity":3}}
	{"timestamp":"2026-11-26T09:00:03.000000+0000","event_type":"alert","program":"knetscan","vm":"named","src_ip":"10.0.0.5","dest_ip":"10.0.0.6","proto":"TCP","alert":{"action":"allowed","gid":1,"signature_id":4,"rev":1,"signature":"has a vm","category":"c","severity":3}}
	EOF
	printf '[vm web]\naddress = 10.0.0.5\n[vm lan]\naddress = 10.0.0.0/16\n[vm db]\naddress = 10.0.1.0/24, 2001:db8::/64\n' >"$T/g.conf"
	run -1 kreport -q --config "$T/g.conf" -f cef "$T/in"
	[ "$(grep -o 'cs1=[a-z]*' <<<"$output" | tr '\n' ' ')" = "cs1=web cs1=db cs1=named " ]
	# --no-relay: the file's guests, not its relay (no spool, no sending).
	printf '[kreport]\nto = tcp://127.0.0.1:9\nspool = %s\n[vm web]\naddress = 10.0.0.5\n' "$T/sp" >"$T/r.conf"
	run -1 kreport -q --config "$T/r.conf" --no-relay -f cef "$T/in"
	[ "$(grep -c 'cs1=web' <<<"$output")" = 1 ]
	[ ! -e "$T/sp" ]
	printf '[vm web]\naddress = 10.0.0.5, 10.0.0.999\n' >"$T/bad.conf"
	run -2 --separate-stderr kreport --config "$T/bad.conf" --check-config
	[[ $stderr == *"bad.conf:2: [vm web] address: '10.0.0.999' is not an address or a subnet"* ]]
}

@test "the sample configuration (samples/etc/ksvm.conf) is valid for kreport" {
	sed -e "s|/var/spool/ksvm/kreport|$T/spool|" "$TOP/samples/etc/ksvm.conf" >"$T/ksvm.conf"
	run --separate-stderr kreport --config "$T/ksvm.conf" -f json "$MIXED"
	assert_failure 1
	[ "$(jq -r .summary.records <<<"$output")" = 26 ]
	! grep -q "ksvm.conf:" <<<"$stderr"
}

@test "usage errors exit 2" {
	run kreport -f pdf "$MIXED"
	assert_failure 2
	assert_output --partial "unknown format 'pdf'"
	run kreport --to ftp://x "$MIXED"
	assert_failure 2
	run kreport --max-message 100 "$MIXED"
	assert_failure 2
	run kreport --ca /dev/null "$MIXED"
	assert_failure 2
	assert_output --partial "are for a tls:// destination"
	run kreport --version
	assert_success
	assert_line --index 0 "kreport (ksvm) 0.1.0"
}

@test "a closed output is a failure, reported" {
	run bash -c "kreport -f syslog '$MIXED' $(printf '%q ' $(for i in $(seq 1 400); do echo "$MIXED"; done)) | head -1 >/dev/null; echo \${PIPESTATUS[0]}"
	assert_output --partial "Broken pipe"
	assert_line --index -1 1
}
