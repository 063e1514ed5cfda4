package licfile

import (
	"crypto/ed25519"
	"fmt"
	"strings"
	"testing"
)

// benchLicense returns a signed license file of n features, like a vendor's
// product line, and its public key.
func benchLicense(b *testing.B, n int) ([]byte, ed25519.PublicKey) {
	b.Helper()
	pub, priv, err := GenerateKey()
	if err != nil {
		b.Fatal(err)
	}
	var t strings.Builder
	for i := range n {
		fmt.Fprintf(&t, `# feature %d
FEATURE feature_%d {
  VENDOR      = acme
  VERSION     = 2.%d
  COUNT       = %d
  GRACE       = 48
  BORROW      = 72
  HAL_SERVERS = "lic1.example.com:6200 lic2.example.com:6200 lic3.example.com:6200"
  START       = 2026-01-01
  EXPIRE      = 2027-12-31
}
`, i, i, i%10, 5+i)
	}
	signed, err := Sign("bench.lic", []byte(t.String()), priv)
	if err != nil {
		b.Fatal(err)
	}
	return signed, pub
}

// BenchmarkParse parses and validates a signed license file.
func BenchmarkParse(b *testing.B) {
	for _, n := range []int{1, 100} {
		b.Run(fmt.Sprintf("features=%d", n), func(b *testing.B) {
			data, _ := benchLicense(b, n)
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for range b.N {
				if _, err := Parse("bench.lic", data); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkVerify checks every feature's Ed25519 signature (what licd does
// at start-up and on reload), per feature.
func BenchmarkVerify(b *testing.B) {
	data, pub := benchLicense(b, 100)
	f, err := Parse("bench.lic", data)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if err := f.Verify(pub); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*100), "ns/feature")
}

// BenchmarkSign signs a template of one feature (licgen sign).
func BenchmarkSign(b *testing.B) {
	_, priv, err := GenerateKey()
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for range b.N {
		if _, err := Sign("bench.tmpl", []byte(demoTemplate), priv); err != nil {
			b.Fatal(err)
		}
	}
}
