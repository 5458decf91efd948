package engine

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rptctl/rptctl/reports"
)

func TestParseGateWeight(t *testing.T) {
	g := newParseGate(256 << 20)
	tests := []struct {
		n    int
		want int64
	}{
		{10, minParseWeight},
		{1 << 20, 65 << 20},
		{4 << 20, 196 << 20},
		{30 << 20, 222 << 20},
	}
	for _, tt := range tests {
		if got := g.weight(tt.n); got != tt.want {
			t.Errorf("weight(%d) = %d, want %d", tt.n, got, tt.want)
		}
	}
	if got := newParseGate(8 << 20).weight(4 << 20); got != 8<<20 {
		t.Errorf("weight over the gate = %d, want the gate's size", got)
	}
}

// Big attachments are parsed one at a time when the parse memory holds
// only one, however many parsers there are.
func TestEngineBoundsParseMemory(t *testing.T) {
	r := newRig(t, 5)
	r.cfg.Pipelines, r.cfg.Parsers = 2, 4
	r.cfg.ParseMemory = 4 << 20
	var mu sync.Mutex
	running, peak := 0, 0
	r.cfg.Parse = func(data []byte, opts reports.Options) ([]*reports.Report, error) {
		mu.Lock()
		running++
		peak = max(peak, running)
		mu.Unlock()
		time.Sleep(5 * time.Millisecond) // let the other parsers try to overlap
		defer func() {
			mu.Lock()
			running--
			mu.Unlock()
		}()
		return fakeParse(data[:strings.IndexByte(string(data), '#')], opts)
	}
	pad := strings.Repeat("x", 1<<20)
	for i := range 8 {
		r.submit(t, "t"+string(rune('a'+i)), "report "+string(rune('a'+i))+" 1\n#"+pad)
	}
	r.run(t)
	if peak != 1 {
		t.Errorf("%d attachments parsed at once, want 1", peak)
	}
	for i := range 8 {
		if st := r.status(t, "t"+string(rune('a'+i))); st.State != StateProcessed {
			t.Errorf("status = %+v", st)
		}
	}
}
