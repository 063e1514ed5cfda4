package licenses_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/floatlic/floatlic/internal/demo"
	"github.com/floatlic/floatlic/internal/licfile"
	"github.com/floatlic/floatlic/internal/server"
	"github.com/floatlic/floatlic/licenses"
)

// TestMain starts the demo license server that the Examples use, through
// LIC_SERVER and LIC_STATE_DIR as an application would.
func TestMain(m *testing.M) {
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	dir, err := os.MkdirTemp("", "licenses-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	defer os.RemoveAll(dir)
	addr, stop, err := startDemoServer(dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, "start the examples' server:", err)
		return 2
	}
	defer stop()
	os.Setenv(licenses.EnvServer, addr)
	os.Setenv(licenses.EnvStateDir, filepath.Join(dir, "state"))
	return m.Run()
}

func startDemoServer(dir string) (addr string, stop func(), err error) {
	files, err := demo.Setup(dir, nil)
	if err != nil {
		return "", nil, err
	}
	pub, err := licfile.ReadPublicKey(files.VendorPub)
	if err != nil {
		return "", nil, err
	}
	text, err := os.ReadFile(files.VendorPub)
	if err != nil {
		return "", nil, err
	}
	vendorPub = string(text)
	srv, err := server.New(server.Config{Licenses: []string{files.License}, VendorPub: pub,
		DataDir: files.DataDir, HeartbeatInterval: time.Second,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		return "", nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	return ln.Addr().String(), func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Close(ctx)
		<-done
	}, nil
}
