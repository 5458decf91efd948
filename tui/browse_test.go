package tui

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/bubbles/spinner"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"

	"github.com/rptctl/rptctl/awsio"
	"github.com/rptctl/rptctl/engine/results"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// testdata is the golden files' folder, absolute: tests change the
// current folder to where exports go.
var testdata string

func TestMain(m *testing.M) {
	// Golden views are compared without colour, as under NO_COLOR.
	lipgloss.SetColorProfile(termenv.Ascii)
	abs, err := filepath.Abs("testdata")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	testdata = abs
	os.Exit(m.Run())
}

// harness drives a Model as bubbletea would, synchronously: every
// command runs to its message and the message goes to Update, until
// nothing is left to do. Spinner ticks are dropped: they only animate.
type harness struct {
	t   *testing.T
	m   *Model
	dir string
}

func newHarness(t *testing.T, r results.Reader, f results.Filter, w, h int) *harness {
	t.Helper()
	// Exports go to the current folder, as in real use, so that the
	// status line is the same on every run.
	dir := t.TempDir()
	t.Chdir(dir)
	m := New(context.Background(), Options{
		Querier: results.NewQuerier(r, 4),
		Filter:  f,
		Now:     func() time.Time { return time.Date(2024, 3, 9, 10, 0, 0, 0, time.UTC) },
	})
	hs := &harness{t: t, m: m, dir: dir}
	hs.send(tea.WindowSizeMsg{Width: w, Height: h})
	hs.run(m.Init())
	return hs
}

func (h *harness) send(msg tea.Msg) {
	_, cmd := h.m.Update(msg)
	h.run(cmd)
}

func (h *harness) run(cmd tea.Cmd) {
	if cmd == nil {
		return
	}
	switch msg := cmd().(type) {
	case nil, spinner.TickMsg, tea.QuitMsg:
	case tea.BatchMsg:
		for _, c := range msg {
			h.run(c)
		}
	default:
		h.send(msg)
	}
}

// press sends keys by name: "enter", "esc", "tab", "shift+tab", "up",
// "down", "backspace", or text typed rune by rune.
func (h *harness) press(keys ...string) {
	named := map[string]tea.KeyType{
		"enter": tea.KeyEnter, "esc": tea.KeyEsc, "tab": tea.KeyTab,
		"shift+tab": tea.KeyShiftTab, "up": tea.KeyUp, "down": tea.KeyDown,
		"backspace": tea.KeyBackspace, "space": tea.KeySpace,
	}
	for _, k := range keys {
		if typ, ok := named[k]; ok {
			h.send(tea.KeyMsg{Type: typ})
			continue
		}
		for _, r := range k {
			h.send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}})
		}
	}
}

// golden compares the view with testdata/<name>.golden.
func (h *harness) golden(name string) {
	h.t.Helper()
	checkGolden(h.t, name, h.m.View())
}

func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join(testdata, name+".golden")
	if *update {
		if err := os.MkdirAll(testdata, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading golden file (go test -update writes it): %v", err)
	}
	if got != string(want) {
		t.Errorf("view %s differs from %s:\n%s\n--- want:\n%s", name, path, got, want)
	}
}

func weekFilter() results.Filter {
	return results.Filter{Company: "acme", From: periodFrom, To: periodTo}
}

func TestBrowseViews(t *testing.T) {
	store := browseStore(t)
	tests := []struct {
		name string
		w, h int
		keys []string
	}{
		{"services-80x24", 80, 24, nil},
		{"services-120x40", 120, 40, nil},
		{"hostnames-tab", 80, 24, []string{"tab"}},
		{"ips-tab-120x40", 120, 40, []string{"tab", "tab"}},
		{"tls-tab", 80, 24, []string{"shift+tab", "shift+tab"}},
		{"failures-tab", 80, 24, []string{"shift+tab"}},
		{"sort-by-name", 80, 24, []string{"s"}},
		{"sort-by-name-reversed", 80, 24, []string{"s", "S"}},
		{"sort-by-messages", 80, 24, []string{"s", "s"}},
		{"sort-by-rate", 80, 24, []string{"s", "s", "s"}},
		{"sort-by-fail-120x40", 120, 40, []string{"s", "s", "s", "s", "s"}},
		{"filter-typing", 80, 24, []string{"/", "goo"}},
		{"filter-kept", 80, 24, []string{"/", "sender", "enter"}},
		{"filter-cleared", 80, 24, []string{"/", "sender", "esc"}},
		{"failing-only", 80, 24, []string{"f"}},
		{"cursor-moved", 80, 24, []string{"down", "j"}},
		{"drill-hostnames", 80, 24, []string{"enter"}},
		{"drill-ips", 80, 24, []string{"enter", "enter"}},
		{"drill-records", 80, 24, []string{"enter", "enter", "enter"}},
		{"drill-records-120x40", 120, 40, []string{"enter", "enter", "enter", "down"}},
		{"drill-report", 80, 24, []string{"enter", "enter", "enter", "enter"}},
		{"drill-report-120x40", 120, 40, []string{"enter", "enter", "enter", "enter"}},
		{"drill-back", 80, 24, []string{"enter", "enter", "esc"}},
		{"tls-report", 80, 24, []string{"shift+tab", "shift+tab", "enter"}},
		{"failure-report", 80, 24, []string{"shift+tab", "enter"}},
		{"trend-row", 80, 24, []string{"t"}},
		{"trend-all-120x40", 120, 40, []string{"T"}},
		{"trend-domain", 80, 24, []string{"T", "d", "d"}},
		{"trend-domain-wraps", 80, 24, []string{"T", "d", "d", "d"}},
		{"help", 80, 24, []string{"?"}},
		{"help-closed", 80, 24, []string{"?", "?"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, store, weekFilter(), tt.w, tt.h)
			h.press(tt.keys...)
			h.golden(tt.name)
		})
	}
}

func TestBrowseEmptyCompany(t *testing.T) {
	h := newHarness(t, browseStore(t), results.Filter{Company: "nobody"}, 80, 24)
	h.golden("empty-company")
	h.press("tab", "tab", "tab")
	h.golden("empty-company-tls")
}

// brokenReader lists the real objects but cannot read any of them.
type brokenReader struct{ results.Reader }

func (brokenReader) Get(context.Context, string) ([]byte, error) {
	return nil, fmt.Errorf("get object: %w", awsio.ErrUnavailable)
}

// downReader cannot even list.
type downReader struct{ results.Reader }

func (downReader) List(context.Context, string) ([]awsio.ObjectInfo, error) {
	return nil, fmt.Errorf("list objects: %w", awsio.ErrUnavailable)
}

func TestBrowseStoreError(t *testing.T) {
	store := browseStore(t)
	h := newHarness(t, downReader{store}, weekFilter(), 80, 24)
	h.golden("store-error")
	h.press("tab")
	h.golden("store-error-tab")

	// Failing reads end the load with the error in place, whichever
	// object failed first.
	h = newHarness(t, brokenReader{store}, weekFilter(), 80, 24)
	if !errors.Is(h.m.loadErr, awsio.ErrUnavailable) ||
		!strings.Contains(h.m.View(), "backend unavailable") {
		t.Errorf("loadErr = %v, view:\n%s", h.m.loadErr, h.m.View())
	}
	// r reloads; with a working store the error goes away.
	h.m.e.q = results.NewQuerier(store, 2)
	h.press("r")
	if h.m.loadErr != nil || len(h.m.e.data.Aggregate) == 0 {
		t.Errorf("after reload: err %v, %d records", h.m.loadErr, len(h.m.e.data.Aggregate))
	}
}

func TestBrowseExport(t *testing.T) {
	h := newHarness(t, browseStore(t), weekFilter(), 80, 24)
	h.press("f", "e")
	h.golden("export-csv")
	csvPath := filepath.Join(h.dir, "rptctl-acme-service-20240309-100000.csv")
	data, err := os.ReadFile(csvPath)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "service,type,messages") {
		t.Errorf("CSV of the failing services:\n%s", data)
	}

	h.press("f", "enter", "E")
	jsonPath := filepath.Join(h.dir, "rptctl-acme-hostname-20240309-100000.json")
	data, err = os.ReadFile(jsonPath)
	if err != nil {
		t.Fatal(err)
	}
	var rows []results.SourceRow
	if err := json.Unmarshal(data, &rows); err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || rows[0].Key != "mail-a.sender.example" ||
		rows[0].Messages != 1660 || rows[1].Messages != 600 {
		t.Errorf("JSON export of Sender Mail's hostnames: %s", data)
	}
	if !strings.Contains(h.m.View(), "exported 2 rows to ./rptctl-acme-hostname-2024") {
		t.Errorf("the status line does not say where the export went:\n%s", h.m.View())
	}
}

func TestBrowseExportError(t *testing.T) {
	h := newHarness(t, browseStore(t), weekFilter(), 80, 24)
	h.m.opts.ExportDir = filepath.Join(h.dir, "missing")
	h.press("e")
	if !h.m.statusErr || !strings.Contains(h.m.View(), "export:") {
		t.Errorf("export to a missing folder not reported:\n%s", h.m.View())
	}
}

func TestBrowseShowsPartialResults(t *testing.T) {
	store := browseStore(t)
	m := New(context.Background(), Options{Querier: results.NewQuerier(store, 1),
		Filter: weekFilter()})
	m.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
	cmd := m.startLoad()
	// Take in one message of events only: the screen shows what came.
	msg := cmd()
	lm, ok := msg.(loadMsg)
	if !ok {
		t.Fatalf("first message %T, want loadMsg", msg)
	}
	m.Update(loadMsg{events: lm.events[:1], from: lm.from})
	// One worker reads the newest partition first: the view is the same
	// on every run.
	checkGolden(t, "loading", m.View())
	m.quit() // cancels the scan
}

func TestBrowseReportReadError(t *testing.T) {
	store := browseStore(t)
	h := newHarness(t, store, weekFilter(), 80, 24)
	// The report is read when opened: make that read fail.
	h.m.e.q = results.NewQuerier(downReader{store}, 1)
	h.press("enter", "enter", "enter", "enter")
	h.golden("report-read-error")
	h.press("esc")
	if !strings.Contains(h.m.View(), "192.0.2.10") {
		t.Errorf("esc did not go back to the records:\n%s", h.m.View())
	}
}
