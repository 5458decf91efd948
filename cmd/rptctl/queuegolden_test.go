package main

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/rptctl/rptctl/awsio"
)

// fixedStats is a queue that only answers Stats, for golden tables.
type fixedStats struct {
	awsio.Queue
	stats awsio.QueueStats
}

func (f fixedStats) Stats(context.Context) (awsio.QueueStats, error) { return f.stats, nil }

func TestQueueStatsGolden(t *testing.T) {
	var out bytes.Buffer
	err := runQueueStats(context.Background(), queueStatsOptions{Format: "table"},
		queueStatsDeps{
			Queue: fixedStats{stats: awsio.QueueStats{Name: "rptctl-reports", Visible: 1204,
				InFlight: 40, Delayed: 0}},
			DLQ: fixedStats{stats: awsio.QueueStats{Name: "rptctl-reports-dlq", Visible: 3}},
			Out: &out, Now: time.Now,
		})
	if err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "queue/stats.txt", out.Bytes())
}

func TestDLQListGolden(t *testing.T) {
	first := time.Date(2026, 12, 3, 9, 15, 2, 0, time.UTC)
	entries := []dlqEntry{
		{TraceID: "9f0c2a", CompanyID: "acme", CustomerID: "shop", ReceiveCount: 1,
			FirstReceived: &first, Size: 5464, Delivery: "offloaded",
			Error: "parsing report: decoding gzip member:\n unexpected EOF", Permanent: true},
		{TraceID: "b77e01", CompanyID: "acme", CustomerID: "web", ReceiveCount: 5,
			FirstReceived: &first, Size: 1320, Delivery: "inline",
			Error: "storing batch 1 of 1: putting results/company=acme/...: " +
				"backend unavailable: connection refused"},
		{TraceID: "", CompanyID: "", CustomerID: "", ReceiveCount: 2, Size: 12,
			Delivery: "inline"},
		{TraceID: "c41d9e", CompanyID: "acme", CustomerID: "shop", ReceiveCount: 1,
			FailedAt: &first, Size: 88, Delivery: "inline",
			Error: "parsing report: not a DMARC, TLS-RPT or ARF report", Permanent: true},
	}
	var out bytes.Buffer
	if err := (output{w: &out, format: "table"}).Rows(dlqTable(entries)); err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "dlq/list.txt", out.Bytes())
}
