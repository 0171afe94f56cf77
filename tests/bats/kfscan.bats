#!/usr/bin/env bats
# kfscan: detection, archives, actions, quarantine, special files, inputs,
# cache, and exit codes.

bats_require_minimum_version 1.5.0
load helpers

EICAR_SHA256=275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f

setup() {
	T="$BATS_TEST_TMPDIR"
	mkdir -p "$T/tree/sub"
	eicar >"$T/tree/eicar.com"
	printf 'hello world\n' >"$T/tree/sub/readme.txt"
	printf '#!/bin/sh\necho hi\n' >"$T/tree/sub/run.sh"
	export Q="$T/quarantine"
}

make_zip() { # ARCHIVE then NAME=SOURCE pairs
	$PY - "$@" <<-'PY'
	import sys, zipfile
	z = zipfile.ZipFile(sys.argv[1], "w", zipfile.ZIP_DEFLATED)
	for spec in sys.argv[2:]:
	    name, src = spec.split("=", 1)
	    z.write(src, name)
	z.close()
	PY
}

@test "EICAR is found in a plain file with the built-in rules: exit 1, exact fields" {
	run --separate-stderr kfs "$T/tree/eicar.com"
	assert_failure 1
	rec=$(records file <<<"$output")
	[ "$(jq -r .verdict <<<"$rec")" = infected ]
	[ "$(jq -r .file.sha256 <<<"$rec")" = "$EICAR_SHA256" ]
	[ "$(jq -r .file.size <<<"$rec")" = 68 ]
	[ "$(jq -r .file.mime_type <<<"$rec")" = text/plain ]
	[ "$(jq -r '.matches[0].rule, .matches[0].source, .matches[0].rule_set' <<<"$rec" | tr '\n' ' ')" = "EICAR_Test_File yara builtin " ]
	[ "$(jq -r '.matches[0].strings[0] | "\(.id) \(.offset) \(.length)"' <<<"$rec")" = '$eicar 0 68' ]
	[ "$(jq -r '.action.taken, .action.access' <<<"$rec" | tr '\n' ' ')" = "report allow " ]
	# report only: the file is untouched
	[ "$(sha256sum <"$T/tree/eicar.com" | cut -c1-64)" = "$EICAR_SHA256" ]
}

@test "EICAR is found inside a zip and inside a tar.gz, named archive!member" {
	make_zip "$T/a.zip" "docs/readme.txt=$T/tree/sub/readme.txt" "bin/eicar.com=$T/tree/eicar.com"
	tar -C "$T/tree" -czf "$T/b.tar.gz" eicar.com sub
	run --separate-stderr kfs "$T/a.zip" "$T/b.tar.gz"
	assert_failure 1
	[ "$(records file <<<"$output" | jq -r '.matches[].member' | sort | tr '\n' ' ')" = "$T/a.zip!bin/eicar.com $T/b.tar.gz!eicar.com " ]
	[ "$(records file <<<"$output" | jq -r 'select(.file.path | endswith("a.zip")) | "\(.archive.format) \(.archive.members)"')" = "zip 2" ]
	[ "$(records file <<<"$output" | jq -r 'select(.file.path | endswith("tar.gz")) | .archive.members')" = 3 ]
}

@test "a clean tree gives exit 0 and no detection; records and stats validate" {
	rm "$T/tree/eicar.com"
	cp /bin/ls /bin/true "$T/tree/"
	tar -C "$T/tree" -czf "$T/tree/sub/backup.tgz" sub/readme.txt
	run --separate-stderr kfs "$T/tree"
	assert_success
	[ "$(records file <<<"$output" | jq -r .verdict | sort -u)" = clean ]
	[ "$(records file <<<"$output" | wc -l)" = 5 ]
	[ "$(records stats <<<"$output" | jq -r '"\(.stats.files) \(.stats.clean) \(.stats.infected)"')" = "5 5 0" ]
	run validate_records <<<"$output"
	assert_success
}

@test "a FIFO, a socket and a symlink in the tree are skipped without blocking" {
	mkfifo "$T/tree/pipe"
	$PY -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])' "$T/tree/sock"
	ln -s sub/readme.txt "$T/tree/link"
	run --separate-stderr timeout 20 kfscan --no-cache -j2 "$T/tree"
	assert_failure 1
	[ "$(records file <<<"$output" | jq -r 'select(.verdict=="skipped") | "\(.file.path | sub(".*/";"")) \(.skipped.reason)"' | sort | tr '\n' ' ')" = "link symlink pipe fifo sock socket " ]
}

@test "-L follows links; a symlink loop is reported and the scan finishes" {
	ln -s .. "$T/tree/sub/up"
	run --separate-stderr timeout 20 kfscan --no-cache -j1 -L "$T/tree"
	assert_failure 1
	[ "$(records file <<<"$output" | jq -r 'select(.skipped.reason=="loop") | .file.path')" = "$T/tree/sub/up" ]
	[ "$(records file <<<"$output" | jq -r 'select(.verdict=="infected") | .file.path')" = "$T/tree/eicar.com" ]
}

@test "an unreadable file is an error record and the scan goes on" {
	# A tree others can walk into, so an unprivileged scan reaches it.
	T=$(mktemp -d /tmp/kfscan-perm.XXXXXX)
	chmod 755 "$T"
	mkdir -p "$T/tree/sub"
	eicar >"$T/tree/eicar.com"
	printf 'hello\n' >"$T/tree/sub/readme.txt"
	printf '#!/bin/sh\n' >"$T/tree/sub/run.sh"
	printf 'secret\n' >"$T/tree/sub/secret.txt"
	chmod 000 "$T/tree/sub/secret.txt"
	chmod 755 "$T/tree" "$T/tree/sub"
	if [ "$(id -u)" = 0 ]; then
		command -v setpriv >/dev/null || skip "setpriv is not installed"
		chmod o+r "$T/tree/eicar.com" "$T/tree/sub/readme.txt" "$T/tree/sub/run.sh"
		run --separate-stderr setpriv --reuid=65534 --regid=65534 --clear-groups "$KSVM_BIN/kfscan" --no-cache -j1 "$T/tree"
	else
		run --separate-stderr kfs "$T/tree"
	fi
	assert_failure 1
	[ "$(records file <<<"$output" | jq -r 'select(.verdict=="error") | "\(.file.path) \(.error.kind)"')" = "$T/tree/sub/secret.txt perm" ]
	[ "$(records file <<<"$output" | jq -r 'select(.verdict=="clean") | .file.path' | wc -l)" = 2 ]
	rm -rf "$T"
}

@test "a file name with invalid UTF-8 and a newline gives valid JSON that round-trips" {
	name=$(printf 'bad\xe9\nname.com')
	eicar >"$T/tree/$name"
	run --separate-stderr kfs "$T/tree"
	assert_failure 1
	run bash -c "printf '%s\n' \"\$1\" | '$TOP/tests/validate-records'" _ "$output"
	assert_success
	got=$(kfs "$T/tree" | $PY -c '
import json, os, sys
for line in sys.stdin:
    r = json.loads(line)
    if r["event_type"] == "file" and r["verdict"] == "infected":
        p = os.fsencode(r["file"]["path"])
        if b"\n" in p:
            sys.stdout.buffer.write(p.hex().encode())')
	[ "$got" = "$(printf '%s' "$T/tree/$name" | od -An -tx1 | tr -d ' \n')" ]
}

@test "a broken rule file stops the run with file and line (exit 2); --skip-bad-rules leaves it out" {
	printf 'rule ok { condition: true }\n' >"$T/good.yar"
	printf 'rule broken {\n  strings: $a = "x"\n  condition: $b\n}\n' >"$T/bad.yar"
	run --separate-stderr kfs -r "$T/good.yar" -r "$T/bad.yar" "$T/tree/sub"
	assert_failure 2
	[ -z "$output" ]
	[[ "$stderr" =~ "$T/bad.yar:"[34]": error: undefined string \"\$b\"" ]]
	[[ "$stderr" == *"nothing was scanned"* ]]
	run --separate-stderr kfs --skip-bad-rules -r "$T/good.yar" -r "$T/bad.yar" "$T/tree/sub"
	assert_failure 1
	[[ "$stderr" == *"left out $T/bad.yar"* ]]
	[ "$(records file <<<"$output" | jq -r '.matches[0].rule' | sort -u)" = ok ]
}

@test "rules in a directory, compiled with --save-rules and loaded back" {
	mkdir -p "$T/rules/more"
	printf 'rule hello_word { strings: $h = "hello" condition: $h }\n' >"$T/rules/a.yar"
	printf 'rule shell_script : script { meta: author = "t" strings: $s = "#!/bin/sh" condition: $s at 0 }\n' >"$T/rules/more/b.yara"
	printf 'not a rule\n' >"$T/rules/notes.txt"
	run --separate-stderr kfs --no-builtin-rules -r "$T/rules" "$T/tree/sub"
	assert_failure 1
	[ "$(records file <<<"$output" | jq -r '"\(.file.path | sub(".*/";"")) \([.matches[]?.rule] | join(","))"' | sort | tr '\n' ' ')" = "readme.txt hello_word run.sh shell_script " ]
	[ "$(records file <<<"$output" | jq -r 'select(.matches[0].rule=="shell_script") | "\(.matches[0].tags[0]) \(.matches[0].meta.author)"')" = "script t" ]
	run --separate-stderr kfs --no-builtin-rules -r "$T/rules" --save-rules "$T/compiled.yarc"
	assert_success
	[ "$(head -c 4 "$T/compiled.yarc")" = YARA ]
	run --separate-stderr kfs --no-builtin-rules -r "$T/compiled.yarc" "$T/tree/sub/run.sh"
	assert_failure 1
	[ "$(records file <<<"$output" | jq -r '.matches[0].rule')" = shell_script ]
}

@test "external variables filename, extension, filetype and owner are set for rules" {
	printf 'rule ext { condition: extension == ".sh" and filename == "run.sh" and filetype == "text/x-shellscript" and owner == "%s" }\n' "$(id -un)" >"$T/ext.yar"
	run --separate-stderr kfs --no-builtin-rules -r "$T/ext.yar" "$T/tree/sub"
	assert_failure 1
	[ "$(records file <<<"$output" | jq -r 'select(.verdict=="infected") | .file.path')" = "$T/tree/sub/run.sh" ]
}

@test "hash lists: SHA-256 (sha256sum form) and MD5 (ClamAV .hdb form) detect" {
	sha256sum "$T/tree/sub/readme.txt" | sed 's/  .*/  Test.Readme/' >"$T/list.hsb"
	printf '%s:%s:Test.Script\n' "$(md5sum <"$T/tree/sub/run.sh" | cut -c1-32)" "$(stat -c %s "$T/tree/sub/run.sh")" >"$T/list.hdb"
	printf 'garbage line\n' >>"$T/list.hdb"
	run --separate-stderr kfs -H "$T/list.hsb" -H "$T/list.hdb" "$T/tree/sub"
	assert_failure 1
	[ "$(records file <<<"$output" | jq -r 'select(.verdict=="infected") | "\(.matches[0].rule) \(.matches[0].source) \(.matches[0].hash)"' | sort | tr '\n' ' ')" = "Test.Readme hash sha256 Test.Script hash md5 " ]
	[[ "$stderr" == *"list.hdb: 1 lines are not hash entries (first at line 2)"* ]]
}

@test "profile block: access denied, file untouched" {
	run --separate-stderr kfs -p block "$T/tree/eicar.com"
	assert_failure 1
	[ "$(records file <<<"$output" | jq -r '"\(.profile) \(.action.taken) \(.action.access)"')" = "block block deny" ]
	[ -f "$T/tree/eicar.com" ]
}

@test "profile quarantine: the file moves into the store; restore is byte-identical with mode and times" {
	chmod 0640 "$T/tree/eicar.com"
	touch -d '2020-01-02 03:04:05.123456789' "$T/tree/eicar.com"
	run --separate-stderr kfs -p quarantine --quarantine "$Q" "$T/tree/eicar.com"
	assert_failure 1
	id=$(records file <<<"$output" | jq -r '.action.attempts[0].quarantine_id')
	[ "$(records file <<<"$output" | jq -r '"\(.action.taken) \(.action.access)"')" = "quarantine deny" ]
	[ ! -e "$T/tree/eicar.com" ]
	[ "$(stat -c %a "$Q")" = 700 ]
	[ "$(sha256sum <"$Q/$id.data" | cut -c1-64)" = "$EICAR_SHA256" ]
	run --separate-stderr kfscan quarantine --dir "$Q" list
	assert_success
	[ "$(jq -r '.quarantine | "\(.id) \(.path) \(.detection) \(.mode)"' <<<"$output")" = "$id $T/tree/eicar.com EICAR_Test_File 0640" ]
	run --separate-stderr kfscan quarantine --dir "$Q" restore "$id"
	assert_success
	[ "$(jq -r '.quarantine.result' <<<"$output")" = ok ]
	[ "$(sha256sum <"$T/tree/eicar.com" | cut -c1-64)" = "$EICAR_SHA256" ]
	[ "$(stat -c '%a %y' "$T/tree/eicar.com")" = "640 2020-01-02 03:04:05.123456789 +0000" ]
	[ ! -e "$Q/$id.data" ]
}

@test "restore refuses to overwrite an existing file unless --overwrite; --to and --keep" {
	run --separate-stderr kfs -p quarantine --quarantine "$Q" "$T/tree/eicar.com"
	id=$(records file <<<"$output" | jq -r '.action.attempts[0].quarantine_id')
	echo other >"$T/tree/eicar.com"
	run --separate-stderr kfscan quarantine --dir "$Q" restore "$id"
	assert_failure 2
	[ "$(jq -r .quarantine.result <<<"$output")" = failed ]
	[ "$(cat "$T/tree/eicar.com")" = other ]
	run --separate-stderr kfscan quarantine --dir "$Q" restore --to "$T/copy.com" --keep "$id"
	assert_success
	[ "$(sha256sum <"$T/copy.com" | cut -c1-64)" = "$EICAR_SHA256" ]
	[ -e "$Q/$id.data" ]
	run --separate-stderr kfscan quarantine --dir "$Q" restore --overwrite "$id"
	assert_success
	[ "$(sha256sum <"$T/tree/eicar.com" | cut -c1-64)" = "$EICAR_SHA256" ]
	run --separate-stderr kfscan quarantine --dir "$Q" delete "$id"
	assert_failure 2
	run --separate-stderr kfscan quarantine --dir "$Q" show ../../etc/passwd
	assert_failure 2
}

@test "profile delete removes the file" {
	run --separate-stderr kfs -p delete "$T/tree/eicar.com"
	assert_failure 1
	[ "$(records file <<<"$output" | jq -r '"\(.action.taken) \(.action.access)"')" = "delete deny" ]
	[ ! -e "$T/tree/eicar.com" ]
}

@test "disinfect truncates an appended payload, keeps the original in quarantine, and the cured file is clean" {
	printf 'MZ\x90\x00legit program body\n' >"$T/prog.exe"
	chmod 0751 "$T/prog.exe"
	orig=$(sha256sum <"$T/prog.exe" | cut -c1-64)
	clean_len=$(stat -c %s "$T/prog.exe")
	printf 'EVIL-PAYLOAD-BEGIN do bad things' >>"$T/prog.exe"
	infected=$(sha256sum <"$T/prog.exe" | cut -c1-64)
	printf 'rule appended { meta: ksvm_cure = "truncate" ksvm_cure_string = "$p" strings: $p = "EVIL-PAYLOAD-BEGIN" condition: $p }\n' >"$T/cure.yar"
	run --separate-stderr kfs -r "$T/cure.yar" -p disinfect --quarantine "$Q" "$T/prog.exe"
	assert_failure 1
	rec=$(records file <<<"$output")
	[ "$(jq -r '"\(.action.taken) \(.action.access) \(.action.attempts | length)"' <<<"$rec")" = "disinfect allow 1" ]
	[ "$(stat -c '%s %a' "$T/prog.exe")" = "$clean_len 751" ]
	[ "$(sha256sum <"$T/prog.exe" | cut -c1-64)" = "$orig" ]
	id=$(jq -r '.action.attempts[0].quarantine_id' <<<"$rec")
	[ "$(sha256sum <"$Q/$id.data" | cut -c1-64)" = "$infected" ]
	[ "$(jq -r .reason "$Q/$id.json")" = disinfect-backup ]
	run kfs -r "$T/cure.yar" "$T/prog.exe"
	assert_success
}

@test "disinfect wipes matched bytes with the fill byte" {
	printf 'AAAA-SIGNATURE-BBBB' >"$T/w.bin"
	printf 'rule wipeme { meta: ksvm_cure = "wipe" ksvm_cure_fill = 46 strings: $s = "SIGNATURE" condition: $s }\n' >"$T/w.yar"
	run --separate-stderr kfs -r "$T/w.yar" -p disinfect --quarantine "$Q" "$T/w.bin"
	assert_failure 1
	[ "$(cat "$T/w.bin")" = 'AAAA-.........-BBBB' ]
}

@test "disinfect falls back: no cure declared -> quarantine; still detected after the cure -> quarantine" {
	run --separate-stderr kfs -p disinfect --quarantine "$Q" "$T/tree/eicar.com"
	assert_failure 1
	rec=$(records file <<<"$output")
	[ "$(jq -r '[.action.attempts[] | "\(.action):\(.result)"] | join(" ")' <<<"$rec")" = "disinfect:failed quarantine:ok" ]
	[[ "$(jq -r '.action.attempts[0].detail' <<<"$rec")" == *"declares no cure"* ]]
	[ ! -e "$T/tree/eicar.com" ]
	# A cure that leaves a second signature in place.
	printf 'head SIG1 middle SIG2 tail' >"$T/two.bin"
	printf 'rule first { meta: ksvm_cure = "wipe" strings: $a = "SIG1" condition: $a }\nrule second_no_cure_needed { strings: $b = "SIG2" condition: $b and not $b at 0 and filesize > 100 }\nrule still { strings: $c = "tail" condition: $c and not uint8(5) == 0x53 }\n' >"$T/two.yar"
	run --separate-stderr kfs -r "$T/two.yar" -p disinfect --quarantine "$Q" "$T/two.bin"
	assert_failure 1
	rec=$(records file <<<"$output")
	[ "$(jq -r '[.action.attempts[] | "\(.action):\(.result)"] | join(" ")' <<<"$rec")" = "disinfect:failed quarantine:ok" ]
}

@test "a cure that leaves the file detected falls back, and the original stays in quarantine" {
	printf 'XX-MARK-YY-OTHER' >"$T/m.bin"
	printf 'rule mark { meta: ksvm_cure = "wipe" ksvm_cure_string = "$a" strings: $a = "MARK" $b = "OTHER" condition: any of them }\n' >"$T/m.yar"
	run --separate-stderr kfs -r "$T/m.yar" -p disinfect --quarantine "$Q" "$T/m.bin"
	assert_failure 1
	rec=$(records file <<<"$output")
	[ "$(jq -r '.action.attempts[0].result' <<<"$rec")" = failed ]
	[[ "$(jq -r '.action.attempts[0].detail' <<<"$rec")" == *"still detected after the cure"* ]]
	[ "$(jq -r '.action.taken' <<<"$rec")" = quarantine ]
	[ ! -e "$T/m.bin" ]
}

@test "killing kfscan at every step of a quarantine never loses the file" {
	for point in quarantine-after-copy quarantine-after-meta quarantine-after-rename quarantine-after-unlink; do
		rm -rf "$Q" "$T/v"
		mkdir -p "$T/v"
		eicar >"$T/v/e.com"
		run env KSVM_FAULT=$point "$KSVM_BIN/kfscan" --no-cache -j1 -p quarantine --quarantine "$Q" "$T/v/e.com"
		[ "$status" = 137 ] || { echo "$point: status $status"; false; }
		# Recovery runs when the store is opened again.
		run --separate-stderr kfscan quarantine --dir "$Q" list
		assert_success
		entries=$(jq -r 'select(.quarantine.id) | .quarantine.id' <<<"$output" | wc -l)
		[ -z "$(ls "$Q" | grep '^tmp-' || true)" ]
		if [ -e "$T/v/e.com" ]; then
			[ "$(sha256sum <"$T/v/e.com" | cut -c1-64)" = "$EICAR_SHA256" ]
			case $point in quarantine-after-copy|quarantine-after-meta) [ "$entries" = 0 ] ;; esac
		else
			[ "$entries" = 1 ] || { echo "$point: file gone and $entries entries"; false; }
			id=$(jq -r '.quarantine.id' <<<"$output")
			[ "$(sha256sum <"$Q/$id.data" | cut -c1-64)" = "$EICAR_SHA256" ]
		fi
	done
}

@test "files larger than --max-size are skipped and reported" {
	head -c 5000 /dev/zero >"$T/tree/big.bin"
	run --separate-stderr kfs --max-size 4K "$T/tree"
	assert_failure 1
	[ "$(records file <<<"$output" | jq -r 'select(.verdict=="skipped") | "\(.file.path | sub(".*/";"")) \(.skipped.reason) \(.file.size)"')" = "big.bin too-large 5000" ]
}

@test "an archive bomb hits the ratio cap and says so" {
	$PY - "$T/bomb.zip" <<-'PY'
	import sys, zipfile
	z = zipfile.ZipFile(sys.argv[1], "w", zipfile.ZIP_DEFLATED)
	z.writestr("zeros.bin", b"\0" * (64 << 20))
	z.close()
	PY
	[ "$(stat -c %s "$T/bomb.zip")" -lt 200000 ]
	run --separate-stderr kfs --archive-ratio 50 "$T/bomb.zip"
	assert_success
	rec=$(records file <<<"$output")
	[ "$(jq -r '.archive.capped | join(",")' <<<"$rec")" = ratio ]
	[ "$(jq -r '.archive.bytes' <<<"$rec")" -lt $((16 << 20)) ]
}

@test "nested archives beyond --archive-depth are capped; within it they are opened" {
	make_zip "$T/l1.zip" "e.com=$T/tree/eicar.com"
	make_zip "$T/l2.zip" "l1.zip=$T/l1.zip"
	make_zip "$T/l3.zip" "l2.zip=$T/l2.zip"
	run --separate-stderr kfs --archive-depth 3 "$T/l3.zip"
	assert_failure 1
	[ "$(records file <<<"$output" | jq -r '.matches[0].member')" = "$T/l3.zip!l2.zip!l1.zip!e.com" ]
	run --separate-stderr kfs --archive-depth 2 "$T/l3.zip"
	assert_success
	[ "$(records file <<<"$output" | jq -r '.archive.capped | join(",")')" = depth ]
}

@test "--include, --exclude and --exclude-path choose what is scanned" {
	run --separate-stderr kfs --include '*.txt' "$T/tree"
	assert_success
	[ "$(records file <<<"$output" | jq -r '.file.path | sub(".*/";"")')" = readme.txt ]
	run --separate-stderr kfs --exclude '*.com' --exclude-path "$T/tree/sub" "$T/tree"
	assert_success
	[ "$(records file <<<"$output" | wc -l)" = 0 ]
	# the .com file and the sub directory (not entered)
	[ "$(records stats <<<"$output" | jq -r .stats.excluded)" = 2 ]
}

@test "paths from stdin (-) and from --files-from, newline or NUL separated" {
	run --separate-stderr bash -c "printf '%s\n' '$T/tree/eicar.com' '$T/tree/sub/readme.txt' | kfscan --no-cache -j1 -"
	assert_failure 1
	[ "$(records file <<<"$output" | wc -l)" = 2 ]
	printf '%s\0' "$T/tree/sub/readme.txt" "$T/tree/sub/run.sh" >"$T/list0"
	run --separate-stderr kfs --files-from "$T/list0"
	assert_success
	[ "$(records file <<<"$output" | jq -r .file.path | tr '\n' ' ')" = "$T/tree/sub/readme.txt $T/tree/sub/run.sh " ]
}

@test "--requests answers each request with its id, event and vm; bad requests are answered or reported" {
	run --separate-stderr kfscan --requests --no-cache -j2 <<-EOF
	{"id":"r1","path":"$T/tree/eicar.com","vm":"web1","event":{"op":"open","pid":42}}
	{"id":7,"path":"$T/tree/sub/readme.txt"}
	not json
	{"id":"r3","path":"relative/x"}
	{"path":"$T/tree/sub/readme.txt"}
	{"id":"r5","path":"$T/tree/sub/readme.txt","profile":"no-such-profile"}
	{"id":"r6","path":"$T/tree/missing"}
	EOF
	assert_failure 1
	[ "$(records file <<<"$output" | jq -r '"\(.id) \(.verdict)"' | sort | tr '\n' ' ')" = "7 clean r1 infected r3 error r5 error r6 error " ]
	[ "$(records file <<<"$output" | jq -c 'select(.id=="r1") | [.vm, .event.pid]')" = '["web1",42]' ]
	[ "$(records error <<<"$output" | jq -r .error.line | tr '\n' ' ')" = "3 5 " ]
	run validate_records <<<"$output"
	assert_success
}

@test "the cache: an unchanged rescan comes from the cache; a change or new rules rescan" {
	c="$T/cache.lmdb"
	run kfscan -j1 --cache "$c" "$T/tree/sub"
	assert_success
	[ "$(records file <<<"$output" | jq -r '.cached // false' | sort -u)" = false ]
	run kfscan -j1 --cache "$c" "$T/tree/sub"
	[ "$(records file <<<"$output" | jq -r '.cached' | sort -u)" = true ]
	[ "$(records file <<<"$output" | jq -r 'select(.file.path|endswith("readme.txt")) | .file.sha256')" = "$(sha256sum <"$T/tree/sub/readme.txt" | cut -c1-64)" ]
	printf 'changed\n' >>"$T/tree/sub/readme.txt"
	run kfscan -j1 --cache "$c" "$T/tree/sub"
	[ "$(records file <<<"$output" | jq -r '"\(.file.path | sub(".*/";"")) \(.cached // false)"' | sort | tr '\n' ' ')" = "readme.txt false run.sh true " ]
	printf 'rule changed { condition: false }\n' >"$T/new.yar"
	run kfscan -j1 --cache "$c" -r "$T/new.yar" "$T/tree/sub"
	[ "$(records file <<<"$output" | jq -r '.cached // false' | sort -u)" = false ]
}

@test "a detection and an error in one run exit 1; errors alone exit 2" {
	run --separate-stderr kfs "$T/tree/eicar.com" "$T/nope"
	assert_failure 1
	run --separate-stderr kfs "$T/tree/sub" "$T/nope"
	assert_failure 2
	[ "$(records file <<<"$output" | jq -r 'select(.verdict=="error") | .error.kind')" = notfound ]
}

@test "--detections-only writes only detections, errors and the stats" {
	run --separate-stderr kfs --detections-only "$T/tree" "$T/nope"
	assert_failure 1
	[ "$(records file <<<"$output" | jq -r .verdict | sort | tr '\n' ' ')" = "error infected " ]
	run --separate-stderr kfs --detections-only --no-stats "$T/tree/sub"
	assert_success
	[ -z "$output" ]
}

@test "a configuration file sets profiles and settings; errors are reported with their line" {
	cat >"$T/ksvm.conf" <<-EOF
	[kfscan]
	profile = strict
	quarantine = $Q
	max_size = 1K

	[profile strict]
	action = quarantine block
	EOF
	head -c 2000 /dev/zero >"$T/tree/big.bin"
	run --separate-stderr kfs --config "$T/ksvm.conf" "$T/tree"
	assert_failure 1
	[ "$(records file <<<"$output" | jq -r 'select(.verdict=="infected") | "\(.profile) \(.action.taken)"')" = "strict quarantine" ]
	[ "$(records file <<<"$output" | jq -r 'select(.verdict=="skipped") | .skipped.reason')" = too-large ]
	printf '[kfscan]\nmax_size = lots\ncolour = blue\nthis line is wrong\n[profile x]\naction = report quarantine\n' >"$T/bad.conf"
	run --separate-stderr kfs --config "$T/bad.conf" "$T/tree"
	assert_failure 2
	[ -z "$output" ]
	[[ "$stderr" == *"bad.conf:2: max_size: not a size: lots"* ]]
	[[ "$stderr" == *"bad.conf:3: unknown setting 'colour' in [kfscan]"* ]]
	[[ "$stderr" == *"bad.conf:4: not a section"* ]]
	[[ "$stderr" == *"bad.conf:6: [profile x] action: 'report' always succeeds"* ]]
}

@test "usage errors exit 2" {
	run --separate-stderr kfscan
	assert_failure 2
	[[ "$stderr" == *"nothing to scan"* ]]
	run --separate-stderr kfscan --requests "$T/tree"
	assert_failure 2
	run --separate-stderr kfscan --max-size lots "$T/tree"
	assert_failure 2
	run --separate-stderr kfscan -p nonsense "$T/tree"
	assert_failure 2
	run --separate-stderr kfscan quarantine frobnicate
	assert_failure 2
}

@test "a file that changes while it is scanned is an error record, not a crash" {
	head -c 100000 /dev/urandom >"$T/moving.bin"
	KSVM_PAUSE=scan-after-read KSVM_PAUSE_FILE="$T/paused" \
		kfscan --no-cache -j1 "$T/moving.bin" >"$T/out" 2>"$T/err" 3>&- &
	pid=$!
	for _ in $(seq 300); do [ -e "$T/paused" ] && break; sleep 0.05; done
	[ -e "$T/paused" ]
	truncate -s 10 "$T/moving.bin"
	rm "$T/paused"
	rc=0
	wait "$pid" || rc=$?
	[ "$rc" = 2 ]
	[ "$(records file <"$T/out" | jq -r '"\(.verdict) \(.error.kind)"')" = "error invalid" ]
	[[ "$(records file <"$T/out" | jq -r .error.message)" == *"changed while it was read"* ]]
}

@test "SIGTERM in --requests mode answers every request already read, then exits 0" {
	mkfifo "$T/in"
	kfscan --requests --no-cache -j2 <"$T/in" >"$T/out" 2>"$T/err" 3>&- &
	pid=$!
	exec 7>"$T/in"
	for i in 1 2 3; do echo "{\"id\":$i,\"path\":\"$T/tree/sub/readme.txt\"}" >&7; done
	for _ in $(seq 100); do [ "$(records file <"$T/out" | wc -l)" = 3 ] && break; sleep 0.05; done
	kill -TERM "$pid"
	rc=0
	wait "$pid" || rc=$?
	exec 7>&-
	[ "$rc" = 0 ]
	[ "$(records file <"$T/out" | jq -r .id | sort | tr '\n' ' ')" = "1 2 3 " ]
	[ "$(records stats <"$T/out" | jq -r .stats.files)" = 3 ]
}

@test "the command line wins over the file: --no-archives with archives = yes" {
	make_zip "$T/a.zip" "bin/eicar.com=$T/tree/eicar.com"
	printf '[kfscan]\narchives = yes\n' >"$T/ksvm.conf"
	run --separate-stderr kfs --config "$T/ksvm.conf" "$T/a.zip"
	assert_failure 1
	run --separate-stderr kfs --config "$T/ksvm.conf" --no-archives "$T/a.zip"
	assert_success
	[ "$(records file <<<"$output" | jq -r .verdict)" = clean ]
}

@test "the sample configuration (samples/etc/ksvm.conf) is valid for kfscan" {
	mkdir -p "$T/rules"
	cp "$TOP"/samples/rules/*.yar "$T/rules/"
	sed -e "s|/etc/ksvm/rules|$T/rules|" -e "s|/var/lib/ksvm/quarantine|$Q|" \
	    -e "s|/var/cache/ksvm/kfscan.lmdb|$T/cache.lmdb|" "$TOP/samples/etc/ksvm.conf" >"$T/ksvm.conf"
	run --separate-stderr kfscan --config "$T/ksvm.conf" -j1 "$T/tree"
	assert_failure 1
	[ -z "$stderr" ]
	[ "$(records file <<<"$output" | jq -r 'select(.verdict=="infected") | "\(.profile) \(.action.taken)"')" = "standard quarantine" ]
	[ "$(records stats <<<"$output" | jq -r .stats.rules)" = 4 ]
}

@test "--requests with a root: the guest's path is resolved beneath it; .. and links out of it are refused" {
	mkdir -p "$T/vm1/tmp" "$T/vm1/etc" "$T/host"
	echo secret >"$T/host/passwd"
	eicar >"$T/vm1/tmp/e.com"
	eicar >"$T/host/e.com"
	echo hi >"$T/vm1/etc/motd"
	ln -s ../../host/e.com "$T/vm1/etc/out"
	ln -s /etc/passwd "$T/vm1/etc/abs"
	ln -s motd "$T/vm1/etc/inside"
	run --separate-stderr kfscan --requests --no-cache -j1 <<-EOF
	{"id":1,"root":"$T/vm1","path":"/tmp/e.com"}
	{"id":2,"root":"$T/vm1","path":"/etc/../../host/e.com"}
	{"id":3,"root":"$T/vm1","path":"/etc/out"}
	{"id":4,"root":"$T/vm1","path":"/etc/abs"}
	{"id":5,"root":"$T/vm1","path":"/etc/inside"}
	{"id":6,"root":"relative","path":"/x"}
	EOF
	assert_failure 1
	[ "$(records file <<<"$output" | jq -r '"\(.id) \(.verdict) \(.error.kind // "-")"' | sort | tr '\n' ' ')" = "1 infected - 2 error perm 3 error perm 4 error perm 5 clean - 6 error invalid " ]
	[ "$(records file <<<"$output" | jq -r 'select(.id==1) | .file.path')" = "$T/vm1/tmp/e.com" ]
}
