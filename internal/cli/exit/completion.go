package exit

import (
	"fmt"
	"strings"

	"github.com/urfave/cli/v2"
)

// addCompletion turns on urfave/cli's completion protocol (the hidden
// --generate-bash-completion flag prints the commands, or with a "-" word
// the flags, that may come next) and adds `completion bash|zsh|fish`,
// which prints the script a shell loads. urfave/cli v2 writes the fish
// script itself (App.ToFishCompletion); for bash and zsh it ships only
// example scripts, so the ones below are floatlic's.
func addCompletion(app *cli.App) {
	app.EnableBashCompletion = true
	for _, c := range app.Commands {
		if c.Name == "completion" {
			return
		}
	}
	app.Commands = append(app.Commands, &cli.Command{
		Name:      "completion",
		Usage:     "print the shell completion script for bash, zsh or fish",
		ArgsUsage: "bash|zsh|fish",
		Description: fmt.Sprintf("bash: source <(%[1]s completion bash), or save it in\n"+
			"      /etc/bash_completion.d/%[1]s\n"+
			"zsh:  %[1]s completion zsh > \"${fpath[1]}/_%[1]s\"\n"+
			"fish: %[1]s completion fish > ~/.config/fish/completions/%[1]s.fish", app.Name),
		BashComplete: func(c *cli.Context) {
			if c.NArg() == 0 {
				fmt.Fprintln(c.App.Writer, "bash\nzsh\nfish")
			}
		},
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return Usagef(c, "name one shell: bash, zsh or fish")
			}
			script, err := completionScript(c.App, c.Args().First())
			if err != nil {
				return Usagef(c, "%v", err)
			}
			_, err = fmt.Fprint(c.App.Writer, script)
			return err
		},
	})
}

func completionScript(app *cli.App, shell string) (string, error) {
	var tmpl string
	switch shell {
	case "bash":
		tmpl = bashScript
	case "zsh":
		tmpl = zshScript
	case "fish":
		return app.ToFishCompletion()
	default:
		return "", fmt.Errorf("no completion for shell %q: use bash, zsh or fish", shell)
	}
	return strings.ReplaceAll(tmpl, "PROG", app.Name), nil
}

// bashScript asks the command itself what may come next: the words typed
// so far, the current one if it starts a flag, and
// --generate-bash-completion.
const bashScript = `# bash completion for PROG: source <(PROG completion bash)
_PROG_complete() {
    local cur=${COMP_WORDS[COMP_CWORD]}
    local words=("${COMP_WORDS[@]:1:COMP_CWORD-1}")
    if [[ $cur == -* ]]; then
        words+=("$cur")
    fi
    local IFS=$'\n'
    COMPREPLY=($(compgen -W "$("${COMP_WORDS[0]}" "${words[@]}" --generate-bash-completion 2>/dev/null)" -- "$cur"))
}
complete -o bashdefault -o default -F _PROG_complete PROG
`

// zshScript is the same for zsh, where urfave/cli prints "name:usage"
// lines that _describe shows; with no candidates it completes file names.
const zshScript = `#compdef PROG
# zsh completion for PROG: PROG completion zsh > "${fpath[1]}/_PROG"
_PROG() {
    local cur=${words[CURRENT]}
    local -a args opts
    args=("${(@)words[2,CURRENT-1]}")
    if [[ $cur == -* ]]; then
        args+=("$cur")
    fi
    opts=("${(@f)$(${words[1]} "${args[@]}" --generate-bash-completion 2>/dev/null)}")
    if [[ -n ${opts[1]} ]]; then
        _describe 'values' opts
    else
        _files
    fi
}
compdef _PROG PROG
`
