package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/urfave/cli/v2"
	"golang.org/x/term"

	"github.com/rptctl/rptctl/awsio"
)

// Build information, stamped in by the linker (see .goreleaser.yaml).
var (
	version = "dev"
	commit  = "none"
	date    = "unknown"
)

// streams is where a command reads and writes, so tests can capture it.
type streams struct {
	In       io.Reader
	Out      io.Writer
	Err      io.Writer
	OutIsTTY bool
	ErrIsTTY bool
}

func defaultStreams() streams {
	return streams{
		In:       os.Stdin,
		Out:      os.Stdout,
		Err:      os.Stderr,
		OutIsTTY: term.IsTerminal(int(os.Stdout.Fd())),
		ErrIsTTY: term.IsTerminal(int(os.Stderr.Fd())),
	}
}

// globalOptions are the flags of CONTRACT.md section 1 that every command
// shares.
type globalOptions struct {
	Backend     string
	DataDir     string
	Queue       string
	DLQ         string
	Bucket      string
	S3PathStyle bool
	LogFormat   string
	LogLevel    string

	// Set by action, not by flags.
	logger *slog.Logger
	// sweep: this command runs long enough to sweep expired payloads of
	// the local backend (serve and parse); short commands leave it.
	sweep bool
	// create: this command may create the local data folder, queues and
	// bucket (serve, parse, setup); the others only read or move what is
	// there, so a mistyped --data-dir or --queue is an error, not a new
	// empty system.
	create bool
}

// usageError marks a wrong invocation: exit status 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// errSilent is returned by commands that have already said what went
// wrong (for example per file) and only need exit status 1.
var errSilent = errors.New("failed")

// envName gives the environment variable a flag is also read from.
func envName(flag string) []string {
	name := strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))
	return []string{"RPTCTL_" + name}
}

func globalFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "backend", Value: "local", EnvVars: envName("backend"),
			Usage: "local (embedded, on disk) or aws (SQS and S3)"},
		&cli.StringFlag{Name: "data-dir", Value: "./rptctl-data", EnvVars: envName("data-dir"),
			Usage: "where the local backend keeps everything"},
		&cli.StringFlag{Name: "queue", Value: "rptctl-reports", EnvVars: envName("queue"),
			Usage: "the work queue (aws: a name or a queue URL)"},
		&cli.StringFlag{Name: "dlq", Value: "rptctl-reports-dlq", EnvVars: envName("dlq"),
			Usage: "the dead-letter queue"},
		&cli.StringFlag{Name: "bucket", Value: "rptctl", EnvVars: envName("bucket"),
			Usage: "the object store bucket"},
		&cli.BoolFlag{Name: "s3-path-style", EnvVars: envName("s3-path-style"),
			Usage: "path-style S3 addressing, for S3-compatible endpoints"},
		&cli.StringFlag{Name: "log-format", EnvVars: envName("log-format"),
			Usage: "text or json (default: text on a terminal, json otherwise)"},
		&cli.StringFlag{Name: "log-level", Value: "info", EnvVars: envName("log-level"),
			Usage: "debug, info, warn or error"},
	}
}

func readGlobals(c *cli.Context) (globalOptions, error) {
	g := globalOptions{
		Backend:     c.String("backend"),
		DataDir:     c.String("data-dir"),
		Queue:       c.String("queue"),
		DLQ:         c.String("dlq"),
		Bucket:      c.String("bucket"),
		S3PathStyle: c.Bool("s3-path-style"),
		LogFormat:   c.String("log-format"),
		LogLevel:    c.String("log-level"),
	}
	if g.Backend != "local" && g.Backend != "aws" {
		return g, usagef("--backend %q: use local or aws", g.Backend)
	}
	if g.LogFormat != "" && g.LogFormat != "text" && g.LogFormat != "json" {
		return g, usagef("--log-format %q: use text or json", g.LogFormat)
	}
	return g, nil
}

func (g globalOptions) backendConfig() awsio.Config {
	return awsio.Config{
		Backend:     g.Backend,
		DataDir:     g.DataDir,
		Queue:       g.Queue,
		DLQ:         g.DLQ,
		Bucket:      g.Bucket,
		S3PathStyle: g.S3PathStyle,
		Logger:      g.logger,
		NoSweep:     !g.sweep,
		NoCreate:    !g.create,
	}
}

// newLogger builds the process's logger: text on a terminal, JSON
// otherwise, unless --log-format says.
func newLogger(g globalOptions, s streams) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(g.LogLevel)); err != nil {
		return nil, usagef("--log-level %q: use debug, info, warn or error", g.LogLevel)
	}
	opts := &slog.HandlerOptions{Level: level}
	format := g.LogFormat
	if format == "" {
		format = "json"
		if s.ErrIsTTY {
			format = "text"
		}
	}
	if format == "text" {
		return slog.New(slog.NewTextHandler(s.Err, opts)), nil
	}
	return slog.New(slog.NewJSONHandler(s.Err, opts)), nil
}

// env is what every command gets: its streams, the global options and
// the logger.
type env struct {
	streams
	global globalOptions
	log    *slog.Logger
}

// action adapts a command's run function to urfave/cli, reading the global
// options and building the logger first.
func action(run func(ctx context.Context, c *cli.Context, e *env) error) cli.ActionFunc {
	return func(c *cli.Context) error {
		s := c.App.Metadata["streams"].(streams)
		g, err := readGlobals(c)
		if err != nil {
			return err
		}
		log, err := newLogger(g, s)
		if err != nil {
			return err
		}
		if c.Args().Present() && !acceptsArgs(c) {
			return usagef("%s takes no arguments, got %q", c.Command.FullName(), c.Args().First())
		}
		g.logger = log
		g.sweep = longRunning[c.Command.Name]
		g.create = longRunning[c.Command.Name] || c.Command.Name == "setup"
		return run(c.Context, c, &env{streams: s, global: g, log: log})
	}
}

// longRunning names the commands that run until stopped.
var longRunning = map[string]bool{"serve": true, "parse": true}

// acceptsArgs reports whether a command takes positional arguments: those
// that do name them in ArgsUsage.
func acceptsArgs(c *cli.Context) bool { return c.Command.ArgsUsage != "" }

func newApp(s streams) *cli.App {
	app := &cli.App{
		Name:      "rptctl",
		Usage:     "ingest, queue, parse and browse DMARC and SMTP TLS reports",
		Version:   version,
		Flags:     globalFlags(),
		Commands:  commands(),
		Metadata:  map[string]any{"streams": s},
		Writer:    s.Out,
		ErrWriter: s.Err,
		// Exit codes are decided in Main alone.
		ExitErrHandler:         func(*cli.Context, error) {},
		HideVersion:            true,
		UseShortOptionHandling: true,
		OnUsageError:           onUsageError,
	}
	for _, c := range app.Commands {
		strictUsage(c)
	}
	return app
}

// onUsageError turns urfave/cli's flag errors into our usageError, so that
// Main prints one line on stderr and exits 2, instead of the library's
// full help on stdout.
func onUsageError(c *cli.Context, err error, _ bool) error {
	// The flag package names flags with one dash; ours are typed with two.
	msg := strings.Replace(err.Error(), " for flag -", " for flag --", 1)
	if name, ok := strings.CutPrefix(msg, "flag provided but not defined: -"); ok {
		for _, f := range globalFlags() {
			if f.Names()[0] == name {
				return usagef("--%s is a global flag: put it before the command, "+
					"as in rptctl --%s VALUE %s", name, name, commandPath(c))
			}
		}
		msg = "unknown flag --" + name
		if path := commandPath(c); path != "" {
			msg = path + ": " + msg
		}
	}
	return &usageError{msg: msg}
}

// noEnv names the flags not read from the environment: a confirmation
// and per-file values must be typed each time.
var noEnv = map[string]bool{"yes": true, "trace-id": true, "help": true}

// withEnv gives a flag the environment variable RPTCTL_<FLAG_NAME>
// unless it has one, so that every flag can be set either way.
func withEnv(f cli.Flag) {
	name := f.Names()[0]
	if noEnv[name] {
		return
	}
	var vars *[]string
	switch f := f.(type) {
	case *cli.StringFlag:
		vars = &f.EnvVars
	case *cli.StringSliceFlag:
		vars = &f.EnvVars
	case *cli.BoolFlag:
		vars = &f.EnvVars
	case *cli.IntFlag:
		vars = &f.EnvVars
	case *cli.Int64Flag:
		vars = &f.EnvVars
	case *cli.Float64Flag:
		vars = &f.EnvVars
	case *cli.DurationFlag:
		vars = &f.EnvVars
	}
	if vars != nil && len(*vars) == 0 {
		*vars = envName(name)
	}
}

// commandPath is the command being run, as typed: "queue stats".
func commandPath(c *cli.Context) string {
	var names []string
	for _, ctx := range c.Lineage() {
		if ctx.Command != nil && ctx.Command.Name != "" && ctx.Command.Name != c.App.Name {
			names = append([]string{ctx.Command.Name}, names...)
		}
	}
	return strings.Join(names, " ")
}

// strictUsage applies onUsageError to a command and its subcommands, and
// makes a command that only groups others (queue, dlq) refuse to run
// without one.
func strictUsage(c *cli.Command) {
	c.OnUsageError = onUsageError
	for _, f := range c.Flags {
		withEnv(f)
	}
	if len(c.Subcommands) > 0 && c.Action == nil {
		c.Action = func(ctx *cli.Context) error {
			names := make([]string, 0, len(c.Subcommands))
			for _, sub := range c.Subcommands {
				if sub.Name != "help" {
					names = append(names, sub.Name)
				}
			}
			if ctx.Args().Present() {
				return usagef("%s: unknown command %q (use one of %s)",
					c.Name, ctx.Args().First(), strings.Join(names, ", "))
			}
			return usagef("%s needs a command: one of %s", c.Name, strings.Join(names, ", "))
		}
	}
	for _, sub := range c.Subcommands {
		strictUsage(sub)
	}
}

func commands() []*cli.Command {
	return []*cli.Command{
		serveCommand(),
		parseCommand(),
		submitCommand(),
		showCommand(),
		setupCommand(),
		queueCommand(),
		dlqCommand(),
		sourcesCommand(),
		browseCommand(),
		versionCommand(),
	}
}

// Main runs rptctl with args and returns the exit status: 0 success,
// 1 failure, 2 wrong usage.
func Main(args []string, s streams) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := newApp(s).RunContext(ctx, args)
	return exitCode(err, s.Err)
}

// exitCode maps an error to the exit status and prints it as one line.
func exitCode(err error, w io.Writer) int {
	var usage *usageError
	switch {
	case err == nil:
		return 0
	case errors.Is(err, errSilent):
		return 1
	case errors.As(err, &usage):
		fmt.Fprintf(w, "rptctl: %v (see rptctl --help)\n", err)
		return 2
	case isFlagError(err):
		msg := err.Error()
		if name, ok := strings.CutPrefix(msg, "No help topic for "); ok {
			msg = "unknown command " + name
		}
		fmt.Fprintf(w, "rptctl: %s (see rptctl --help)\n", msg)
		return 2
	default:
		fmt.Fprintf(w, "rptctl: %v\n", err)
		return 1
	}
}

// isFlagError recognises urfave/cli's own usage errors, which it does not
// type: unknown flags and commands, and missing required flags.
func isFlagError(err error) bool {
	msg := err.Error()
	for _, s := range []string{
		"flag provided but not defined",
		"Required flag",
		"No help topic for",
		"invalid value",
		"flag needs an argument",
	} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}
