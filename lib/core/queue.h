/*
 * A bounded queue of pointers between threads (many producers, many
 * consumers).  A full queue blocks the producer, which is what keeps
 * memory bounded when workers are slower than the input.  Closing the
 * queue wakes everyone: producers fail, consumers drain what is left and
 * then get NULL.  The queue does not own the items.
 */
#ifndef KS_CORE_QUEUE_H
#define KS_CORE_QUEUE_H

#include <pthread.h>
#include <stddef.h>

struct ks_queue {
	void **items;
	size_t cap, head, n;
	int closed;
	pthread_mutex_t lock;
	pthread_cond_t not_empty, not_full;
};

int ks_queue_init(struct ks_queue *q, size_t cap);
void ks_queue_destroy(struct ks_queue *q);

/* 0, or -1 when the queue was closed (the item was not queued). */
int ks_queue_push(struct ks_queue *q, void *item);

/* The next item, or NULL once the queue is closed and empty. */
void *ks_queue_pop(struct ks_queue *q);

void ks_queue_close(struct ks_queue *q);

#endif
