// Package queue is a small in-process job queue with bounded capacity.
package queue

import (
	"errors"
	"sync"
)

// ErrClosed is returned when pushing to a closed queue.
var ErrClosed = errors.New("queue closed")

// Job asks the worker to restock one SKU by Quantity units.
type Job struct {
	SKU      string
	Quantity int
	Attempt  int
}

// Queue is a FIFO of jobs safe for concurrent producers and consumers.
type Queue struct {
	mu     sync.Mutex
	jobs   chan Job
	closed bool
}

// New returns a queue holding at most capacity pending jobs.
func New(capacity int) *Queue {
	return &Queue{jobs: make(chan Job, capacity)}
}

// Push adds a job, blocking while the queue is full.
func (q *Queue) Push(job Job) error {
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return ErrClosed
	}
	q.mu.Unlock()
	q.jobs <- job
	return nil
}

// Jobs exposes the receive side for consumers; it is closed by Close.
func (q *Queue) Jobs() <-chan Job {
	return q.jobs
}

// Close stops accepting jobs; consumers drain what is left.
func (q *Queue) Close() {
	q.mu.Lock()
	defer q.mu.Unlock()
	if !q.closed {
		q.closed = true
		close(q.jobs)
	}
}
