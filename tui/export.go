package tui

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
)

// exportData is what a screen exports: its rows as text for CSV, and as
// values for JSON (the shapes of CONTRACT.md section 5 where there is one).
type exportData struct {
	name   string // a word for the file name: services, records, trend...
	header []string
	rows   [][]string
	json   any
}

// unsafeName matches what may not go into a file name.
var unsafeName = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// exportView writes the screen on top to a file in the export folder and
// says where in the status line.
func (m *Model) exportView(asJSON bool) {
	d := m.top().export(m.e)
	ext := "csv"
	if asJSON {
		ext = "json"
	}
	name := fmt.Sprintf("rptctl-%s-%s-%s.%s", m.opts.Filter.Company, d.name,
		m.opts.Now().UTC().Format("20060102-150405"), ext)
	name = unsafeName.ReplaceAllString(name, "_")
	path := filepath.Join(m.opts.ExportDir, name)

	data, err := encodeExport(d, asJSON)
	if err == nil {
		err = os.WriteFile(path, data, 0o644)
	}
	if err != nil {
		m.status, m.statusErr = fmt.Sprintf("export: %v", err), true
		return
	}
	if !filepath.IsAbs(path) {
		path = "." + string(filepath.Separator) + path // plainly a path, not a word
	}
	m.status, m.statusErr = fmt.Sprintf("exported %d rows to %s", len(d.rows), path), false
}

func encodeExport(d exportData, asJSON bool) ([]byte, error) {
	var buf bytes.Buffer
	if asJSON {
		enc := json.NewEncoder(&buf)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		if err := enc.Encode(d.json); err != nil {
			return nil, fmt.Errorf("encoding JSON: %w", err)
		}
		return buf.Bytes(), nil
	}
	w := csv.NewWriter(&buf)
	if err := w.Write(d.header); err != nil {
		return nil, fmt.Errorf("encoding CSV: %w", err)
	}
	if err := w.WriteAll(d.rows); err != nil {
		return nil, fmt.Errorf("encoding CSV: %w", err)
	}
	return buf.Bytes(), nil
}
