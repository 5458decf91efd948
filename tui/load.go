package tui

import (
	"context"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/rptctl/rptctl/engine/results"
)

// loadEvent is one step of loading: a chunk, or the end (with its error).
type loadEvent struct {
	chunk results.Chunk
	done  bool
	err   error
}

// loadMsg carries the events that arrived since the last one, so that a
// fast store does not make the screen redraw once per object.
type loadMsg struct {
	events []loadEvent
	from   <-chan loadEvent
}

// maxEventsPerMsg bounds how much one redraw takes in.
const maxEventsPerMsg = 256

// startLoad reads the results in the background. The scan runs on its
// own goroutine and hands chunks over a channel; the dataset is only ever
// touched by Update.
func (m *Model) startLoad() tea.Cmd {
	ctx, cancel := context.WithCancel(m.e.ctx)
	m.cancel = cancel
	m.loading, m.loadErr = true, nil
	m.e.loading = true
	events := make(chan loadEvent, maxEventsPerMsg)
	m.events = events
	q, d := m.e.q, m.e.data
	go func() {
		defer close(events)
		err := q.Load(ctx, d, func(c results.Chunk) error {
			select {
			case events <- loadEvent{chunk: c}:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		})
		select {
		case events <- loadEvent{done: true, err: err}:
		case <-ctx.Done():
		}
	}()
	return waitLoad(events)
}

// waitLoad waits for the next events of a load.
func waitLoad(events <-chan loadEvent) tea.Cmd {
	return func() tea.Msg {
		ev, ok := <-events
		if !ok {
			return nil
		}
		msg := loadMsg{events: []loadEvent{ev}, from: events}
		for len(msg.events) < maxEventsPerMsg && !ev.done {
			select {
			case ev, ok = <-events:
				if !ok {
					return msg
				}
				msg.events = append(msg.events, ev)
			default:
				return msg
			}
		}
		return msg
	}
}

// onLoad takes in loaded chunks and waits for more.
func (m *Model) onLoad(msg loadMsg) tea.Cmd {
	if msg.from != m.events {
		return nil // a load that was replaced by a reload
	}
	for _, ev := range msg.events {
		if ev.done {
			m.loading, m.e.loading = false, false
			if ev.err != nil && m.e.ctx.Err() == nil {
				m.loadErr = ev.err
			}
			return nil
		}
		m.e.data.Add(ev.chunk)
	}
	return waitLoad(m.events)
}

// reload drops what was loaded and reads the results again.
func (m *Model) reload() tea.Cmd {
	if m.cancel != nil {
		m.cancel()
	}
	m.reset()
	return tea.Batch(m.startLoad(), m.spin.Tick)
}
