// Command worker restocks low-stock items: it polls the inventory API, queues restock jobs
// and applies them with a pool of goroutines.
package main

import (
	"context"
	"flag"
	"log"
	"os"
	"os/signal"
	"sync"
	"time"

	"example.com/inventory/worker/internal/queue"
	"example.com/inventory/worker/internal/restock"
)

func main() {
	baseURL := flag.String("api", envOr("INVENTORY_API", "http://127.0.0.1:8080"), "inventory API base URL")
	target := flag.Int("target", 20, "available units to restock up to")
	interval := flag.Duration("interval", 30*time.Second, "poll interval")
	workers := flag.Int("workers", 4, "concurrent restock requests")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()

	planner := restock.NewPlanner(*baseURL, *target)
	jobs := queue.New(100)
	var wg sync.WaitGroup
	for i := 0; i < *workers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			consume(ctx, planner, jobs)
		}()
	}

	ticker := time.NewTicker(*interval)
	defer ticker.Stop()
	for {
		planned, err := planner.Plan(ctx)
		if err != nil {
			log.Printf("plan: %v", err)
		}
		for _, job := range planned {
			if err := jobs.Push(job); err != nil {
				log.Printf("queue: %v", err)
			}
		}
		select {
		case <-ctx.Done():
			jobs.Close()
			wg.Wait()
			return
		case <-ticker.C:
		}
	}
}

// consume applies jobs until the queue is closed, retrying each failed job up to three times.
func consume(ctx context.Context, planner *restock.Planner, jobs *queue.Queue) {
	for job := range jobs.Jobs() {
		for job.Attempt < 3 {
			err := planner.Apply(ctx, job)
			if err == nil {
				log.Printf("restocked %s +%d", job.SKU, job.Quantity)
				break
			}
			job.Attempt++
			log.Printf("restock %s failed (attempt %d): %v", job.SKU, job.Attempt, err)
		}
	}
}

func envOr(key, fallback string) string {
	if value, ok := os.LookupEnv(key); ok {
		return value
	}
	return fallback
}
