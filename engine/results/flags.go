package results

import (
	"slices"
	"time"
)

// Defaults of the flag thresholds.
const (
	// DefaultFailBelow: a source passing DMARC for less than 90% of its
	// messages is failing. Legitimate senders sit near 100%; forwarding
	// and mailing lists take a few percent off, spoofing takes far more.
	DefaultFailBelow = 0.9
	// DefaultSpikeFactor: a day is a spike when its volume exceeds three
	// times the median of the source's other days with mail in the period
	// (at least three of them).
	DefaultSpikeFactor = 3.0
	// DefaultSpikeMin: and when it holds at least this many messages, so
	// that 4 messages after a usual 1 are not called a spike.
	DefaultSpikeMin = 100
	// DefaultLookback is how far before the period a query looks to tell
	// whether a source is new.
	DefaultLookback = 30 * 24 * time.Hour
)

// FlagOptions sets how flags are given to source rows.
type FlagOptions struct {
	// From and To are the period (zero: open). A source is new when no
	// record of it is seen in the look-back window before From, so there
	// is no new flag without From.
	From, To    time.Time
	FailBelow   float64 // pass rate under which a source is failing
	SpikeFactor float64 // a day above SpikeFactor x the median of the others
	SpikeMin    int64   // and with at least SpikeMin messages is a spike
}

func (o FlagOptions) withDefaults() FlagOptions {
	if o.FailBelow == 0 {
		o.FailBelow = DefaultFailBelow
	}
	if o.SpikeFactor == 0 {
		o.SpikeFactor = DefaultSpikeFactor
	}
	if o.SpikeMin == 0 {
		o.SpikeMin = DefaultSpikeMin
	}
	return o
}

func (a *Aggregator) flags(g *group, r *SourceRow, o FlagOptions,
	totals map[time.Time]int64) []string {
	flags := []string{}
	if a.by != ByDay && !o.From.IsZero() && !a.history[r.Key] {
		flags = append(flags, FlagNew)
	}
	if r.Messages > 0 && r.PassRate() < o.FailBelow {
		flags = append(flags, FlagFailing)
	}
	spike := false
	if a.by == ByDay {
		d := day(r.FirstSeen)
		spike = isSpike(totals, d, totals[d], o)
	} else {
		for d, v := range g.days {
			if isSpike(g.days, d, v, o) {
				spike = true
				break
			}
		}
	}
	if spike {
		flags = append(flags, FlagSpike)
	}
	return flags
}

// spikeBaselineDays is how many other days with mail a series needs
// before any of its days can be called a spike: with fewer there is no
// usual level to compare with.
const spikeBaselineDays = 3

// isSpike tells whether day d of series, with volume v, is far above the
// median of the series' other days with mail. Silent days do not count:
// a sender that mails a newsletter once a month is not a spike every
// month, while a source that usually sends 50 a day and one day 5,000 is.
func isSpike(series map[time.Time]int64, d time.Time, v int64, o FlagOptions) bool {
	if v < o.SpikeMin {
		return false
	}
	var others []int64
	for od, ov := range series {
		if !od.Equal(d) && ov > 0 {
			others = append(others, ov)
		}
	}
	if len(others) < spikeBaselineDays {
		return false
	}
	return float64(v) > o.SpikeFactor*median(others)
}

// median of values (which it sorts); 0 for none.
func median(values []int64) float64 {
	slices.Sort(values)
	n := len(values)
	switch {
	case n == 0:
		return 0
	case n%2 == 1:
		return float64(values[n/2])
	}
	return float64(values[n/2-1]+values[n/2]) / 2
}

// Selection narrows lines to one group: the records of one service,
// hostname, IP or day.
type Selection struct {
	By  Grouping
	Key string
}

// Scope is a drill-down path, for example a service then one of its
// hostnames; a line is in scope when it is in every selection.
type Scope []Selection

// Match reports whether l is in the scope.
func (s Scope) Match(l *Line) bool {
	for _, sel := range s {
		if GroupKey(sel.By, l) != sel.Key {
			return false
		}
	}
	return true
}

// Spikes marks the points of a trend that are spikes, judged as the spike
// flag judges a source's days.
func Spikes(points []TrendPoint, o FlagOptions) []bool {
	o = o.withDefaults()
	series := map[time.Time]int64{}
	for _, p := range points {
		if p.Messages > 0 {
			series[day(p.Day)] = p.Messages
		}
	}
	out := make([]bool, len(points))
	for i, p := range points {
		out[i] = isSpike(series, day(p.Day), p.Messages, o)
	}
	return out
}

// WithDefaults returns o with the defaults in place of zero thresholds.
func (o FlagOptions) WithDefaults() FlagOptions { return o.withDefaults() }
