package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/pprof"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/rptctl/rptctl/engine/results"
)

// Server timeouts and limits, each with its reason.
const (
	// readHeaderTimeout stops slow-loris clients that trickle headers.
	readHeaderTimeout = 10 * time.Second
	// readTimeout bounds a whole upload: 32 MiB at 2 Mbit/s takes about
	// two minutes; slower clients hold a connection and memory too long.
	readTimeout = 3 * time.Minute
	// writeTimeout counts from the end of the headers, so it covers the
	// body read plus the queue send and the answer.
	writeTimeout = readTimeout + 30*time.Second
	// idleTimeout closes keep-alive connections nobody uses.
	idleTimeout = 2 * time.Minute
	// maxHeaderBytes: a report request needs a few short headers.
	maxHeaderBytes = 64 << 10
	// probeTimeout bounds the backend checks of /readyz.
	probeTimeout = 5 * time.Second
)

// HandlerOptions adds the operational endpoints to the API.
type HandlerOptions struct {
	Gatherer prometheus.Gatherer // serves /metrics; nil: no /metrics
	Pprof    bool                // serve /debug/pprof/
}

// Handler returns the routes of CONTRACT.md section 2.
func (s *Ingest) Handler(opts HandlerOptions) http.Handler {
	mux := http.NewServeMux()
	s.route(mux, "POST /v1/reports", s.handlePost)
	s.route(mux, "GET /v1/reports/{traceId}", s.handleGet)
	s.route(mux, "GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	s.route(mux, "GET /readyz", s.handleReady)
	if opts.Gatherer != nil {
		mux.Handle("GET /metrics", promhttp.HandlerFor(opts.Gatherer, promhttp.HandlerOpts{}))
	}
	if opts.Pprof {
		AddPprof(mux)
	}
	return jsonFallback(mux)
}

// AddPprof adds the net/http/pprof handlers under /debug/pprof/ to mux.
func AddPprof(mux *http.ServeMux) {
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
}

// route registers h under pattern, counting its answers by status code.
func (s *Ingest) route(mux *http.ServeMux, pattern string, h http.HandlerFunc) {
	mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		h(rec, r)
		s.cfg.Metrics.Requests.WithLabelValues(pattern, strconv.Itoa(rec.status)).Inc()
	})
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

// handleGet serves GET /v1/reports/{traceId}. The company is the one the
// query parameter companyId (or the header X-Company-Id) names, else the
// token's own when it has exactly one; failing both, the status objects
// the token may read are searched for the trace id.
func (s *Ingest) handleGet(w http.ResponseWriter, r *http.Request) {
	g, ok := s.cfg.Tokens.authorize(r)
	if !ok {
		writeError(w, http.StatusUnauthorized, "unauthorized",
			"missing or unknown bearer token: send Authorization: Bearer TOKEN")
		return
	}
	traceID := r.PathValue("traceId")
	company := r.URL.Query().Get("companyId")
	if company == "" {
		company = r.Header.Get("X-Company-Id")
	}
	if only, one := g.only(); company == "" && one {
		company = only
	}
	switch {
	case !validTraceID(traceID):
		writeError(w, http.StatusBadRequest, "invalid_trace_id",
			fmt.Sprintf("traceId %q is not a valid trace id", traceID))
		return
	case company == "":
		s.findStatus(w, r, g, traceID)
		return
	case !validID(company):
		writeError(w, http.StatusBadRequest, "invalid_company_id",
			fmt.Sprintf("companyId %q is not a valid company id", company))
		return
	case !g.allows(company):
		writeError(w, http.StatusForbidden, "forbidden",
			fmt.Sprintf("the token may not read company %q", company))
		return
	}
	s.writeStatus(w, r, company, traceID)
}

func (s *Ingest) writeStatus(w http.ResponseWriter, r *http.Request, company, traceID string) {
	st, err := GetStatus(r.Context(), s.cfg.Store, company, traceID)
	switch {
	case isNotFound(err):
		writeError(w, http.StatusNotFound, "not_found",
			fmt.Sprintf("no report %q for company %q", traceID, company))
	case err != nil:
		writeAPIError(w, s.unavailable("reading the status", err))
	default:
		writeJSON(w, http.StatusOK, st)
	}
}

// findStatus answers a status request that names no company by listing
// the status objects. It costs a listing of every status, so clients
// that know the company (rptctl submit --wait does) name it.
func (s *Ingest) findStatus(w http.ResponseWriter, r *http.Request, g grant, traceID string) {
	infos, err := s.cfg.Store.List(r.Context(), results.StatusPrefix)
	if err != nil {
		writeAPIError(w, s.unavailable("listing statuses", err))
		return
	}
	var found []string
	for _, in := range infos {
		company, name, ok := strings.Cut(strings.TrimPrefix(in.Key, results.StatusPrefix), "/")
		if ok && name == traceID+".json" && g.allows(company) {
			found = append(found, company)
		}
	}
	switch len(found) {
	case 0:
		writeError(w, http.StatusNotFound, "not_found", fmt.Sprintf("no report %q", traceID))
	case 1:
		s.writeStatus(w, r, found[0], traceID)
	default:
		writeError(w, http.StatusBadRequest, "invalid_company_id",
			fmt.Sprintf("trace id %q is used by several companies: name one with "+
				"?companyId=ID", traceID))
	}
}

// handleReady answers 200 when the queue and the store can be reached.
func (s *Ingest) handleReady(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), probeTimeout)
	defer cancel()
	if _, err := s.cfg.Queue.Stats(ctx); err != nil {
		writeAPIError(w, s.unavailable("probing the queue", err))
		return
	}
	if err := probeStore(ctx, s.cfg.Store); err != nil {
		writeAPIError(w, s.unavailable("probing the store", err))
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}

// readyKey is the probe object of /readyz, beside the status objects the
// server writes.
const readyKey = results.StatusPrefix + ".readyz"

// probeStore writes and reads back a probe object: a Head that answers
// "not found" says nothing of whether the server can write statuses and
// payloads (a bucket folder replaced by a file answers so).
func probeStore(ctx context.Context, st Store) error {
	want := []byte(time.Now().UTC().Format(time.RFC3339Nano))
	if err := st.Put(ctx, readyKey, want); err != nil {
		return fmt.Errorf("writing the probe object: %w", err)
	}
	got, err := st.Get(ctx, readyKey)
	if err != nil {
		return fmt.Errorf("reading the probe object: %w", err)
	}
	if string(got) != string(want) {
		return fmt.Errorf("the probe object read back %d bytes, not the %d written",
			len(got), len(want))
	}
	return nil
}

// jsonFallback answers what mux has no route for (404) or no route with
// that method for (405, keeping its Allow header) in the error JSON of
// CONTRACT.md section 2, instead of net/http's plain text.
func jsonFallback(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h, pattern := mux.Handler(r)
		if pattern != "" {
			mux.ServeHTTP(w, r)
			return
		}
		h.ServeHTTP(&errorWriter{ResponseWriter: w, r: r}, r)
	})
}

// errorWriter turns the status net/http's fallback handlers write into a
// JSON error and drops their text.
type errorWriter struct {
	http.ResponseWriter
	r       *http.Request
	written bool
}

func (e *errorWriter) WriteHeader(code int) {
	if e.written {
		return
	}
	e.written = true
	switch code {
	case http.StatusMethodNotAllowed:
		writeError(e.ResponseWriter, code, "method_not_allowed",
			fmt.Sprintf("%s is not allowed on %s (allowed: %s)", e.r.Method, e.r.URL.Path,
				e.Header().Get("Allow")))
	case http.StatusNotFound:
		writeError(e.ResponseWriter, code, "not_found",
			fmt.Sprintf("no such endpoint %s %s", e.r.Method, e.r.URL.Path))
	default:
		e.ResponseWriter.WriteHeader(code)
	}
}

func (e *errorWriter) Write(p []byte) (int, error) {
	if !e.written {
		e.WriteHeader(http.StatusOK)
	}
	return len(p), nil // the fallback's own text is replaced
}

// NewHTTPServer returns an http.Server for h with rptctl's timeouts and
// limits.
func NewHTTPServer(addr string, h http.Handler) *http.Server {
	return &http.Server{
		Addr:              addr,
		Handler:           h,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
	}
}

// CheckListen refuses a non-loopback listen address when no tokens
// protect the API: an open ingest endpoint would let anyone fill the
// queue and read any company's status.
func CheckListen(addr string, tokens *Tokens) error {
	if tokens.Enabled() {
		return nil
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("listen address %q: %w", addr, err)
	}
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("listen address %q is not loopback: give --auth-tokens FILE "+
		"or listen on 127.0.0.1", addr)
}

// ErrorBody is the JSON of an error answer.
type ErrorBody struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

func writeAPIError(w http.ResponseWriter, e *apiError) {
	writeError(w, e.status, e.code, e.message)
}

func writeTooLarge(w http.ResponseWriter, limit int64) {
	writeAPIError(w, tooLarge(limit))
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	var b ErrorBody
	b.Error.Code = code
	b.Error.Message = msg
	writeJSON(w, status, b)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	// The client may be gone; there is nobody left to tell.
	_ = json.NewEncoder(w).Encode(v)
}
