/*
 * relay-load: a load generator for kgi-relay (and, for comparison, clamd).
 *
 *   relay-load [--clamd] [--each] SOCKET CLIENTS EVENTS WINDOW VM ROOT LIST
 *
 * With --each, the clients go through LIST once between them, each path
 * opened once (EVENTS is then ignored): the first scans of every file.
 * CLIENTS connections each send EVENTS open events, keeping up to WINDOW
 * of them in flight, for paths drawn from LIST (one path a line, relative
 * to the guest's root; the first line is drawn half of the time, the way a
 * few files take most of the opens).  With --clamd, each event is a clamd
 * "zSCAN ROOT/PATH" command on its own connection instead (clamd answers
 * one command per connection).  Prints one JSON line: events, seconds,
 * events per second, latency percentiles in microseconds, decisions by
 * kind.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static char **paths;
static size_t npaths;
static const char *sock_path, *vm, *root;
static int events_per_client, window, clamd, each, nclients;

static uint64_t now_us(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000u + (uint64_t)t.tv_nsec / 1000u;
}

struct result {
	int client;
	uint64_t *lat;
	size_t n;
	uint64_t allow, deny, other;
};

static int connect_to(void)
{
	struct sockaddr_un sa;
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	memset(&sa, 0, sizeof sa);
	sa.sun_family = AF_UNIX;
	snprintf(sa.sun_path, sizeof sa.sun_path, "%s", sock_path);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

static const char *pick(unsigned *seed, int client, int n)
{
	unsigned r;

	if (each)
		return paths[(size_t)client + (size_t)n * (size_t)nclients];
	r = (unsigned)rand_r(seed);
	return paths[(r & 1) ? 0 : (size_t)(r >> 1) % npaths];
}

/* Events of one client: in --each mode, its share of the list. */
static int events_of(int client)
{
	if (!each)
		return events_per_client;
	return (int)((npaths - (size_t)client + (size_t)nclients - 1) /
		     (size_t)nclients);
}

static void *clamd_client(void *arg)
{
	struct result *res = arg;
	unsigned seed = (unsigned)(uintptr_t)arg;
	char cmd[8192], buf[8192];
	int total = events_of(res->client);

	res->lat = calloc((size_t)total + 1, sizeof *res->lat);
	for (int i = 0; i < total; i++) {
		int fd = connect_to();
		uint64_t t0 = now_us();
		int n = snprintf(cmd, sizeof cmd, "zSCAN %s/%s", root,
				 pick(&seed, res->client, i));
		ssize_t k, got = 0;

		if (fd < 0)
			break;
		if (send(fd, cmd, (size_t)n + 1, 0) < 0) {
			close(fd);
			break;
		}
		while ((k = recv(fd, buf + got, sizeof buf - 1 - (size_t)got, 0)) > 0) {
			got += k;
			if (memchr(buf, '\0', (size_t)got) != NULL)
				break;
		}
		close(fd);
		buf[got] = '\0';
		res->lat[res->n++] = now_us() - t0;
		if (strstr(buf, "FOUND") != NULL)
			res->deny++;
		else if (strstr(buf, ": OK") != NULL)
			res->allow++;
		else
			res->other++;
	}
	return NULL;
}

static void *relay_client(void *arg)
{
	struct result *res = arg;
	unsigned seed = (unsigned)(uintptr_t)arg;
	int total = events_of(res->client);
	uint64_t *sent = calloc((size_t)total + 1, sizeof *sent);
	char out[16384], in[65536];
	size_t inlen = 0;
	int fd = connect_to(), next = 0, done = 0;

	res->lat = calloc((size_t)total + 1, sizeof *res->lat);
	if (fd < 0 || sent == NULL)
		return NULL;
	while (done < total) {
		/* Keep the window full. */
		while (next < total && next - done < window) {
			int n = snprintf(out, sizeof out,
					 "{\"id\":%d,\"vm\":\"%s\",\"op\":\"open\","
					 "\"path\":\"/%s\"}\n", next, vm,
					 pick(&seed, res->client, next));

			sent[next++] = now_us();
			if (send(fd, out, (size_t)n, 0) < 0)
				goto out;
		}
		ssize_t k = recv(fd, in + inlen, sizeof in - 1 - inlen, 0);

		if (k <= 0)
			break;
		inlen += (size_t)k;
		in[inlen] = '\0';
		char *line = in, *nl;

		while ((nl = memchr(line, '\n', inlen - (size_t)(line - in))) != NULL) {
			char *idp = strstr(line, "\"id\":");
			int id = idp ? atoi(idp + 5) : -1;

			*nl = '\0';
			if (id >= 0 && id < total) {
				res->lat[res->n++] = now_us() - sent[id];
				if (strstr(line, "\"decision\":\"deny\""))
					res->deny++;
				else if (strstr(line, "\"decision\":\"allow\""))
					res->allow++;
				else
					res->other++;
			}
			done++;
			line = nl + 1;
		}
		inlen -= (size_t)(line - in);
		memmove(in, line, inlen);
	}
out:
	close(fd);
	free(sent);
	return NULL;
}

static int cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	int a = 1, clients;
	FILE *f;
	char line[4096];
	pthread_t *th;
	struct result *res;
	uint64_t t0, t1, total = 0, allow = 0, deny = 0, other = 0, *all;

	for (; a < argc && argv[a][0] == '-' && argv[a][1] == '-'; a++) {
		if (strcmp(argv[a], "--clamd") == 0)
			clamd = 1;
		else if (strcmp(argv[a], "--each") == 0)
			each = 1;
		else
			break;
	}
	if (argc - a != 7) {
		fprintf(stderr, "usage: relay-load [--clamd] [--each] SOCKET CLIENTS EVENTS "
			"WINDOW VM ROOT LIST\n");
		return 2;
	}
	sock_path = argv[a];
	clients = atoi(argv[a + 1]);
	nclients = clients;
	events_per_client = atoi(argv[a + 2]);
	window = atoi(argv[a + 3]);
	vm = argv[a + 4];
	root = argv[a + 5];
	f = fopen(argv[a + 6], "r");
	if (f == NULL || clients <= 0 || events_per_client <= 0 || window <= 0)
		return 2;
	while (fgets(line, sizeof line, f) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		paths = realloc(paths, (npaths + 1) * sizeof *paths);
		paths[npaths++] = strdup(line);
	}
	fclose(f);
	if (npaths == 0)
		return 2;
	th = calloc((size_t)clients, sizeof *th);
	res = calloc((size_t)clients, sizeof *res);
	t0 = now_us();
	for (int i = 0; i < clients; i++) {
		res[i].client = i;
		pthread_create(&th[i], NULL, clamd ? clamd_client : relay_client,
			       &res[i]);
	}
	for (int i = 0; i < clients; i++)
		pthread_join(th[i], NULL);
	t1 = now_us();
	for (int i = 0; i < clients; i++)
		total += res[i].n;
	all = calloc(total ? total : 1, sizeof *all);
	total = 0;
	for (int i = 0; i < clients; i++) {
		memcpy(all + total, res[i].lat, res[i].n * sizeof *all);
		total += res[i].n;
		allow += res[i].allow;
		deny += res[i].deny;
		other += res[i].other;
	}
	qsort(all, total, sizeof *all, cmp);
#define P(q) (total ? all[(size_t)((double)(total - 1) * (q))] : 0)
	printf("{\"events\":%llu,\"seconds\":%.3f,\"per_second\":%.0f,"
	       "\"p50_us\":%llu,\"p90_us\":%llu,\"p99_us\":%llu,\"max_us\":%llu,"
	       "\"allow\":%llu,\"deny\":%llu,\"other\":%llu}\n",
	       (unsigned long long)total, (double)(t1 - t0) / 1e6,
	       total / ((double)(t1 - t0) / 1e6), (unsigned long long)P(0.50),
	       (unsigned long long)P(0.90), (unsigned long long)P(0.99),
	       (unsigned long long)(total ? all[total - 1] : 0),
	       (unsigned long long)allow, (unsigned long long)deny,
	       (unsigned long long)other);
	return 0;
}
