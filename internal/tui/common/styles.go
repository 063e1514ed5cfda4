package common

import (
	"github.com/charmbracelet/lipgloss"
)

// Tone is the meaning of a piece of text, which the styles turn into colour.
// Components say what they mean (Bad) and never pick colours themselves.
type Tone uint8

// Tones.
const (
	Normal Tone = iota
	Good        // up, serving, granted, plenty left
	Warn        // close to a limit, expiring soon
	Bad         // down, denied, exhausted, expired
	Dim         // secondary information
	Accent      // headings, the current selection's marker
	numTones
)

// Styles holds every lipgloss style of the UI, made from one renderer so
// that the colour profile (and NO_COLOR) is honoured everywhere.
type Styles struct {
	Title       lipgloss.Style // the "licstat" label in the header
	TabActive   lipgloss.Style
	TabInactive lipgloss.Style
	Info        lipgloss.Style // the line above a table
	Banner      lipgloss.Style // the "server unreachable" line
	Header      lipgloss.Style // table column titles
	Selected    lipgloss.Style // the row under the cursor
	Footer      lipgloss.Style
	Flash       lipgloss.Style // a one-off message in the footer
	Confirm     lipgloss.Style // a question waiting for y/n
	HelpKey     lipgloss.Style
	HelpDesc    lipgloss.Style
	HelpSep     lipgloss.Style

	tones [numTones]lipgloss.Style
}

// NewStyles returns the styles drawn with r. A renderer with the Ascii
// profile (NO_COLOR, or output that is not a terminal) gives plain text with
// at most bold, faint and reverse.
func NewStyles(r *lipgloss.Renderer) *Styles {
	if r == nil {
		r = lipgloss.DefaultRenderer()
	}
	c := func(light, dark string) lipgloss.AdaptiveColor {
		return lipgloss.AdaptiveColor{Light: light, Dark: dark}
	}
	green, yellow, red := c("#1a7f37", "#3fb950"), c("#9a6700", "#d29922"), c("#cf222e", "#f85149")
	grey, blue := c("#6e7781", "#8b949e"), c("#0969da", "#58a6ff")
	s := &Styles{
		Title:       r.NewStyle().Bold(true).Foreground(blue),
		TabActive:   r.NewStyle().Bold(true).Reverse(true),
		TabInactive: r.NewStyle().Foreground(grey),
		Info:        r.NewStyle().Foreground(grey),
		Banner:      r.NewStyle().Bold(true).Foreground(red),
		Header:      r.NewStyle().Bold(true),
		Selected:    r.NewStyle().Reverse(true),
		Footer:      r.NewStyle().Foreground(grey),
		Flash:       r.NewStyle().Bold(true),
		Confirm:     r.NewStyle().Bold(true).Foreground(yellow),
		HelpKey:     r.NewStyle().Bold(true),
		HelpDesc:    r.NewStyle().Foreground(grey),
		HelpSep:     r.NewStyle().Foreground(grey),
	}
	s.tones = [numTones]lipgloss.Style{
		Normal: r.NewStyle(),
		Good:   r.NewStyle().Foreground(green),
		Warn:   r.NewStyle().Foreground(yellow),
		Bad:    r.NewStyle().Foreground(red).Bold(true),
		Dim:    r.NewStyle().Foreground(grey),
		Accent: r.NewStyle().Foreground(blue).Bold(true),
	}
	return s
}

// Tone returns the style of a tone.
func (s *Styles) Tone(t Tone) lipgloss.Style {
	if t >= numTones {
		t = Normal
	}
	return s.tones[t]
}

// Render draws text in tone t; Normal text is returned as it is.
func (s *Styles) Render(t Tone, text string) string {
	if t == Normal || text == "" {
		return text
	}
	return s.Tone(t).Render(text)
}
