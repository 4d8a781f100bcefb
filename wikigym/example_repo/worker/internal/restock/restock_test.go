package restock

import "testing"

func TestJobsForTopsUpToTarget(t *testing.T) {
	items := []Item{{SKU: "MUG-0001", Available: 1}, {SKU: "PEN-0002", Available: 12}}
	jobs := JobsFor(items, 10)
	if len(jobs) != 1 {
		t.Fatalf("want 1 job, got %d", len(jobs))
	}
	if jobs[0].SKU != "MUG-0001" || jobs[0].Quantity != 9 {
		t.Fatalf("unexpected job %+v", jobs[0])
	}
}
