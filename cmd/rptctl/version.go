package main

import (
	"context"
	"fmt"
	"runtime"

	"github.com/urfave/cli/v2"
)

func versionCommand() *cli.Command {
	return &cli.Command{
		Name:  "version",
		Usage: "print version, commit and build date",
		Action: action(func(_ context.Context, _ *cli.Context, e *env) error {
			fmt.Fprintf(e.Out, "rptctl %s\ncommit %s\nbuilt %s\n%s %s/%s\n",
				version, commit, date, runtime.Version(), runtime.GOOS, runtime.GOARCH)
			return nil
		}),
	}
}
