package tui

import (
	"context"
	"fmt"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/floatlic/floatlic/internal/tui/common"
	"github.com/floatlic/floatlic/internal/wire"
)

// RemoveFunc asks the server to remove checkouts on the admin's behalf.
type RemoveFunc func(ctx context.Context, req wire.RemoveRequest) (int, error)

// RemovedMsg reports the outcome of a removal.
type RemovedMsg struct {
	What    string // the checkout, as the question named it
	Removed int
	Err     error
}

// confirmBar asks "Remove …? y/n" in the footer before a checkout is removed.
type confirmBar struct {
	c        *common.Common
	open     bool
	question string
	what     string
	req      wire.RemoveRequest
}

// ask opens the question for co.
func (b *confirmBar) ask(co wire.CheckoutInfo) {
	b.what = fmt.Sprintf("%s of %s@%s (pid %d)", co.Feature, co.User, co.Host, co.PID)
	b.question = "Remove checkout " + b.what + "? y/n"
	b.req = wire.RemoveRequest{CheckoutID: co.ID}
	b.open = true
}

// update handles a key while the question is open and returns the removal
// to run, if the answer was yes.
func (b *confirmBar) update(msg tea.KeyMsg, remove RemoveFunc) (cmd tea.Cmd, answered bool) {
	switch {
	case key.Matches(msg, b.c.Keys.Yes):
		b.open = false
		return removeCmd(remove, b.req, b.what), true
	case key.Matches(msg, b.c.Keys.No):
		b.open = false
		return nil, true
	}
	return nil, false // any other key leaves the question open
}

func (b *confirmBar) view() string { return b.c.Styles.Confirm.Render(b.question) }

func removeCmd(remove RemoveFunc, req wire.RemoveRequest, what string) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		n, err := remove(ctx, req)
		return RemovedMsg{What: what, Removed: n, Err: err}
	}
}
