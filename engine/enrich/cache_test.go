package enrich

import (
	"fmt"
	"testing"
	"time"
)

func TestCacheLRU(t *testing.T) {
	clock := newFakeClock()
	c := newCache(3, clock.now)
	for i := range 3 {
		c.put(&entry{key: fmt.Sprint(i)}, time.Minute)
	}
	// Touch 0 so that 1 is the least recently used.
	if _, ok := c.get("0"); !ok {
		t.Fatal("0 missing")
	}
	c.put(&entry{key: "3"}, time.Minute)
	if c.len() != 3 {
		t.Errorf("len = %d, want 3", c.len())
	}
	for key, want := range map[string]bool{"0": true, "1": false, "2": true, "3": true} {
		if _, ok := c.get(key); ok != want {
			t.Errorf("get(%s) found = %v, want %v", key, ok, want)
		}
	}

	// Replacing keeps one entry and the new expiry.
	c.put(&entry{key: "3", outcome: outcomeOK}, time.Hour)
	clock.advance(30 * time.Minute)
	if e, ok := c.get("3"); !ok || e.outcome != outcomeOK {
		t.Errorf("get(3) = %+v, %v after replace", e, ok)
	}
	if _, ok := c.get("0"); ok {
		t.Error("0 still there past its TTL")
	}
	if c.len() != 2 {
		t.Errorf("len = %d after expiry, want 2", c.len())
	}
}
