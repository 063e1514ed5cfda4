package common

import "github.com/charmbracelet/bubbles/key"

// KeyMap is every key binding of licstat. The help view is drawn from it.
type KeyMap struct {
	Quit     key.Binding
	Help     key.Binding
	NextView key.Binding
	PrevView key.Binding
	JumpView key.Binding // 1..8
	Up       key.Binding
	Down     key.Binding
	PageUp   key.Binding
	PageDown key.Binding
	Top      key.Binding
	Bottom   key.Binding
	Sort     key.Binding
	Reverse  key.Binding
	Filter   key.Binding
	Clear    key.Binding
	Refresh  key.Binding
	Remove   key.Binding
	Yes      key.Binding
	No       key.Binding
	Accept   key.Binding // ends filter editing, keeping the filter
}

// DefaultKeyMap returns licstat's keys.
func DefaultKeyMap() KeyMap {
	b := func(help, desc string, keys ...string) key.Binding {
		return key.NewBinding(key.WithKeys(keys...), key.WithHelp(help, desc))
	}
	return KeyMap{
		Quit:     b("q", "quit", "q", "ctrl+c"),
		Help:     b("?", "help", "?"),
		NextView: b("tab", "next view", "tab"),
		PrevView: b("shift+tab", "previous view", "shift+tab"),
		JumpView: b("1-8", "go to view", "1", "2", "3", "4", "5", "6", "7", "8"),
		Up:       b("↑/k", "up", "up", "k"),
		Down:     b("↓/j", "down", "down", "j"),
		PageUp:   b("pgup/b", "page up", "pgup", "b"),
		PageDown: b("pgdn/f", "page down", "pgdown", "f", " "),
		Top:      b("home/g", "first row", "home", "g"),
		Bottom:   b("end/G", "last row", "end", "G"),
		Sort:     b("s", "sort by next column", "s"),
		Reverse:  b("S", "reverse sort", "S"),
		Filter:   b("/", "filter", "/"),
		Clear:    b("esc", "clear filter", "esc"),
		Refresh:  b("r", "refresh now", "r"),
		Remove:   b("x", "remove checkout", "x"),
		Yes:      b("y", "yes", "y", "Y"),
		No:       b("n/esc", "no", "n", "N", "esc"),
		Accept:   b("enter", "keep filter", "enter"),
	}
}

// ShortHelp is the one-line help at the bottom of the screen, in words
// short enough for 80 columns.
func (k KeyMap) ShortHelp() []key.Binding {
	short := func(b key.Binding, desc string) key.Binding {
		b.SetHelp(b.Help().Key, desc)
		return b
	}
	return []key.Binding{
		short(k.NextView, "views"), short(k.Sort, "sort"), k.Filter,
		short(k.Remove, "remove"), k.Help, k.Quit,
	}
}

// FullHelp is the help that ? shows, in columns.
func (k KeyMap) FullHelp() [][]key.Binding {
	return [][]key.Binding{
		{k.NextView, k.PrevView, k.JumpView, k.Refresh, k.Help, k.Quit},
		{k.Up, k.Down, k.PageUp, k.PageDown, k.Top, k.Bottom},
		{k.Sort, k.Reverse, k.Filter, k.Clear, k.Remove},
	}
}
