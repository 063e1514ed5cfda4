package exit_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"

	"github.com/floatlic/floatlic/internal/cli/exit"
	"github.com/floatlic/floatlic/internal/wire"
)

// testApp has what floatlic's commands have: a command with a required
// flag, a --json flag, and refusals of both kinds.
func testApp() *cli.App {
	return &cli.App{
		Name: "tool",
		Commands: []*cli.Command{{
			Name: "get",
			Flags: []cli.Flag{
				&cli.StringFlag{Name: "server", Required: true},
				&cli.IntFlag{Name: "count"},
				&cli.BoolFlag{Name: "json"},
			},
			Action: func(c *cli.Context) error {
				switch c.Args().First() {
				case "exhausted":
					return exit.WithCode(exit.Refused, &wire.Error{Code: wire.CodeCountExhausted, Message: "all 5 in use"})
				case "setup":
					return exit.Setupf("read key: no such file")
				case "problems":
					return &exit.Error{Code: exit.Refused, Err: errors.New("2 problems"), Details: []string{"line 1: a", "line 2: b"}}
				}
				return nil
			},
		}},
	}
}

// TestCompletionScripts runs before TestRun: urfave/cli's help command is
// one value for every app in a process, and running `help` (TestRun does)
// makes it its own subcommand, which App.ToFishCompletion then follows
// forever. A command line runs once a process, so licd is not affected.
func TestCompletionScripts(t *testing.T) {
	for _, tc := range []struct{ shell, want string }{
		{"bash", "complete -o bashdefault -o default -F _tool_complete tool"},
		{"zsh", "compdef _tool tool"},
		{"fish", "complete -c tool"},
	} {
		app := testApp()
		var stdout, stderr bytes.Buffer
		app.Writer = &stdout
		if code := exit.Run(context.Background(), app, []string{"tool", "completion", tc.shell}, &stderr); code != 0 {
			t.Fatalf("completion %s: exit %d: %s", tc.shell, code, stderr.String())
		}
		if !strings.Contains(stdout.String(), tc.want) {
			t.Errorf("completion %s lacks %q:\n%s", tc.shell, tc.want, stdout.String())
		}
	}
}

func TestRun(t *testing.T) {
	for _, tc := range []struct {
		name         string
		args         []string
		code         int
		stdout, errs string // errs: the whole of stderr
	}{
		{"ok", []string{"get", "--server", "s"}, 0, "", ""},
		{"bad flag", []string{"get", "--bogus"}, 2, "",
			"tool: flag provided but not defined: -bogus (run 'tool get --help' for usage)\n"},
		{"bad flag value", []string{"get", "--server", "s", "--count", "many"}, 2, "",
			"tool: invalid value \"many\" for flag -count: parse error (run 'tool get --help' for usage)\n"},
		{"required flag", []string{"get"}, 2, "", "tool: --server is required (run 'tool get --help' for usage)\n"},
		{"unknown command", []string{"frob"}, 2, "", "tool: unknown command \"frob\" (run 'tool --help' for usage)\n"},
		{"help of an unknown command", []string{"help", "frob"}, 2, "", "tool: unknown command \"frob\" (run 'tool --help' for usage)\n"},
		{"refused", []string{"get", "--server", "s", "exhausted"}, 1, "", "tool: count_exhausted: all 5 in use\n"},
		{"json refused", []string{"get", "--server", "s", "--json", "exhausted"}, 1,
			`{"error":{"code":"count_exhausted","message":"count_exhausted: all 5 in use"}}` + "\n", ""},
		{"json setup", []string{"get", "--json", "--server", "s", "setup"}, 2,
			`{"error":{"code":"setup","message":"read key: no such file"}}` + "\n", ""},
		{"json usage", []string{"get", "--json", "--count", "x"}, 2,
			`{"error":{"code":"usage","message":"invalid value \"x\" for flag -count: parse error (run 'tool get --help' for usage)"}}` + "\n", ""},
		{"json details", []string{"get", "--json", "--server", "s", "problems"}, 1,
			`{"error":{"code":"refused","message":"2 problems","details":["line 1: a","line 2: b"]}}` + "\n", ""},
		{"json after --", []string{"get", "--server", "s", "exhausted", "--", "--json"}, 1, "", "tool: count_exhausted: all 5 in use\n"},
		{"completion no shell", []string{"completion"}, 2, "",
			"tool: name one shell: bash, zsh or fish (run 'tool completion --help' for usage)\n"},
		{"completion protocol", []string{"--generate-bash-completion"}, 0, "get\ncompletion\nhelp\nh\n", ""},
		{"completion of flags", []string{"get", "--s", "--generate-bash-completion"}, 0, "--server\n", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// urfave/cli's completion reads os.Args, not Run's args.
			saved := os.Args
			os.Args = append([]string{"tool"}, tc.args...)
			defer func() { os.Args = saved }()
			app := testApp()
			var stdout, stderr bytes.Buffer
			app.Writer = &stdout
			code := exit.Run(context.Background(), app, append([]string{"tool"}, tc.args...), &stderr)
			if code != tc.code || stdout.String() != tc.stdout || stderr.String() != tc.errs {
				t.Errorf("exit %d, want %d\nstdout %q\n  want %q\nstderr %q\n  want %q", code, tc.code, stdout.String(), tc.stdout, stderr.String(), tc.errs)
			}
			if strings.HasPrefix(tc.stdout, "{") && !json.Valid(stdout.Bytes()) {
				t.Errorf("not JSON: %s", stdout.String())
			}
		})
	}
}

// TestBashCompletion loads the bash script in a real bash, completing
// with this test binary standing in for the command.
func TestBashCompletion(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("no bash here")
	}
	if os.Getenv("EXIT_TEST_TOOL") == "1" { // run as the command being completed
		t.Skip()
	}
	app := testApp()
	var script, stderr bytes.Buffer
	app.Writer = &script
	exit.Run(context.Background(), app, []string{"tool", "completion", "bash"}, &stderr)
	dir := t.TempDir()
	tool := filepath.Join(dir, "tool")
	self, _ := os.Executable()
	wrapper := "#!/bin/sh\nEXIT_TEST_TOOL=1 exec " + self + " -test.run=TestMain_tool -- \"$@\"\n"
	if err := os.WriteFile(tool, []byte(wrapper), 0o700); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "tool.bash"), script.Bytes(), 0o600)
	cmd := exec.Command(bash, "-c", `source ./tool.bash; COMP_WORDS=(tool g); COMP_CWORD=1; _tool_complete; echo "${COMPREPLY[*]}";`+
		` COMP_WORDS=(tool get --se); COMP_CWORD=2; _tool_complete; echo "${COMPREPLY[*]}"`)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "PATH="+dir+":"+os.Getenv("PATH"))
	out, err := cmd.CombinedOutput()
	if err != nil || string(out) != "get\n--server\n" {
		t.Fatalf("bash completion: %v\n%s", err, out)
	}
}

// TestMain_tool is the command TestBashCompletion completes: this test
// binary, re-run with EXIT_TEST_TOOL=1.
func TestMain_tool(t *testing.T) {
	if os.Getenv("EXIT_TEST_TOOL") != "1" {
		t.Skip("run by TestBashCompletion")
	}
	args := []string{"tool"}
	for i, a := range os.Args {
		if a == "--" {
			args = append(args, os.Args[i+1:]...)
		}
	}
	os.Args = args // urfave/cli's completion reads os.Args
	app := testApp()
	app.Writer = os.Stdout
	os.Exit(exit.Run(context.Background(), app, args, os.Stderr))
}
