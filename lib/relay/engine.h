/*
 * The Guest Introspection relay's engine: guest file events in, scan
 * requests out, verdicts in, one access decision out for every event.
 *
 * The engine does no I/O of its own but for looking at the files in the
 * guests' disks (stat beneath each VM's root, never outside it); the
 * caller owns the sockets and pipes, passes lines and the time in, and
 * gets lines out through the callbacks in struct kg_io.  This keeps every
 * rule testable with a fake clock.
 *
 * Rules (kgi-relay(8) documents them):
 *   - an event that cannot be used (missing or bad members, unknown VM, a
 *     path that leads out of the VM's root) is denied at once, reason
 *     "bad-event";
 *   - an operation the VM's profile does not scan is allowed at once,
 *     reason "not-scanned" (a write or create marks the file, so that the
 *     close after it is scanned when the profile says close-after-write);
 *   - a scan is keyed by the file's version (device, inode, size, mtime,
 *     ctime) and profile: a verdict already known for that version answers
 *     at once (the relay's cache), a scan of that version already in
 *     flight takes the event as one more waiter (a burst of opens of one
 *     file makes one scan), otherwise a request goes to the scanner;
 *   - every waiting event has a deadline: when it passes, the profile's
 *     fail mode decides (allow when it fails open, else deny), reason
 *     "timeout"; the scan goes on and its verdict is kept for the next
 *     events;
 *   - when the scanner is lost, scans with events still waiting are sent
 *     again to the next scanner; nothing is forgotten;
 *   - in monitoring mode every decision is "allow", the record says in
 *     "would" what standard mode would have decided, and the scanner is
 *     asked to take no action.
 */
#ifndef KS_RELAY_ENGINE_H
#define KS_RELAY_ENGINE_H

#include <json-c/json.h>
#include <stddef.h>
#include <stdint.h>

#include "core/status.h"
#include "file/profile.h"
#include "net/policy.h"

struct kg_vm_conf {
	const char *name;
	const char *root;      /* where the VM's disk is seen */
	const char *profile;   /* NULL: the default profile */
	const struct kn_cidr *addresses;  /* the guest's addresses or subnets */
	size_t naddresses;
};

struct kg_config {
	const struct kf_profiles *profiles;
	const struct kg_vm_conf *vms;
	size_t nvms;
	const char *default_profile;
	uint64_t timeout_us;       /* deadline of a decision */
	int monitoring;
	size_t cache_max;          /* verdicts kept by the relay; 0: none */
	size_t max_waiting;        /* events waiting for verdicts */
	size_t max_dirty;          /* files marked written, waiting a close */
};

struct kg_io {
	void *ctx;
	/* An access record (one JSON line) for the event's client; the
	 * caller also writes it to the log. */
	void (*decision)(void *ctx, int client, const char *line, size_t n);
	/* A scan request (one JSON line) for the scanner. */
	void (*request)(void *ctx, const char *line, size_t n);
	/* A record for the log only: the scanner's verdicts and notices. */
	void (*log)(void *ctx, const char *line, size_t n);
};

struct kg_stats {
	uint64_t events, allowed, denied;
	uint64_t clean, detected, timeouts, scanner_errors, not_scanned,
		 bad_events;
	uint64_t scans, merged, cache_hits, resent, scanner_garbage;
	uint64_t waiting;          /* events not yet answered */
	uint64_t latency_max_us;
};

struct kg_engine;

/* The engine keeps pointers into cfg (profiles); they must outlive it.
 * Every VM's root is opened here: a missing root is an error. */
struct kg_engine *kg_engine_new(const struct kg_config *cfg,
				const struct kg_io *io, struct ks_err *err);
void kg_engine_free(struct kg_engine *e);

/* An event from `client` (the engine takes the reference to obj). */
void kg_engine_event(struct kg_engine *e, int client, struct json_object *obj,
		     uint64_t now_us);

/* A line from `client` that was not a JSON object: answered as a bad
 * event without an id. */
void kg_engine_bad_line(struct kg_engine *e, int client, uint64_t line_no,
			const char *why, uint64_t now_us);

/* A line written by the scanner. */
void kg_engine_scanner_line(struct kg_engine *e, char *line, size_t len,
			    uint64_t now_us);

/* Time passes: decide for events whose deadline has come. */
void kg_engine_tick(struct kg_engine *e, uint64_t now_us);

/* The scanner is gone; kg_engine_scanner_ready sends again, to the new
 * one, every scan that events still wait for. */
void kg_engine_scanner_lost(struct kg_engine *e);
void kg_engine_scanner_ready(struct kg_engine *e);

/* The next deadline (monotonic microseconds), or UINT64_MAX. */
uint64_t kg_engine_next_deadline(const struct kg_engine *e);

/* Forget cached verdicts (the rules changed). */
void kg_engine_clear_cache(struct kg_engine *e);

void kg_engine_stats(const struct kg_engine *e, struct kg_stats *s);

#endif
