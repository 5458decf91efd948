package main

import (
	"context"
	"errors"

	"github.com/urfave/cli/v2"
)

// TODO: placeholder until the serve command lands.
func serveCommand() *cli.Command {
	return &cli.Command{
		Name: "serve",
		Action: action(func(context.Context, *cli.Context, *env) error {
			return errors.New("serve: not built yet")
		}),
	}
}
