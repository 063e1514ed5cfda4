package tui

import (
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"github.com/floatlic/floatlic/internal/tui/common"
)

// filterBar is the line where / edits the filter. The filter applies as it
// is typed; enter keeps it, esc clears it. Editing is at the end of the line
// only: backspace, ctrl+w (word) and ctrl+u (all).
type filterBar struct {
	c       *common.Common
	text    []rune
	editing bool
	width   int
}

const filterLimit = 128

func newFilterBar(c *common.Common) filterBar { return filterBar{c: c} }

// start begins editing the current filter.
func (f *filterBar) start() { f.editing = true }

// update handles a key while editing; it reports whether the text changed.
func (f *filterBar) update(msg tea.KeyMsg) (changed bool) {
	before := string(f.text)
	switch {
	case key.Matches(msg, f.c.Keys.Accept):
		f.editing = false
	case msg.Type == tea.KeyEsc:
		f.editing = false
		f.text = nil
	case msg.Type == tea.KeyBackspace:
		if len(f.text) > 0 {
			f.text = f.text[:len(f.text)-1]
		}
	case msg.Type == tea.KeyCtrlU:
		f.text = nil
	case msg.Type == tea.KeyCtrlW:
		t := strings.TrimRight(string(f.text), " ")
		f.text = []rune(t[:strings.LastIndexByte(t, ' ')+1])
	case msg.Type == tea.KeyRunes || msg.Type == tea.KeySpace:
		for _, r := range msg.Runes {
			if r >= ' ' && len(f.text) < filterLimit {
				f.text = append(f.text, r)
			}
		}
	}
	return string(f.text) != before
}

// clear removes the filter.
func (f *filterBar) clear() { f.text = nil }

// value is the filter as typed.
func (f *filterBar) value() string { return string(f.text) }

func (f *filterBar) setWidth(w int) { f.width = w }

// view draws "/text█", or a hint while the text is empty.
func (f *filterBar) view() string {
	s := f.c.Styles
	text := string(f.text)
	if room := f.width - 4; room > 0 && ansi.StringWidth(text) > room {
		text = ansi.TruncateLeft(text, ansi.StringWidth(text)-room, "…")
	}
	line := s.Flash.Render("/") + text + s.Selected.Render(" ")
	if len(f.text) == 0 {
		line += s.Footer.Render(" user, host or feature (user:ann host:ws feature:cad)")
	}
	return line
}
