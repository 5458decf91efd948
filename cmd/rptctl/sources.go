package main

import (
	"context"
	"errors"

	"github.com/urfave/cli/v2"
)

// TODO: placeholder until the sources command lands.
func sourcesCommand() *cli.Command {
	return &cli.Command{
		Name: "sources",
		Action: action(func(context.Context, *cli.Context, *env) error {
			return errors.New("sources: not built yet")
		}),
	}
}
