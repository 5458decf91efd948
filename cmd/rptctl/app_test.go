package main

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"
)

// TestUsageErrors checks that every wrong invocation exits 2 with one line
// on stderr that names the problem, and prints nothing on stdout.
func TestUsageErrors(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"--bogus"}, "unknown flag --bogus"},
		{[]string{"sources", "--company", "acme", "--bogus"}, "sources: unknown flag --bogus"},
		{[]string{"dlq", "list", "--bogus"}, "dlq list: unknown flag --bogus"},
		{[]string{"queue"}, "queue needs a command: one of stats"},
		{[]string{"dlq", "nope"}, `dlq: unknown command "nope"`},
		{[]string{"queue", "stats", "--data-dir", "x"}, "--data-dir is a global flag"},
		{[]string{"--backend", "gcp", "version"}, `--backend "gcp"`},
		{[]string{"--log-level", "loud", "version"}, `--log-level "loud"`},
		{[]string{"version", "extra"}, "takes no arguments"},
		{[]string{"submit", "--parallel", "abc", "x"}, `invalid value "abc" for flag --parallel`},
	}
	for _, tc := range cases {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			var out, errb bytes.Buffer
			code := Main(append([]string{"rptctl"}, tc.args...),
				streams{In: strings.NewReader(""), Out: &out, Err: &errb})
			if code != 2 {
				t.Errorf("exit %d, want 2; stderr %q", code, errb.String())
			}
			if out.Len() != 0 {
				t.Errorf("stdout not empty: %q", out.String())
			}
			lines := strings.Split(strings.TrimSpace(errb.String()), "\n")
			if len(lines) != 1 || !strings.Contains(lines[0], tc.want) {
				t.Errorf("stderr %q, want one line containing %q", errb.String(), tc.want)
			}
		})
	}
}

func TestEnvVarsSetGlobalFlags(t *testing.T) {
	t.Setenv("RPTCTL_LOG_LEVEL", "loud")
	var out, errb bytes.Buffer
	code := Main([]string{"rptctl", "version"}, streams{Out: &out, Err: &errb})
	if code != 2 || !strings.Contains(errb.String(), `--log-level "loud"`) {
		t.Errorf("RPTCTL_LOG_LEVEL not read: exit %d, stderr %q", code, errb.String())
	}
}

// TestEveryFlagHasEnv checks CONTRACT section 1's promise: every flag is
// also read from RPTCTL_<FLAG_NAME>.
func TestEveryFlagHasEnv(t *testing.T) {
	app := newApp(streams{Out: &bytes.Buffer{}, Err: &bytes.Buffer{}})
	var walk func(path string, cmds []*cli.Command)
	walk = func(path string, cmds []*cli.Command) {
		for _, c := range cmds {
			for _, f := range c.Flags {
				name := f.Names()[0]
				if noEnv[name] {
					continue
				}
				env, ok := f.(interface{ GetEnvVars() []string })
				if !ok || !slices.Equal(env.GetEnvVars(), envName(name)) {
					t.Errorf("%s%s --%s: not read from %s", path, c.Name, name,
						envName(name)[0])
				}
			}
			walk(path+c.Name+" ", c.Subcommands)
		}
	}
	walk("", app.Commands)
}

func TestUnknownCommand(t *testing.T) {
	var out, errb bytes.Buffer
	code := Main([]string{"rptctl", "bogus"}, streams{Out: &out, Err: &errb})
	if code != 2 || !strings.Contains(errb.String(), "unknown command 'bogus'") {
		t.Errorf("exit %d, stderr %q", code, errb.String())
	}
}
