package licstat

import (
	"context"
	"errors"
	"io"
	"net/http"
	"os"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/floatlic/floatlic/internal/tui"
	"github.com/floatlic/floatlic/internal/tui/feed"
	"github.com/floatlic/floatlic/internal/wire"
)

// runTUI runs the live view on the terminal w until the user quits or ctx
// ends. An unreachable server is not an error here: the view says so and
// keeps retrying.
func runTUI(ctx context.Context, o options, w io.Writer) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	hc := &http.Client{} // no Timeout: the event stream is long-lived
	f := feed.Start(ctx, feed.Options{Servers: o.servers, HTTP: hc})
	m := tui.New(tui.Options{
		Server:   o.servers[0],
		Source:   f,
		Remove:   remover(o.adminToken, f, hc),
		Renderer: lipgloss.NewRenderer(w),
	})
	p := tea.NewProgram(m, tea.WithContext(ctx), tea.WithAltScreen(), tea.WithOutput(w), tea.WithInput(os.Stdin))
	_, err := p.Run()
	if errors.Is(err, tea.ErrProgramKilled) && ctx.Err() != nil {
		return nil // SIGINT or SIGTERM: a normal way to leave
	}
	return err
}

// remover removes checkouts through the server the feed follows; a HAL node
// that is not serving names the one that is, and the request goes there.
func remover(token string, f *feed.Feed, hc *http.Client) tui.RemoveFunc {
	if token == "" {
		return nil
	}
	return func(ctx context.Context, req wire.RemoveRequest) (int, error) {
		req.By = whoAmI() // the server's remove event names the admin
		reply, _, err := removeVia(ctx, f.Addr(), token, hc, req)
		if err != nil {
			return 0, err
		}
		return reply.Removed, nil
	}
}
