package e2e

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/floatlic/floatlic/internal/wire"
	"github.com/floatlic/floatlic/licenses"
)

// licd with --tls-cert/--tls-key serves the licenses client over HTTPS (its
// checkouts are answered by licd's HTTP front, on the TLS connection), and
// a status request on another connection (handed to net/http).
func TestTLS(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile, roots := selfSigned(t, dir)
	p := startLicd(t, "demo", "--listen", "127.0.0.1:0", "--tls-cert", certFile, "--tls-key", keyFile)
	tlsConfig := &tls.Config{RootCAs: roots}

	c, err := licenses.New(licenses.Options{Servers: []string{p.addr}, TLSConfig: tlsConfig,
		StateDir: filepath.Join(dir, "state"), User: "ann", Host: "ws1"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for range 3 { // several requests on one kept-alive connection
		lic, err := c.Checkout(ctx, "cad_pro", "")
		if err != nil {
			t.Fatalf("checkout over TLS: %v\nlicd: %s", err, p.Stderr())
		}
		if err := lic.Checkin(ctx); err != nil {
			t.Fatalf("checkin over TLS: %v", err)
		}
	}

	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: tlsConfig}, Timeout: 10 * time.Second}
	resp, err := hc.Get("https://" + p.addr + wire.PathStatus)
	if err != nil {
		t.Fatalf("status over TLS: %v", err)
	}
	defer resp.Body.Close()
	var st wire.Status
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil || !st.Server.Serving {
		t.Fatalf("status over TLS: %+v, %v", st.Server, err)
	}
	// Plain HTTP is refused with net/http's word for it, not served.
	if resp, err := http.Get("http://" + p.addr + wire.PathStatus); err == nil {
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), "HTTPS") {
			t.Errorf("plain HTTP to a TLS licd: %s %q, want 400 saying to use HTTPS", resp.Status, body)
		}
	}
}

// selfSigned writes a certificate for 127.0.0.1 and its key to dir, and
// returns their files and a pool that trusts the certificate.
func selfSigned(t *testing.T, dir string) (certFile, keyFile string, roots *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "licd test"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	writePEM(t, certFile, "CERTIFICATE", der)
	writePEM(t, keyFile, "EC PRIVATE KEY", keyDER)
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	roots = x509.NewCertPool()
	roots.AddCert(cert)
	return certFile, keyFile, roots
}

func writePEM(t *testing.T, path, typ string, der []byte) {
	t.Helper()
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
}
