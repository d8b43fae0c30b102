package emulator

import (
	"encoding/base64"
	"encoding/binary"
	"math/rand/v2"
	"strconv"
	"sync/atomic"
)

// idGen makes ids cheaply: a random per-emulator prefix and an atomic
// counter, so the send path never reads crypto/rand or takes a lock.
type idGen struct {
	prefix uint64
	n      atomic.Uint64
}

func newIDGen() *idGen { return &idGen{prefix: rand.Uint64()} }

const upperHex = "0123456789ABCDEF"

// wamid returns a message id shaped like Meta's: "wamid." and the standard
// base64 of 1C 18 <len> <wa_id> 15 02 00 <dir> 18 <n> <n hex digits> 00,
// where dir is 11 for business-sent and 12 for user-sent messages. Callers
// must treat it as opaque, as with Meta's.
func (g *idGen) wamid(waID string, inbound bool) string {
	n := g.n.Add(1)
	var raw [48]byte
	b := raw[:0]
	b = append(b, 0x1C, 0x18, byte(len(waID)))
	b = append(b, waID...)
	hexLen := 18
	dir := byte(0x11)
	if inbound {
		hexLen, dir = 20, 0x12
	}
	b = append(b, 0x15, 0x02, 0x00, dir, 0x18, byte(hexLen))
	// 9 (outbound) or 10 (inbound) bytes: the prefix, then 5 bytes of counter.
	var x [10]byte
	k := hexLen / 2
	for i := 0; i < k-5; i++ {
		x[i] = byte(g.prefix >> (8 * i))
	}
	for i := 0; i < 5; i++ {
		x[k-5+i] = byte(n >> (8 * (4 - i)))
	}
	for i := 0; i < hexLen/2; i++ {
		b = append(b, upperHex[x[i]>>4], upperHex[x[i]&0x0F])
	}
	b = append(b, 0x00)
	out := make([]byte, len("wamid.")+base64.StdEncoding.EncodedLen(len(b)))
	copy(out, "wamid.")
	base64.StdEncoding.Encode(out[len("wamid."):], b)
	return string(out)
}

// numeric returns a 16-digit Graph object id.
func (g *idGen) numeric() string {
	return strconv.FormatUint(1_000_000_000_000_000+rand.Uint64N(9_000_000_000_000_000), 10)
}

// trace returns a 23-character fbtrace_id.
func (g *idGen) trace() string {
	var b [17]byte
	binary.LittleEndian.PutUint64(b[0:8], rand.Uint64())
	binary.LittleEndian.PutUint64(b[8:16], rand.Uint64())
	b[16] = byte(g.n.Load())
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// hex32 returns 32 random lowercase hex digits (conversation ids).
func (g *idGen) hex32() string {
	const lower = "0123456789abcdef"
	var out [32]byte
	for i := 0; i < 2; i++ {
		v := rand.Uint64()
		for j := 0; j < 16; j++ {
			out[i*16+j] = lower[v&0x0F]
			v >>= 4
		}
	}
	return string(out[:])
}
