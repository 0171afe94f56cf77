#!/usr/bin/env bats
# make install / uninstall with PREFIX and DESTDIR.

bats_require_minimum_version 1.5.0
load helpers

@test "make install DESTDIR=... PREFIX=/usr installs every tool, man page, completion and the schema; uninstall removes them" {
	stage="$BATS_TEST_TMPDIR/stage"
	run make -C "$TOP" --no-print-directory B="${KSVM_BUILD:-build/rel}" SANITIZE="${KSVM_SANITIZE:-}" \
		install DESTDIR="$stage" PREFIX=/usr
	assert_success
	for t in "$TOP"/cmd/*; do
		t=$(basename "$t")
		[ -x "$stage/usr/bin/$t" ] || { echo "missing binary $t"; false; }
		[ -f "$stage/usr/share/bash-completion/completions/$t" ] || { echo "missing completion $t"; false; }
	done
	for m in "$TOP"/man/*.[1-8]; do
		sec=${m##*.}
		[ -f "$stage/usr/share/man/man$sec/$(basename "$m")" ] || { echo "missing man page $m"; false; }
	done
	# The supervisor, its systemd unit and init wrapper, pointing at the
	# installed binaries.
	[ -x "$stage/usr/bin/ksvm" ]
	grep -qx 'ExecStart=/usr/bin/ksvm -c /etc/ksvm/ksvm.conf run' "$stage/usr/lib/systemd/system/ksvm.service"
	[ -x "$stage/etc/init.d/ksvm" ]
	grep -q '^ksvm=/usr/bin/ksvm$' "$stage/etc/init.d/ksvm"
	if command -v systemd-analyze >/dev/null; then
		run systemd-analyze verify --root="$stage" /usr/lib/systemd/system/ksvm.service
		[[ $output != *"Unknown"* ]] || { echo "$output"; false; }
	fi
	[ -f "$stage/usr/share/ksvm/schemas/file.schema.json" ] && [ -f "$stage/usr/share/ksvm/schemas/common.schema.json" ]
	# The installed tools run.
	run "$stage/usr/bin/kfscan" --version
	assert_success
	# Installed pages are clean for mandoc.
	run "$TOP/tests/lint-man" "$stage"/usr/share/man/man*/*
	assert_success
	run make -C "$TOP" --no-print-directory B="${KSVM_BUILD:-build/rel}" SANITIZE="${KSVM_SANITIZE:-}" \
		uninstall DESTDIR="$stage" PREFIX=/usr
	assert_success
	[ -z "$(find "$stage" -type f)" ]
}
