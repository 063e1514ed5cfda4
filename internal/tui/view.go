package tui

import (
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/x/ansi"

	"github.com/floatlic/floatlic/internal/tui/common"
	"github.com/floatlic/floatlic/internal/tui/feed"
)

// View draws the screen: exactly as many lines as the terminal has, none
// wider than it.
func (m *Model) View() string {
	body := m.views[m.active].View()
	if m.showHelp {
		body = m.helpView()
	}
	lines := []string{m.headerView(), m.tabsView(), m.infoView(), body, m.footerView(), m.shortHelpView()}
	return strings.Join(lines, "\n")
}

// headerView: "licstat  ADDR  role · instance · up 2h05m" with the
// connection state on the right.
func (m *Model) headerView() string {
	s := m.c.Styles
	addr := m.conn.Addr
	if addr == "" {
		addr = m.opts.Server
	}
	left := s.Title.Render("licstat") + "  " + addr
	if st := m.status; st != nil {
		parts := []string{st.Server.Role}
		if id := st.Server.Instance; id != "" {
			parts = append(parts, "instance "+shorten(id, 8))
		}
		if !st.Server.Started.IsZero() {
			parts = append(parts, "up "+common.Age(st.Server.Started, m.serverNow()))
		}
		left += "  " + s.Footer.Render(strings.Join(parts, " · "))
	}
	return m.spread(left, m.connView())
}

func (m *Model) connView() string {
	s := m.c.Styles
	switch m.conn.State {
	case feed.Live:
		return s.Render(common.Good, "● live")
	case feed.Down:
		return s.Render(common.Bad, "✕ down "+common.Dur(m.opts.Now().Sub(m.conn.Since)))
	default:
		return s.Render(common.Warn, "○ connecting")
	}
}

// tabsView names the views, with the number that jumps to each. When the
// tabs do not fit (eight of them in 80 columns), they are drawn closer.
func (m *Model) tabsView() string {
	if line := m.tabs(" ", ""); ansi.StringWidth(line) <= m.size.Width {
		return line
	}
	return m.cut(m.tabs("", " "))
}

// tabs draws the tab labels, each inactive one inside pad, with sep
// between tabs.
func (m *Model) tabs(pad, sep string) string {
	s := m.c.Styles
	var b strings.Builder
	for i, v := range m.views {
		if i > 0 {
			b.WriteString(sep)
		}
		label := fmt.Sprintf("%d %s", i+1, v.Name())
		if i == m.active {
			b.WriteString(s.TabActive.Render("[" + label + "]"))
		} else {
			b.WriteString(s.TabInactive.Render(pad + label + pad))
		}
	}
	return b.String()
}

// infoView summarises the active view, or says plainly that the server
// cannot be reached and how old the data on screen is.
func (m *Model) infoView() string {
	s := m.c.Styles
	switch {
	case m.conn.State == feed.Down:
		msg := fmt.Sprintf(" unreachable: %s · retry %d", feed.Reason(m.conn.Err), m.conn.Attempt)
		if wait := m.conn.Retry.Sub(m.opts.Now()); wait > 0 {
			msg += " in " + common.Dur(wait+time.Second-1) // round up: "in 0s" reads wrong
		}
		if m.status != nil {
			msg += " · data as of " + m.statusAt.In(m.c.Loc).Format("15:04:05")
		}
		return m.cut(s.Banner.Render(msg))
	case m.status == nil:
		return m.cut(s.Info.Render(" connecting to " + m.opts.Server + "…"))
	}
	text, tone := m.views[m.active].Info()
	if tone == common.Normal {
		return m.cut(s.Info.Render(" " + text))
	}
	return m.cut(" " + s.Render(tone, text))
}

// footerView shows, in order of precedence: the open question, the filter
// being edited, a message, or the filter, sort and position.
func (m *Model) footerView() string {
	s := m.c.Styles
	switch {
	case m.confirm.open:
		return m.cut(" " + m.confirm.view())
	case m.filter.editing:
		return m.cut(" " + m.filter.view())
	case m.flash != "" && m.flashBad:
		return m.cut(" " + s.Render(common.Bad, m.flash))
	case m.flash != "":
		return m.cut(" " + s.Flash.Render(m.flash))
	}
	left := ""
	if f := m.filter.value(); f != "" {
		left = s.Flash.Render(" /"+f) + s.Footer.Render("  esc clears")
	}
	row, rows := m.views[m.active].Position()
	right := s.Footer.Render(fmt.Sprintf("%d/%d", row, rows))
	col, desc := m.views[m.active].Sort()
	dir := map[bool]string{false: "▲", true: "▼"}[desc]
	right = s.Footer.Render("sort "+col+dir+"  ") + right
	return m.spread(left, right+" ")
}

func (m *Model) shortHelpView() string {
	keys := m.c.Keys
	keys.Remove.SetEnabled(m.opts.Remove != nil && m.active == viewCheckouts)
	switch {
	case m.confirm.open:
		return m.cut(" " + m.help.ShortHelpView([]key.Binding{keys.Yes, keys.No}))
	case m.filter.editing:
		return m.cut(" " + m.help.ShortHelpView([]key.Binding{keys.Accept, keys.Clear}))
	}
	return m.cut(" " + m.help.ShortHelpView(keys.ShortHelp()))
}

// helpView is the full key help that ? shows in place of the table.
func (m *Model) helpView() string {
	keys := m.c.Keys
	keys.Remove.SetEnabled(m.opts.Remove != nil)
	s := m.c.Styles
	text := []string{
		"",
		" " + s.Header.Render("Keys"),
		"",
		indent(m.help.FullHelpView(keys.FullHelp()), " "),
		"",
		" " + s.Header.Render("Filter"),
		"",
		"  Words must all match. A bare word matches feature, user or host;",
		"  user:ann, host:ws1 or feature:cad match one field only.",
		"",
		s.Footer.Render("  any key closes this help"),
	}
	lines := strings.Split(strings.Join(text, "\n"), "\n")
	h := m.bodyHeight()
	for len(lines) < h {
		lines = append(lines, "")
	}
	for i := range lines {
		lines[i] = m.cut(lines[i])
	}
	return strings.Join(lines[:h], "\n")
}

// spread puts left and right on one line of the screen's width.
func (m *Model) spread(left, right string) string {
	gap := m.size.Width - ansi.StringWidth(left) - ansi.StringWidth(right)
	if gap < 1 {
		return m.cut(left + " " + right)
	}
	return left + strings.Repeat(" ", gap) + right
}

// cut truncates a line to the screen's width.
func (m *Model) cut(line string) string {
	if ansi.StringWidth(line) <= m.size.Width {
		return line
	}
	return ansi.Truncate(line, m.size.Width, "…")
}

func indent(s, prefix string) string {
	return prefix + strings.ReplaceAll(s, "\n", "\n"+prefix)
}

func shorten(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
