package tui

import (
	"testing"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/rptctl/rptctl/awsio"
	"github.com/rptctl/rptctl/reports"
)

// wideStore is browseStore with, on 2024-03-05, a report of IPv6 sources
// without enrichment (one of them with the RFC 9990 disposition pass)
// and a report without records.
func wideStore(t *testing.T) awsio.Store {
	s := browseStore(t)
	day := periodFrom.AddDate(0, 0, 4)
	passed := record("2001:db8:4860:4860::8888", nil, 9, true)
	passed.Disposition = "pass"
	put(t, s, aggregate("Receiver Inc", "v6", day, []reports.Record{passed,
		record("2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", nil, 4, false)}))
	put(t, s, aggregate("Quiet Receiver", "none", day, nil))
	return s
}

// TestBrowseViews100x30: at 100 columns the IP column is as wide as the
// longest IPv6 address, an empty hostname column is narrow, a report
// without records is no source and no record, and the records show the
// disposition as reported.
func TestBrowseViews100x30(t *testing.T) {
	store := wideStore(t)
	tests := []struct {
		name string
		keys []string
	}{
		{"wide-services-100x30", nil},
		{"wide-ips-100x30", []string{"tab", "tab"}},
		{"wide-unknown-records-100x30", []string{"/", "unknown", "enter", "enter", "enter",
			"down", "enter"}},
		{"wide-failures-100x30", []string{"shift+tab"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, store, weekFilter(), 100, 30)
			h.press(tt.keys...)
			h.golden(tt.name)
		})
	}
}

// TestReportKeysWhileLoading: keys pressed while a report is read scroll
// it once it is shown, as if pressed after.
func TestReportKeysWhileLoading(t *testing.T) {
	store := browseStore(t)
	after := newHarness(t, store, weekFilter(), 80, 24)
	after.press("enter", "enter", "enter", "enter")
	top := after.m.View() // lays the report out, as the terminal would
	after.press("down", "down", "down")
	if after.m.View() == top {
		t.Fatal("the report does not scroll: the test shows nothing")
	}

	during := newHarness(t, store, weekFilter(), 80, 24)
	during.press("enter", "enter", "enter")
	_, open := during.m.Update(tea.KeyMsg{Type: tea.KeyEnter})
	during.press("down", "down", "down") // the report is not read yet
	during.run(open)

	if got, want := during.m.View(), after.m.View(); got != want {
		t.Errorf("keys pressed while loading were lost:\n%s\n--- want:\n%s", got, want)
	}
}
