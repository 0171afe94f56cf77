#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "report/spool.h"
#include "unit.h"

static char *tmpdir(void)
{
	char tmpl[] = "/tmp/kr-spool-XXXXXX";
	char *d = mkdtemp(tmpl);

	return d != NULL ? strdup(d) : NULL;
}

static void rmrf(const char *dir)
{
	char cmd[512];

	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		return;
}

/* Message i: "msg-<i>" padded to `size` bytes. */
static size_t msg(char *buf, size_t size, unsigned i)
{
	int n = snprintf(buf, size, "msg-%06u-", i);

	memset(buf + n, 'x', size - (size_t)n);
	return size;
}

/* Read every message from the read position; check they are numbered
 * from `first` on; returns how many. */
static unsigned read_all(struct kr_spool *s, unsigned first, int commit)
{
	const uint8_t *m;
	size_t n;
	struct kr_spool_pos next;
	struct ks_err err;
	unsigned k = 0;
	char want[32];

	while (kr_spool_peek(s, &m, &n, &next, &err) == KS_OK) {
		snprintf(want, sizeof want, "msg-%06u-", first + k);
		if (n < 11 || memcmp(m, want, 11) != 0) {
			ut_fail(__FILE__, __LINE__, "message %u is %.11s, want %s",
				k, (const char *)m, want);
			return k;
		}
		kr_spool_seek(s, &next);
		if (commit)
			kr_spool_commit(s, &next);
		k++;
	}
	return k;
}

static int count_files(const char *dir, const char *suffix)
{
	char cmd[512];
	FILE *p;
	int n = -1;

	snprintf(cmd, sizeof cmd, "ls '%s' | grep -c '%s$'", dir, suffix);
	p = popen(cmd, "r");
	if (p == NULL)
		return -1;
	if (fscanf(p, "%d", &n) != 1)
		n = -1;
	pclose(p);
	return n;
}

TEST(spool_keeps_order_and_empties_when_delivered)
{
	struct kr_spool s;
	struct ks_err err;
	char *dir = tmpdir(), buf[1000];

	REQUIRE(dir != NULL);
	REQUIRE(kr_spool_open(&s, dir, 1 << 20, KR_SPOOL_BLOCK, &err) == KS_OK);
	for (unsigned i = 0; i < 500; i++)
		REQUIRE(kr_spool_append(&s, buf, msg(buf, 700, i), &err) == KS_OK);
	CHECK_INT(kr_spool_pending(&s), 500);
	/* Several segments were made (128 KiB each at this size). */
	CHECK(s.nsegs >= 3);
	CHECK_INT(read_all(&s, 0, 1), 500);
	CHECK_INT(kr_spool_pending(&s), 0);
	CHECK_INT(kr_spool_close(&s, &err), KS_OK);
	CHECK_INT(count_files(dir, ".seg"), 0);
	CHECK_INT(count_files(dir, "cursor"), 0);
	rmrf(dir);
	free(dir);
}

TEST(spool_replays_what_was_not_committed_after_a_restart)
{
	struct kr_spool s;
	struct ks_err err;
	char *dir = tmpdir(), buf[1000];
	const uint8_t *m;
	size_t n;
	struct kr_spool_pos next;

	REQUIRE(dir != NULL);
	REQUIRE(kr_spool_open(&s, dir, 1 << 20, KR_SPOOL_BLOCK, &err) == KS_OK);
	for (unsigned i = 0; i < 300; i++)
		REQUIRE(kr_spool_append(&s, buf, msg(buf, 500, i), &err) == KS_OK);
	/* 120 delivered and committed, 50 more sent but not confirmed. */
	for (unsigned i = 0; i < 170; i++) {
		REQUIRE(kr_spool_peek(&s, &m, &n, &next, &err) == KS_OK);
		kr_spool_seek(&s, &next);
		if (i < 120)
			kr_spool_commit(&s, &next);
	}
	CHECK_INT(kr_spool_close(&s, &err), KS_OK);
	REQUIRE(kr_spool_open(&s, dir, 1 << 20, KR_SPOOL_BLOCK, &err) == KS_OK);
	CHECK_INT(s.replay, 180);
	CHECK_INT(read_all(&s, 120, 0), 180);
	/* Rewind: send again from the last commit. */
	kr_spool_rewind(&s);
	CHECK_INT(read_all(&s, 120, 1), 180);
	kr_spool_close(&s, &err);
	rmrf(dir);
	free(dir);
}

TEST(spool_cuts_a_torn_record_at_open)
{
	struct kr_spool s;
	struct ks_err err;
	char *dir = tmpdir(), buf[1000], path[600];
	uint64_t seg;
	int fd;

	REQUIRE(dir != NULL);
	REQUIRE(kr_spool_open(&s, dir, 1 << 20, KR_SPOOL_BLOCK, &err) == KS_OK);
	for (unsigned i = 0; i < 10; i++)
		REQUIRE(kr_spool_append(&s, buf, msg(buf, 100, i), &err) == KS_OK);
	seg = s.segs[s.nsegs - 1].id;
	CHECK_INT(kr_spool_close(&s, &err), KS_OK);
	/* Half a record at the end, as a killed writer leaves it. */
	snprintf(path, sizeof path, "%s/%016llx.seg", dir,
		 (unsigned long long)seg);
	fd = open(path, O_WRONLY | O_APPEND);
	REQUIRE(fd >= 0);
	CHECK_INT(write(fd, "KRM1\x64\0\0\0abcdmsg-000010-xx", 24), 24);
	close(fd);
	REQUIRE(kr_spool_open(&s, dir, 1 << 20, KR_SPOOL_BLOCK, &err) == KS_OK);
	CHECK_INT(s.repaired, 24);
	CHECK_INT(kr_spool_pending(&s), 10);
	/* New messages follow the repaired tail. */
	REQUIRE(kr_spool_append(&s, buf, msg(buf, 100, 10), &err) == KS_OK);
	CHECK_INT(read_all(&s, 0, 1), 11);
	kr_spool_close(&s, &err);
	rmrf(dir);
	free(dir);
}

TEST(spool_full_blocks_then_makes_room_as_segments_are_delivered)
{
	struct kr_spool s;
	struct ks_err err;
	char *dir = tmpdir(), buf[2000];
	unsigned i, got;

	REQUIRE(dir != NULL);
	REQUIRE(kr_spool_open(&s, dir, 256 << 10, KR_SPOOL_BLOCK, &err) == KS_OK);
	for (i = 0; i < 10000; i++) {
		enum ks_status st = kr_spool_append(&s, buf, msg(buf, 1000, i),
						    &err);

		if (st == KS_ERR_LIMIT)
			break;
		REQUIRE(st == KS_OK);
	}
	/* 256 KiB hold about 250 messages of 1 KiB. */
	CHECK(i > 200 && i < 260);
	CHECK(strstr(err.msg, "full") != NULL);
	CHECK(s.total_bytes <= 256 << 10);
	CHECK_INT(kr_spool_room(&s, 1000), 0);
	/* Delivering the first segment frees it. */
	got = read_all(&s, 0, 1);
	CHECK_INT(got, i);
	CHECK(kr_spool_room(&s, 1000));
	CHECK_INT(kr_spool_append(&s, buf, msg(buf, 1000, i), &err), KS_OK);
	CHECK_INT(s.dropped, 0);
	kr_spool_close(&s, &err);
	rmrf(dir);
	free(dir);
}

TEST(spool_drop_oldest_counts_what_it_drops_and_keeps_the_newest)
{
	struct kr_spool s;
	struct ks_err err;
	char *dir = tmpdir(), buf[2000];
	const uint8_t *m;
	size_t n;
	struct kr_spool_pos next;
	unsigned first;

	REQUIRE(dir != NULL);
	REQUIRE(kr_spool_open(&s, dir, 256 << 10, KR_SPOOL_DROP_OLDEST, &err) ==
		KS_OK);
	for (unsigned i = 0; i < 1000; i++)
		REQUIRE(kr_spool_append(&s, buf, msg(buf, 1000, i), &err) == KS_OK);
	CHECK(s.dropped > 700);
	CHECK(s.total_bytes <= 256 << 10);
	/* What is left is the newest, in order, and the counts add up. */
	CHECK_INT(s.dropped + kr_spool_pending(&s), 1000);
	REQUIRE(kr_spool_peek(&s, &m, &n, &next, &err) == KS_OK);
	first = (unsigned)atoi((const char *)m + 4);
	CHECK_INT(first, s.dropped);
	CHECK_INT(read_all(&s, first, 1), 1000 - first);
	kr_spool_close(&s, &err);
	rmrf(dir);
	free(dir);
}

TEST(spool_resumes_at_the_saved_cursor_and_is_locked_while_open)
{
	struct kr_spool s, t;
	struct ks_err err;
	char *dir = tmpdir(), buf[1000];
	const uint8_t *m;
	size_t n;
	struct kr_spool_pos next;

	REQUIRE(dir != NULL);
	REQUIRE(kr_spool_open(&s, dir, 1 << 20, KR_SPOOL_BLOCK, &err) == KS_OK);
	CHECK_INT(kr_spool_open(&t, dir, 1 << 20, KR_SPOOL_BLOCK, &err),
		  KS_ERR_USAGE);
	CHECK(strstr(err.msg, "in use") != NULL);
	kr_spool_close(&t, NULL);
	for (unsigned i = 0; i < 400; i++)
		REQUIRE(kr_spool_append(&s, buf, msg(buf, 600, i), &err) == KS_OK);
	for (unsigned i = 0; i < 333; i++) {
		REQUIRE(kr_spool_peek(&s, &m, &n, &next, &err) == KS_OK);
		kr_spool_seek(&s, &next);
		kr_spool_commit(&s, &next);
	}
	CHECK_INT(kr_spool_save(&s, &err), KS_OK);
	/* A crash now: nothing else is written; the file descriptors go. */
	close(s.tail_fd);
	s.tail_fd = -1;
	close(s.lockfd);
	s.lockfd = -1;
	s.dirty = 0;
	s.nsegs = 0;
	kr_spool_close(&s, &err);
	REQUIRE(kr_spool_open(&s, dir, 1 << 20, KR_SPOOL_BLOCK, &err) == KS_OK);
	CHECK_INT(s.replay, 67);
	CHECK_INT(read_all(&s, 333, 1), 67);
	kr_spool_close(&s, &err);
	rmrf(dir);
	free(dir);
}

TEST(spool_skips_a_damaged_segment_and_counts_it)
{
	struct kr_spool s;
	struct ks_err err;
	char *dir = tmpdir(), buf[1000], path[600];
	uint64_t seg;
	unsigned got;
	int fd;

	REQUIRE(dir != NULL);
	REQUIRE(kr_spool_open(&s, dir, 1 << 20, KR_SPOOL_BLOCK, &err) == KS_OK);
	for (unsigned i = 0; i < 600; i++)
		REQUIRE(kr_spool_append(&s, buf, msg(buf, 700, i), &err) == KS_OK);
	REQUIRE(kr_spool_flush(&s, &err) == KS_OK);
	REQUIRE(s.nsegs >= 3);
	seg = s.segs[1].id;
	/* Flip a payload byte in the middle of the second segment. */
	snprintf(path, sizeof path, "%s/%016llx.seg", dir,
		 (unsigned long long)seg);
	fd = open(path, O_WRONLY);
	REQUIRE(fd >= 0);
	CHECK_INT(pwrite(fd, "#", 1, 5000), 1);
	close(fd);
	got = 0;
	{
		const uint8_t *m;
		size_t n;
		struct kr_spool_pos next;

		while (kr_spool_peek(&s, &m, &n, &next, &err) == KS_OK) {
			kr_spool_seek(&s, &next);
			kr_spool_commit(&s, &next);
			got++;
		}
	}
	CHECK_INT(s.corrupt, 1);
	/* The records before the damage and every later segment are read. */
	CHECK(got > 400 && got < 600);
	kr_spool_close(&s, &err);
	rmrf(dir);
	free(dir);
}

/* A spool that cannot grow (here a file size limit, as a full disk): the
 * write is taken back whole, the policy answers, nothing is torn. */
TEST(spool_that_cannot_grow_takes_back_the_write_and_stays_whole)
{
	struct kr_spool s;
	struct ks_err err;
	char *dir = tmpdir(), buf[1000];
	pid_t pid;
	int status = -1;

	REQUIRE(dir != NULL);
	fflush(stdout);
	pid = fork();
	REQUIRE(pid >= 0);
	if (pid == 0) {
		struct rlimit rl = { 60000, 60000 };
		unsigned i, flushed = 0;
		enum ks_status st = KS_OK;

		signal(SIGXFSZ, SIG_IGN);
		if (setrlimit(RLIMIT_FSIZE, &rl) != 0 ||
		    kr_spool_open(&s, dir, 1 << 20, KR_SPOOL_BLOCK, &err) != KS_OK)
			_exit(10);
		for (i = 0; i < 200 && st == KS_OK; i++) {
			st = kr_spool_append(&s, buf, msg(buf, 900, i), &err);
			if (st == KS_OK && i % 10 == 9) {
				st = kr_spool_flush(&s, &err);
				if (st == KS_OK)
					flushed = i + 1;
			}
		}
		/* Refused as "full", and refused again until it can grow. */
		if (st != KS_ERR_LIMIT || strstr(err.msg, "cannot grow") == NULL ||
		    !s.disk_full ||
		    kr_spool_append(&s, buf, msg(buf, 900, 999), &err) !=
			    KS_ERR_LIMIT)
			_exit(11);
		kr_spool_close(&s, NULL);
		_exit(flushed > 0 && flushed < 200 ? (int)(flushed / 10) : 12);
	}
	REQUIRE(waitpid(pid, &status, 0) == pid);
	REQUIRE(WIFEXITED(status));
	REQUIRE(WEXITSTATUS(status) >= 1 && WEXITSTATUS(status) < 10);
	/* What was written is whole and readable; nothing was cut. */
	REQUIRE(kr_spool_open(&s, dir, 1 << 20, KR_SPOOL_BLOCK, &err) == KS_OK);
	CHECK_INT(s.repaired, 0);
	CHECK_INT(kr_spool_pending(&s), WEXITSTATUS(status) * 10);
	CHECK_INT(read_all(&s, 0, 1), WEXITSTATUS(status) * 10);
	kr_spool_close(&s, &err);
	rmrf(dir);
	free(dir);
}
