package server

import (
	"crypto/ed25519"
	"fmt"

	"github.com/floatlic/floatlic/internal/engine"
	"github.com/floatlic/floatlic/internal/hostid"
	"github.com/floatlic/floatlic/internal/licfile"
)

// LoadFeatures verifies every license file with the vendor key and returns
// the features licd can serve (those with COUNT). Any invalid file or a
// feature defined twice fails the whole load: nothing is half-loaded.
// Whether HAL features may be served here is checkHAL's to say.
func LoadFeatures(paths []string, vendorPub ed25519.PublicKey) ([]*engine.Feature, error) {
	if len(paths) == 0 {
		return nil, fmt.Errorf("no license file given (use --license FILE)")
	}
	if len(vendorPub) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("no vendor public key given (use --vendor-pub FILE)")
	}
	local := hostid.Local()
	var out []*engine.Feature
	seen := map[string]string{}
	for _, p := range paths {
		f, err := licfile.Load(p, vendorPub)
		if err != nil {
			return nil, fmt.Errorf("license %s: %w", p, err)
		}
		for _, lf := range f.Features {
			if !lf.Counted() {
				continue // node-locked: not for a license server
			}
			where := fmt.Sprintf("%s:%d", p, lf.Line)
			if prev, ok := seen[lf.Name]; ok {
				return nil, fmt.Errorf("license %s: feature %s is also defined at %s", where, lf.Name, prev)
			}
			seen[lf.Name] = where
			ft := toFeature(lf, local)
			ft.Where = where
			out = append(out, ft)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no feature with COUNT in %v: nothing to serve", paths)
	}
	return out, nil
}

func toFeature(lf *licfile.Feature, local []hostid.ID) *engine.Feature {
	exp, _ := lf.ExpiresAt()
	return &engine.Feature{
		Name: lf.Name, Version: lf.Version, Count: lf.Count,
		GraceHours: lf.Grace, BorrowHours: lf.Borrow,
		Expire: lf.Expire, Expires: exp, Start: lf.StartsAt(),
		HostOK:    len(lf.HostID) == 0 || hostid.Match(lf.HostID, local),
		HostIDs:   lf.HostID,
		TokenKeys: lf.TokenKey, Block: string(licfile.Format(lf)),
		HALServers: lf.HALServers,
	}
}
