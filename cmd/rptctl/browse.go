package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"
	"github.com/urfave/cli/v2"

	"github.com/rptctl/rptctl/awsio"
	"github.com/rptctl/rptctl/engine/results"
	"github.com/rptctl/rptctl/tui"
)

// browseOptions are the flags of `rptctl browse`.
type browseOptions struct {
	filterOptions
	thresholds
}

// browseDeps is what runBrowse reads from and draws on.
type browseDeps struct {
	Reader  results.Reader
	In      io.Reader
	Out     io.Writer
	IsTTY   bool
	NoColor bool
	Now     func() time.Time
}

func browseCommand() *cli.Command {
	flags := append(filterFlags(), thresholdFlags()...)
	return &cli.Command{
		Name:  "browse",
		Usage: "the terminal UI over stored results (same filters as sources)",
		Flags: flags,
		Action: action(func(ctx context.Context, c *cli.Context, e *env) error {
			opts := browseOptions{
				filterOptions: readFilterFlags(c),
				thresholds:    readThresholds(c),
			}
			if _, _, err := opts.filter(time.Now()); err != nil {
				return err
			}
			if !e.OutIsTTY {
				return usagef("browse needs a terminal; for scripts use rptctl sources")
			}
			b, err := awsio.Open(ctx, e.global.backendConfig())
			if err != nil {
				return fmt.Errorf("opening the %s backend: %w", e.global.Backend, err)
			}
			defer closeBackend(b, e)
			return runBrowse(ctx, opts, browseDeps{
				Reader: b.Store, In: e.In, Out: e.Out, IsTTY: e.OutIsTTY,
				NoColor: os.Getenv("NO_COLOR") != "", Now: time.Now,
			})
		}),
	}
}

// runBrowse runs the browser until the user quits or ctx ends.
func runBrowse(ctx context.Context, opts browseOptions, deps browseDeps) error {
	f, lookback, err := opts.filter(deps.Now())
	if err != nil {
		return err
	}
	if err := opts.thresholds.check(); err != nil {
		return err
	}
	if deps.NoColor {
		// lipgloss reads NO_COLOR too; saying it here also covers
		// terminals that would otherwise be detected as colour capable.
		lipgloss.SetColorProfile(termenv.Ascii)
	}
	m := tui.New(ctx, tui.Options{
		Querier:  results.NewQuerier(deps.Reader, opts.Workers),
		Filter:   f,
		Lookback: lookback,
		Flags:    opts.flagOptions(),
		Now:      deps.Now,
	})
	progOpts := []tea.ProgramOption{tea.WithContext(ctx), tea.WithInput(deps.In),
		tea.WithOutput(deps.Out)}
	if deps.IsTTY {
		progOpts = append(progOpts, tea.WithAltScreen())
	}
	_, err = tea.NewProgram(m, progOpts...).Run()
	if errors.Is(err, tea.ErrProgramKilled) && ctx.Err() != nil {
		return nil // interrupted: a normal way to leave
	}
	if err != nil {
		return fmt.Errorf("running the browser: %w", err)
	}
	return nil
}
