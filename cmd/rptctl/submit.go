package main

import (
	"context"
	"errors"

	"github.com/urfave/cli/v2"
)

// TODO: placeholder until the submit command lands.
func submitCommand() *cli.Command {
	return &cli.Command{
		Name: "submit",
		Action: action(func(context.Context, *cli.Context, *env) error {
			return errors.New("submit: not built yet")
		}),
	}
}
