package codec

import (
	"crypto/rand"
	"sync"
)

// sealingSession is the derived key a namespace currently seals with: a salt,
// the key derived from it, a random nonce base and a use count.
type sealingSession struct {
	ref       KeyRef
	key       *derivedKey
	aad       []byte
	nonceBase [nonceLen]byte
	metadata  *metadataFactory
	uses      int
}

// sealingSessions holds one sealing session per namespace. A session is
// replaced when the key version changes or when it has sealed maxUses
// payloads (the nonce budget); a batch that does not fit in what is left is
// split over as many sessions as it needs, so no derived key ever seals more
// than maxUses payloads.
type sealingSessions struct {
	mu       sync.Mutex
	maxUses  int
	sessions map[string]*sealingSession
}

func newSealingSessions(maxUses int) *sealingSessions {
	return &sealingSessions{maxUses: maxUses, sessions: map[string]*sealingSession{}}
}

// reservation is a run of counters [start, start+count) of one session.
type reservation struct {
	session *sealingSession
	start   int
	count   int
	// fresh is true when the session was created for this reservation.
	fresh bool
}

// reserve reserves up to want payloads of namespace's session for material,
// deriving a new session (fresh salt and nonce base) from material.Key when
// the current one is for another key or used up. It does not zero material.
func (s *sealingSessions) reserve(namespace string, material *KeyMaterial, want int) (reservation, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ref := material.Ref()
	current := s.sessions[namespace]
	if current != nil && current.ref == ref && current.uses < s.maxUses {
		count := min(want, s.maxUses-current.uses)
		start := current.uses
		current.uses += count
		return reservation{session: current, start: start, count: count}, nil
	}
	var salt [saltLen]byte
	rand.Read(salt[:])
	key, err := deriveKey(material.Key, salt[:], ref.KeyID, ref.Version)
	if err != nil {
		return reservation{}, err
	}
	session := &sealingSession{
		ref:      ref,
		key:      key,
		aad:      buildAAD(FormatV1, namespace, ref.KeyID, ref.Version),
		metadata: newMetadataFactory(ref),
	}
	rand.Read(session.nonceBase[:])
	count := min(want, s.maxUses)
	session.uses = count
	// The replaced session may still be sealing in another goroutine: it holds
	// no raw key bytes, so it is simply dropped.
	s.sessions[namespace] = session
	return reservation{session: session, start: 0, count: count, fresh: true}, nil
}

func (s *sealingSessions) clear() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.sessions)
}
