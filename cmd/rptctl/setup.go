package main

import (
	"context"
	"errors"

	"github.com/urfave/cli/v2"
)

// TODO: placeholder until the setup command lands.
func setupCommand() *cli.Command {
	return &cli.Command{
		Name: "setup",
		Action: action(func(context.Context, *cli.Context, *env) error {
			return errors.New("setup: not built yet")
		}),
	}
}
