package main

import (
	"context"
	"errors"

	"github.com/urfave/cli/v2"
)

// TODO: placeholder until the parse command lands.
func parseCommand() *cli.Command {
	return &cli.Command{
		Name: "parse",
		Action: action(func(context.Context, *cli.Context, *env) error {
			return errors.New("parse: not built yet")
		}),
	}
}
