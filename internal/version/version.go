// Package version holds the floatlic release, printed by every command's --version.
package version

// Version is the floatlic release.
var Version = "0.1.0-dev"
