package enrich

import (
	"container/list"
	"sync"
	"time"
)

// ttlPolicy says how long answers stay in the cache.
type ttlPolicy struct {
	// Floor and Ceiling bound the TTL of positive answers: a floor so a
	// zero-TTL PTR does not make every record a query, a ceiling so a
	// changed PTR is seen within a day.
	Floor, Ceiling time.Duration
	// NegativeCeiling bounds NXDOMAIN and NODATA, kept for the SOA minimum
	// (RFC 2308 section 5); three hours is the RFC's own suggestion.
	NegativeCeiling time.Duration
	// NegativeDefault is used when a negative answer carries no SOA.
	NegativeDefault time.Duration
	// Failure is how long a timeout or SERVFAIL is kept: long enough that a
	// report with one IP in a thousand records asks once, short enough that
	// the next report asks again (RFC 2308 section 7 allows up to 5 minutes).
	Failure time.Duration
}

// defaultTTLs is the policy of the process-wide cache.
var defaultTTLs = ttlPolicy{
	Floor:           time.Minute,
	Ceiling:         24 * time.Hour,
	NegativeCeiling: 3 * time.Hour,
	NegativeDefault: 5 * time.Minute,
	Failure:         30 * time.Second,
}

// defaultCacheSize bounds the cache: two entries (PTR and A) for each of
// 100,000 addresses, a large domain's day of sources; at a few hundred bytes
// an entry that is some tens of MiB at most.
const defaultCacheSize = 200_000

// entry is one cached answer to a question.
type entry struct {
	key     string
	outcome outcome
	names   []string // PTR targets, lower case, without the final dot
	addrs   []string // A or AAAA addresses, in netip form
	expires time.Time
}

// cache is a size-bounded LRU of answers that expire. It is safe for
// concurrent use. now is the clock, replaced in tests.
type cache struct {
	mu    sync.Mutex
	max   int
	order *list.List // front: most recently used; values are *entry
	items map[string]*list.Element
	now   func() time.Time
}

func newCache(size int, now func() time.Time) *cache {
	return &cache{
		max:   size,
		order: list.New(),
		items: make(map[string]*list.Element),
		now:   now,
	}
}

// get returns the live entry for key, dropping it when expired.
func (c *cache) get(key string) (*entry, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()

	el, ok := c.items[key]
	if !ok {
		return nil, false
	}
	e := el.Value.(*entry)
	if !c.now().Before(e.expires) {
		c.order.Remove(el)
		delete(c.items, key)
		return nil, false
	}
	c.order.MoveToFront(el)
	return e, true
}

// put stores e for ttl, evicting the least recently used entries beyond
// the size bound.
func (c *cache) put(e *entry, ttl time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()

	e.expires = c.now().Add(ttl)
	if el, ok := c.items[e.key]; ok {
		el.Value = e
		c.order.MoveToFront(el)
		return
	}
	c.items[e.key] = c.order.PushFront(e)
	for c.order.Len() > c.max {
		oldest := c.order.Back()
		c.order.Remove(oldest)
		delete(c.items, oldest.Value.(*entry).key)
	}
}

// len is the number of entries, live or not yet dropped.
func (c *cache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.order.Len()
}

// clamp bounds d to [lo, hi].
func clamp(d, lo, hi time.Duration) time.Duration {
	return min(max(d, lo), hi)
}
