// Package tui is licstat's terminal UI: a header with the connection state,
// tabs over the views of package views, a filter line and the key help. The
// data comes from a feed (package feed) as messages; the model only draws it.
package tui

import (
	"time"

	"github.com/charmbracelet/bubbles/help"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/floatlic/floatlic/internal/tui/common"
	"github.com/floatlic/floatlic/internal/tui/feed"
	"github.com/floatlic/floatlic/internal/tui/views"
	"github.com/floatlic/floatlic/internal/wire"
)

// Source is where the model's data comes from: a *feed.Feed, or nothing in
// tests that send the feed's messages themselves.
type Source interface {
	Next() tea.Cmd // waits for the next StatusMsg, EventsMsg or ConnMsg
	Refresh()      // asks for fresh data now
}

// Options configure the UI.
type Options struct {
	Server   string             // shown in the header until a server answers
	Source   Source             // nil: the caller sends the feed's messages
	Remove   RemoveFunc         // nil without an admin token: x is disabled
	Now      func() time.Time   // default time.Now
	Renderer *lipgloss.Renderer // default lipgloss.DefaultRenderer()
	Loc      *time.Location     // default time.Local
	Tick     time.Duration      // redraw of relative times; default 1s, < 0 never
}

// TickMsg redraws relative times ("12s ago", "lease left").
type TickMsg time.Time

// Model is the UI's state. Each part — views, filter bar, confirmation, help
// — is a small component; Model routes messages and lays them out.
type Model struct {
	c         *common.Common
	opts      Options
	size      common.Size
	views     []views.View
	checkouts *views.List[wire.CheckoutInfo]
	active    int

	status   *wire.Status
	statusAt time.Time // local time status arrived
	conn     feed.ConnMsg
	events   eventLog

	filter   filterBar
	confirm  confirmBar
	help     help.Model
	showHelp bool
	flash    string
	flashBad bool
}

// New returns the UI's model.
func New(opts Options) *Model {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Tick == 0 {
		opts.Tick = time.Second
	}
	c := common.New(common.NewStyles(opts.Renderer), opts.Loc)
	m := &Model{c: c, opts: opts, checkouts: views.Checkouts(c)}
	m.views = []views.View{views.Features(c), m.checkouts, views.Borrows(c), views.Grace(c), views.Servers(c), views.Events(c),
		views.Queue(c), views.Usage(c)}
	m.filter = newFilterBar(c)
	m.confirm = confirmBar{c: c}
	m.help = help.New()
	m.help.Styles.ShortKey, m.help.Styles.FullKey = c.Styles.HelpKey, c.Styles.HelpKey
	m.help.Styles.ShortDesc, m.help.Styles.FullDesc = c.Styles.HelpDesc, c.Styles.HelpDesc
	m.help.Styles.ShortSeparator, m.help.Styles.FullSeparator = c.Styles.HelpSep, c.Styles.HelpSep
	m.help.Styles.Ellipsis = c.Styles.HelpSep
	m.setNow()
	m.setSize(80, 24)
	return m
}

// Init starts waiting for the feed and the clock.
func (m *Model) Init() tea.Cmd { return tea.Batch(m.next(), m.tick()) }

// Update routes msg to the part of the UI it concerns.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.setSize(msg.Width, msg.Height)
	case tea.KeyMsg:
		return m, m.handleKeys(msg)
	case feed.StatusMsg:
		m.setStatus(msg)
		return m, m.next()
	case feed.EventsMsg:
		m.events.add(msg)
		m.views[viewEvents].SetData(m.data())
		m.views[viewUsage].SetData(m.data())
		return m, m.next()
	case feed.ConnMsg:
		m.conn = msg
		return m, m.next()
	case RemovedMsg:
		m.removed(msg)
	case TickMsg:
		m.setNow()
		return m, m.tick()
	}
	return m, nil
}

// Indexes of the views.
const (
	viewFeatures = iota
	viewCheckouts
	viewBorrows
	viewGrace
	viewServers
	viewEvents
	viewQueue
	viewUsage
)

func (m *Model) next() tea.Cmd {
	if m.opts.Source == nil {
		return nil
	}
	return m.opts.Source.Next()
}

func (m *Model) tick() tea.Cmd {
	if m.opts.Tick < 0 {
		return nil
	}
	return tea.Tick(m.opts.Tick, func(t time.Time) tea.Msg { return TickMsg(t) })
}

func (m *Model) data() views.Data {
	return views.Data{Status: m.status, Events: m.events.events}
}

func (m *Model) setStatus(msg feed.StatusMsg) {
	m.status, m.statusAt = msg.Status, m.opts.Now()
	if m.flash == flashRefreshing {
		m.flash = ""
	}
	m.conn.State, m.conn.Addr = feed.Live, msg.Addr
	d := m.data()
	for _, v := range m.views {
		v.SetData(d)
	}
	m.setNow()
}

// serverNow is the server's clock as of now: its time in the last status
// plus the local time since. Lease and heartbeat times are the server's, so
// this keeps "lease left" right when the two clocks disagree.
func (m *Model) serverNow() time.Time {
	now := m.opts.Now()
	if m.status == nil || m.status.Server.Now.IsZero() {
		return now
	}
	return m.status.Server.Now.Add(now.Sub(m.statusAt))
}

func (m *Model) setNow() {
	now := m.serverNow()
	for _, v := range m.views {
		v.SetNow(now)
	}
}

// Layout: header, tabs and info line above the table; footer and key help
// below it.
const chromeLines = 5

func (m *Model) setSize(w, h int) {
	m.size = common.Size{Width: w, Height: h}
	for _, v := range m.views {
		v.SetSize(w, m.bodyHeight())
	}
	m.filter.setWidth(w)
	m.help.Width = w
}

func (m *Model) bodyHeight() int { return max(m.size.Height-chromeLines, 2) }

func (m *Model) setFilter(text string) {
	f := views.ParseFilter(text)
	for _, v := range m.views {
		v.SetFilter(f)
	}
}

func (m *Model) switchTo(i int) {
	n := len(m.views)
	m.active = ((i % n) + n) % n
}

func (m *Model) setFlash(text string, bad bool) { m.flash, m.flashBad = text, bad }
