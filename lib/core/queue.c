#include "core/queue.h"

#include <stdlib.h>

int ks_queue_init(struct ks_queue *q, size_t cap)
{
	q->items = calloc(cap ? cap : 1, sizeof *q->items);
	if (q->items == NULL)
		return -1;
	q->cap = cap ? cap : 1;
	q->head = q->n = 0;
	q->closed = 0;
	pthread_mutex_init(&q->lock, NULL);
	pthread_cond_init(&q->not_empty, NULL);
	pthread_cond_init(&q->not_full, NULL);
	return 0;
}

void ks_queue_destroy(struct ks_queue *q)
{
	free(q->items);
	q->items = NULL;
	pthread_mutex_destroy(&q->lock);
	pthread_cond_destroy(&q->not_empty);
	pthread_cond_destroy(&q->not_full);
}

int ks_queue_push(struct ks_queue *q, void *item)
{
	pthread_mutex_lock(&q->lock);
	while (q->n == q->cap && !q->closed)
		pthread_cond_wait(&q->not_full, &q->lock);
	if (q->closed) {
		pthread_mutex_unlock(&q->lock);
		return -1;
	}
	q->items[(q->head + q->n) % q->cap] = item;
	q->n++;
	pthread_cond_signal(&q->not_empty);
	pthread_mutex_unlock(&q->lock);
	return 0;
}

void *ks_queue_pop(struct ks_queue *q)
{
	void *item;

	pthread_mutex_lock(&q->lock);
	while (q->n == 0 && !q->closed)
		pthread_cond_wait(&q->not_empty, &q->lock);
	if (q->n == 0) {
		pthread_mutex_unlock(&q->lock);
		return NULL;
	}
	item = q->items[q->head];
	q->head = (q->head + 1) % q->cap;
	q->n--;
	pthread_cond_signal(&q->not_full);
	pthread_mutex_unlock(&q->lock);
	return item;
}

void ks_queue_close(struct ks_queue *q)
{
	pthread_mutex_lock(&q->lock);
	q->closed = 1;
	pthread_cond_broadcast(&q->not_empty);
	pthread_cond_broadcast(&q->not_full);
	pthread_mutex_unlock(&q->lock);
}
