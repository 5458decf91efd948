package main

import (
	"context"
	"errors"

	"github.com/urfave/cli/v2"
)

// TODO: placeholder until the show command lands.
func showCommand() *cli.Command {
	return &cli.Command{
		Name: "show",
		Action: action(func(context.Context, *cli.Context, *env) error {
			return errors.New("show: not built yet")
		}),
	}
}
