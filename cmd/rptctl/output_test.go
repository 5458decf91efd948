package main

import (
	"bytes"
	"testing"
)

func TestOutputTableAndCSV(t *testing.T) {
	var buf bytes.Buffer
	o, err := newOutput(&buf, "table", "table", "json", "csv")
	if err != nil {
		t.Fatal(err)
	}
	if err := o.Rows([]string{"name", "count"}, [][]string{{"example.com", "7"}}); err != nil {
		t.Fatal(err)
	}
	want := "┌─────────────┬───────┐\n│ name        │ count │\n├─────────────┼───────┤\n│ example.com │ 7     │\n└─────────────┴───────┘\n"
	if buf.String() != want {
		t.Errorf("table:\n%s\nwant:\n%s", buf.String(), want)
	}

	buf.Reset()
	o.format = "csv"
	if err := o.Rows([]string{"name", "count"}, [][]string{{"a,b", "7"}}); err != nil {
		t.Fatal(err)
	}
	if got, want := buf.String(), "name,count\n\"a,b\",7\n"; got != want {
		t.Errorf("csv = %q, want %q", got, want)
	}

	if _, err := newOutput(&buf, "yaml", "table", "json"); err == nil {
		t.Error("newOutput accepted yaml")
	}
}
