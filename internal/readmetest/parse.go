package readmetest

import (
	"fmt"
	"strings"
)

// Block is one ```console block of the README.
type Block struct {
	Line     int // of the opening fence, 1-based
	Commands []Command
	Note     Annotation
}

// Command is a `$ ` line of a block and the output lines below it.
type Command struct {
	Line int    // 1-based
	Text string // without the `$ `, continuation lines joined
	Want []string
}

// Annotation is what a readme-test comment before a block says (see the
// package doc).
type Annotation struct {
	Server  string // "" or "demo"
	Setup   []string
	Cleanup []string
	Skip    string // the reason the block is not run
}

const (
	fence       = "```"
	annotPrefix = "readme-test"
)

// Parse returns the console blocks of a markdown text. It refuses what
// would otherwise be ignored silently: an annotation with no console
// block after it, an unknown annotation key, a skip without a reason,
// output before a block's first command, and an unclosed block.
func Parse(text string) ([]Block, error) {
	lines := strings.Split(text, "\n")
	var (
		blocks  []Block
		pending *Annotation // the last annotation, until a block takes it
		pendAt  int
	)
	for i := 0; i < len(lines); i++ {
		line := strings.TrimSpace(lines[i])
		switch {
		case strings.HasPrefix(line, "<!--"):
			end := i
			for end < len(lines) && !strings.Contains(lines[end], "-->") {
				end++
			}
			if end == len(lines) {
				return nil, fmt.Errorf("README.md:%d: comment never closed", i+1)
			}
			body := strings.Join(lines[i:end+1], "\n")
			body = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(body), "<!--")), "-->"))
			if rest, ok := strings.CutPrefix(body, annotPrefix); ok {
				if pending != nil {
					return nil, fmt.Errorf("README.md:%d: readme-test annotation with no ```console block after it", pendAt)
				}
				a, err := parseAnnotation(rest)
				if err != nil {
					return nil, fmt.Errorf("README.md:%d: %w", i+1, err)
				}
				pending, pendAt = &a, i+1
			}
			i = end
		case strings.HasPrefix(line, fence):
			end := i + 1
			for end < len(lines) && !strings.HasPrefix(strings.TrimSpace(lines[end]), fence) {
				end++
			}
			if end == len(lines) {
				return nil, fmt.Errorf("README.md:%d: code block never closed", i+1)
			}
			if strings.TrimSpace(strings.TrimPrefix(line, fence)) == "console" {
				b, err := parseBlock(lines[i+1:end], i+1)
				if err != nil {
					return nil, err
				}
				if pending != nil {
					b.Note, pending = *pending, nil
				}
				blocks = append(blocks, b)
			} else if pending != nil {
				return nil, fmt.Errorf("README.md:%d: readme-test annotation before a block that is not ```console", pendAt)
			}
			i = end
		case line != "" && pending != nil:
			return nil, fmt.Errorf("README.md:%d: readme-test annotation with no ```console block right after it", pendAt)
		}
	}
	if pending != nil {
		return nil, fmt.Errorf("README.md:%d: readme-test annotation with no ```console block after it", pendAt)
	}
	return blocks, nil
}

// parseBlock reads the lines between the fences of a block that opens on
// line fenceLine.
func parseBlock(lines []string, fenceLine int) (Block, error) {
	b := Block{Line: fenceLine}
	for i := 0; i < len(lines); i++ {
		line := lines[i]
		cmd, isCmd := strings.CutPrefix(line, "$ ")
		if !isCmd {
			if len(b.Commands) == 0 {
				return b, fmt.Errorf("README.md:%d: console block has output before its first `$ ` command", fenceLine+1+i)
			}
			last := &b.Commands[len(b.Commands)-1]
			last.Want = append(last.Want, line)
			continue
		}
		c := Command{Line: fenceLine + 1 + i, Text: cmd}
		for strings.HasSuffix(c.Text, `\`) && i+1 < len(lines) {
			i++
			c.Text += "\n" + lines[i]
		}
		b.Commands = append(b.Commands, c)
	}
	return b, nil
}

// parseAnnotation reads the `key: value` lines of a readme-test comment.
func parseAnnotation(body string) (Annotation, error) {
	var a Annotation
	for _, line := range strings.Split(body, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		key, value, ok := strings.Cut(line, ":")
		value = strings.TrimSpace(value)
		if !ok || value == "" {
			return a, fmt.Errorf("readme-test annotation line %q: want `key: value`", line)
		}
		switch strings.TrimSpace(key) {
		case "server":
			if value != "demo" {
				return a, fmt.Errorf("readme-test server %q: only demo is known", value)
			}
			a.Server = value
		case "setup":
			a.Setup = append(a.Setup, value)
		case "cleanup":
			a.Cleanup = append(a.Cleanup, value)
		case "skip":
			a.Skip = value
		default:
			return a, fmt.Errorf("readme-test annotation key %q: want server, setup, cleanup or skip", key)
		}
	}
	return a, nil
}
