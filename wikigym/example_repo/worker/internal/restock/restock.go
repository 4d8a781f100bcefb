// Package restock decides how many units to order for low-stock items and applies deliveries.
package restock

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"example.com/inventory/worker/internal/queue"
)

// Item is the subset of the API's item that the planner needs.
type Item struct {
	SKU       string `json:"sku"`
	Available int    `json:"available"`
}

// Planner polls the inventory API for low stock and turns it into restock jobs.
type Planner struct {
	BaseURL     string
	TargetLevel int
	Client      *http.Client
}

// NewPlanner returns a planner that tops items up to targetLevel available units.
func NewPlanner(baseURL string, targetLevel int) *Planner {
	return &Planner{BaseURL: baseURL, TargetLevel: targetLevel, Client: &http.Client{Timeout: 5 * time.Second}}
}

// Plan fetches the low-stock report and returns one job per item below the target level.
func (p *Planner) Plan(ctx context.Context) ([]queue.Job, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.BaseURL+"/items?low_stock=1", nil)
	if err != nil {
		return nil, err
	}
	resp, err := p.Client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("fetch low stock: %w", err)
	}
	defer resp.Body.Close()
	var items []Item
	if err := json.NewDecoder(resp.Body).Decode(&items); err != nil {
		return nil, fmt.Errorf("decode low stock: %w", err)
	}
	return JobsFor(items, p.TargetLevel), nil
}

// JobsFor computes the restock quantity of each item: enough to reach target available units.
func JobsFor(items []Item, target int) []queue.Job {
	jobs := make([]queue.Job, 0, len(items))
	for _, item := range items {
		if missing := target - item.Available; missing > 0 {
			jobs = append(jobs, queue.Job{SKU: item.SKU, Quantity: missing})
		}
	}
	return jobs
}

// Apply posts a delivery for one job to the API.
func (p *Planner) Apply(ctx context.Context, job queue.Job) error {
	body, _ := json.Marshal(map[string]int{"quantity": job.Quantity})
	url := fmt.Sprintf("%s/items/%s/restock", p.BaseURL, job.SKU)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := p.Client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("restock %s: HTTP %d", job.SKU, resp.StatusCode)
	}
	return nil
}
