/*
 * kurlbench: the in-process measurements of bench/kurlcheck, which the
 * command line cannot give alone: the time to open a database and to
 * verify all of it, and the checks per second of one thread,
 * canonicalization and expression generation included, output excluded.
 *
 *   kurlbench DB [URLFILE [ROUNDS]]
 *
 * Prints "key value" lines: open_us (the best of several opens as a check
 * run does it: header, block table and feed block summed), verify_us (the
 * first ku_db_verify after an open: every block summed, as `kurlcheck
 * info` and a SIGHUP reload do), blocks; with URLFILE also checks, listed,
 * errors, seconds, checks_per_second, and checks_per_cpu_second (per
 * second of this thread on a CPU: on a busy machine the wall clock also
 * counts the time other processes had the core).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/timefmt.h"
#include "url/check.h"

static uint64_t cpu_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

int main(int argc, char **argv)
{
	struct ku_db *db;
	struct ks_err err;
	struct ku_check *c = ku_check_new();
	struct stat sb;
	const char *text, *end;
	uint64_t t0, t1, c0, best = UINT64_MAX, best_cpu = UINT64_MAX, checks = 0,
		 listed = 0, errors = 0;
	int rounds = argc > 3 ? atoi(argv[3]) : 3, fd;

	if (argc < 2 || c == NULL) {
		fprintf(stderr, "usage: kurlbench DB [URLFILE [ROUNDS]]\n");
		return 2;
	}
	/* Open time: the best of several, as the page cache holds the file. */
	for (int i = 0; i < 9; i++) {
		t0 = ks_mono_usec();
		if (ku_db_open(&db, argv[1], 0, &err) != KS_OK) {
			fprintf(stderr, "kurlbench: %s\n", err.msg);
			return 2;
		}
		t1 = ks_mono_usec();
		ku_db_close(db);
		if (t1 - t0 < best)
			best = t1 - t0;
	}
	printf("open_us %llu\n", (unsigned long long)best);
	if (ku_db_open(&db, argv[1], 0, &err) != KS_OK) {
		fprintf(stderr, "kurlbench: %s\n", err.msg);
		return 2;
	}
	t0 = ks_mono_usec();
	if (ku_db_verify(db, &err) != KS_OK) {
		fprintf(stderr, "kurlbench: %s\n", err.msg);
		return 2;
	}
	printf("verify_us %llu\nblocks %llu\n",
	       (unsigned long long)(ks_mono_usec() - t0),
	       (unsigned long long)ku_db_info(db)->nblocks);
	ku_db_close(db);
	if (argc < 3) {
		ku_check_free(c);
		return 0;
	}
	/* The checks on a fresh open, so that they verify the blocks they
	 * read, as a check run does. */
	if (ku_db_open(&db, argv[1], 0, &err) != KS_OK) {
		fprintf(stderr, "kurlbench: %s\n", err.msg);
		return 2;
	}
	fd = open(argv[2], O_RDONLY);
	if (fd < 0 || fstat(fd, &sb) != 0) {
		perror(argv[2]);
		return 2;
	}
	text = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (text == MAP_FAILED) {
		perror("mmap");
		return 2;
	}
	end = text + sb.st_size;
	best = UINT64_MAX;
	for (int r = 0; r < rounds; r++) {
		checks = listed = errors = 0;
		t0 = ks_mono_usec();
		c0 = cpu_usec();
		for (const char *p = text; p < end;) {
			const char *nl = memchr(p, '\n', (size_t)(end - p));
			size_t n = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);
			enum ku_verdict v = ku_check(c, db, p, n, 0);

			checks++;
			listed += v == KU_LISTED;
			errors += v == KU_ERROR;
			p += n + 1;
		}
		t1 = ks_mono_usec();
		if (t1 - t0 < best)
			best = t1 - t0;
		if (cpu_usec() - c0 < best_cpu)
			best_cpu = cpu_usec() - c0;
	}
	printf("checks %llu\nlisted %llu\nerrors %llu\nseconds %.3f\n"
	       "checks_per_second %.0f\nchecks_per_cpu_second %.0f\n",
	       (unsigned long long)checks, (unsigned long long)listed,
	       (unsigned long long)errors, best / 1e6,
	       best ? checks * 1e6 / best : 0.0,
	       best_cpu ? checks * 1e6 / best_cpu : 0.0);
	ku_db_close(db);
	ku_check_free(c);
	return 0;
}
