package tui

import (
	"fmt"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/floatlic/floatlic/internal/tui/feed"
)

// handleKeys handles keys typed faster than the terminal is read: Bubble
// Tea then delivers several runes ("2jx") in one KeyMsg, and each must act
// as if typed alone.
func (m *Model) handleKeys(msg tea.KeyMsg) tea.Cmd {
	if msg.Type != tea.KeyRunes || len(msg.Runes) < 2 || msg.Paste {
		return m.handleKey(msg)
	}
	cmds := make([]tea.Cmd, 0, len(msg.Runes))
	for _, r := range msg.Runes {
		cmds = append(cmds, m.handleKey(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}, Alt: msg.Alt}))
	}
	return tea.Batch(cmds...)
}

// handleKey gives the key to whatever has the focus: the confirmation, the
// filter being edited, the help screen, or else the global keys and the view.
func (m *Model) handleKey(msg tea.KeyMsg) tea.Cmd {
	if msg.Type == tea.KeyCtrlC {
		return tea.Quit
	}
	switch {
	case m.confirm.open:
		cmd, answered := m.confirm.update(msg, m.opts.Remove)
		if answered && cmd == nil {
			m.setFlash("nothing removed", false)
		}
		return cmd
	case m.filter.editing:
		if m.filter.update(msg) {
			m.setFilter(m.filter.value())
		}
		return nil
	case m.showHelp && !key.Matches(msg, m.c.Keys.Quit):
		m.showHelp = false // any key closes the help
		return nil
	}
	m.flash = ""
	return m.globalKey(msg)
}

func (m *Model) globalKey(msg tea.KeyMsg) tea.Cmd {
	k := m.c.Keys
	switch {
	case key.Matches(msg, k.Quit):
		return tea.Quit
	case key.Matches(msg, k.Help):
		m.showHelp = true
	case key.Matches(msg, k.NextView):
		m.switchTo(m.active + 1)
	case key.Matches(msg, k.PrevView):
		m.switchTo(m.active - 1)
	case key.Matches(msg, k.JumpView):
		m.switchTo(int(msg.Runes[0] - '1'))
	case key.Matches(msg, k.Filter):
		m.filter.start()
	case key.Matches(msg, k.Clear):
		m.filter.clear()
		m.setFilter("")
	case key.Matches(msg, k.Refresh):
		m.refresh()
	case key.Matches(msg, k.Remove):
		m.askRemove()
	default:
		m.views[m.active].Update(msg)
	}
	return nil
}

func (m *Model) refresh() {
	if m.opts.Source != nil {
		m.opts.Source.Refresh()
	}
	m.setFlash(flashRefreshing, false)
}

// flashRefreshing shows until the next status arrives.
const flashRefreshing = "refreshing…"

// askRemove opens the confirmation for the selected checkout.
func (m *Model) askRemove() {
	switch co, ok := m.checkouts.Selected(); {
	case m.opts.Remove == nil:
		m.setFlash("removing a checkout needs the admin token (--admin-token-file)", true)
	case m.active != viewCheckouts:
		m.setFlash("select a checkout in the Checkouts view (2) to remove it", false)
	case !ok:
		m.setFlash("no checkout selected", false)
	default:
		m.confirm.ask(co)
	}
}

func (m *Model) removed(msg RemovedMsg) {
	switch {
	case msg.Err != nil:
		m.setFlash(fmt.Sprintf("could not remove %s: %s", msg.What, feed.Reason(msg.Err)), true)
	case msg.Removed == 0:
		m.setFlash("nothing removed: "+msg.What+" was already gone", false)
	default:
		m.setFlash("removed "+msg.What, false)
	}
	if m.opts.Source != nil {
		m.opts.Source.Refresh()
	}
}
