package server

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/floatlic/floatlic/internal/wire"
)

// stopRequest answers POST /v1/admin/stop, then has licd's main shut down
// as on SIGTERM: nothing is checked in, the sessions stay in the database,
// and clients re-attach when licd is back (a serving HAL node hands the
// service over first). Any HAL node may be stopped, serving or not.
func (s *Server) stopRequest([]byte) (any, *wire.Error) {
	if s.cfg.OnStop == nil {
		return nil, wire.Errorf(wire.CodeUnavailable, "this licd cannot be stopped over the admin API: stop it with a signal")
	}
	s.log.Info("stop requested over the admin API")
	// The reply is written before the shutdown's http.Server.Shutdown
	// returns: it waits for this request.
	s.cfg.OnStop()
	return wire.StopReply{Instance: s.instance, Stopping: true}, nil
}

// backupPrefix names a backup being streamed, in the data dir; a
// crash mid-stream may leave one, which is safe to delete.
const backupPrefix = "backup-"

// backup answers GET /v1/admin/backup with a consistent copy of the
// database: SQLite's online backup of one read transaction, written to a
// file in the data dir (so on the same disk, not in a small /tmp), streamed,
// then deleted. Writes go on meanwhile (WAL). On a HAL node it is this
// node's copy of the ledger.
func (s *Server) backup(w http.ResponseWriter, r *http.Request) {
	if werr := s.checkAdmin(r); werr != nil {
		s.writeError(w, werr, statusOf(werr.Code))
		return
	}
	path := filepath.Join(s.cfg.DataDir, backupPrefix+randomID()+".db")
	defer os.Remove(path)
	f, werr := s.copyDatabase(path)
	if werr != nil {
		s.log.Error("backup failed", "err", werr.Message)
		s.writeError(w, werr, statusOf(werr.Code))
		return
	}
	defer f.Close()
	// Unlinked now, the open file keeps its data until sent: the copy is
	// gone from the data dir before the client has the last byte (the
	// deferred remove is for systems that cannot remove an open file).
	os.Remove(path)
	fi, err := f.Stat()
	if err != nil {
		s.writeError(w, wire.Errorf(wire.CodeInternal, "backup: %v", err), http.StatusInternalServerError)
		return
	}
	// A big ledger takes longer to send than the server's write timeout.
	http.NewResponseController(w).SetWriteDeadline(time.Time{})
	h := w.Header()
	h.Set("Content-Type", "application/vnd.sqlite3")
	h.Set("Content-Length", strconv.FormatInt(fi.Size(), 10))
	h.Set(wire.InstanceHeader, s.instance)
	w.WriteHeader(http.StatusOK)
	n, err := io.Copy(w, f)
	if err != nil {
		s.log.Warn("backup not sent whole", "sent", n, "size", fi.Size(), "err", err)
		return
	}
	s.log.Info("backup sent", "bytes", n)
}

// copyDatabase writes the database as it is now to path and opens the copy.
func (s *Server) copyDatabase(path string) (*os.File, *wire.Error) {
	v, err := s.store.OpenReadView()
	if err != nil {
		return nil, wire.Errorf(wire.CodeUnavailable, "backup: %v", err)
	}
	err = v.CopyTo(path)
	v.Close()
	if err != nil {
		return nil, wire.Errorf(wire.CodeUnavailable, "backup: %v", err)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, wire.Errorf(wire.CodeInternal, "backup: %v", err)
	}
	return f, nil
}
