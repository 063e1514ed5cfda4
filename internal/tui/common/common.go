// Package common holds what every part of licstat's terminal UI shares: the
// styles, the key map, the screen size and the formatting of times and bars.
package common

import "time"

// Common is handed to every component: styles, keys and the zone in which
// clock times are shown. Components keep a pointer to it and never change it.
type Common struct {
	Styles *Styles
	Keys   KeyMap
	Loc    *time.Location
}

// New returns a Common with styles and the default key map. A nil loc shows
// times in the local zone.
func New(styles *Styles, loc *time.Location) *Common {
	if loc == nil {
		loc = time.Local
	}
	return &Common{Styles: styles, Keys: DefaultKeyMap(), Loc: loc}
}

// Size is a component's share of the screen, in cells.
type Size struct {
	Width, Height int
}
