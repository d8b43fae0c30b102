package emulator

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"maps"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/parley-hub/parley/core/whatsapp"
)

// mediaDownloadPath serves the bytes of uploaded media, like Meta's
// lookaside URLs: with the Bearer token, for mediaURLLifetime.
const (
	mediaDownloadPath = "/whatsapp_business/attachments/"
	mediaURLLifetime  = 5 * time.Minute
)

const mb = 1 << 20

// mediaLimits are the accepted MIME types and their size limits (PROTOCOL §6).
var mediaLimits = map[string]int64{
	"image/jpeg": 5 * mb, "image/png": 5 * mb,
	"video/mp4": 16 * mb, "video/3gpp": 16 * mb,
	"audio/aac": 16 * mb, "audio/amr": 16 * mb, "audio/mpeg": 16 * mb, "audio/mp4": 16 * mb, "audio/ogg": 16 * mb,
	"text/plain": 100 * mb, "application/pdf": 100 * mb,
	"application/msword": 100 * mb,
	"application/vnd.openxmlformats-officedocument.wordprocessingml.document": 100 * mb,
	"application/vnd.ms-excel": 100 * mb,
	"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet":         100 * mb,
	"application/vnd.ms-powerpoint":                                             100 * mb,
	"application/vnd.openxmlformats-officedocument.presentationml.presentation": 100 * mb,
	"image/webp": 500 << 10, // animated; a static sticker is limited to 100 KB below
}

const staticStickerMax = 100 << 10

// mediaObj is an uploaded media object.
type mediaObj struct {
	id      string
	mime    string
	sha256  string
	data    []byte
	created time.Time
}

type mediaStore struct {
	mu sync.RWMutex
	m  map[string]*mediaObj
}

func newMediaStore() *mediaStore { return &mediaStore{m: map[string]*mediaObj{}} }

func (s *mediaStore) get(id string) *mediaObj {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.m[id]
}

func (s *mediaStore) put(m *mediaObj) {
	s.mu.Lock()
	s.m[m.id] = m
	s.mu.Unlock()
}

func (s *mediaStore) delete(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.m[id]
	delete(s.m, id)
	return ok
}

func (s *mediaStore) reset() {
	s.mu.Lock()
	s.m = map[string]*mediaObj{}
	s.mu.Unlock()
}

// handleUpload is POST /{version}/{phone-number-id}/media: a multipart form
// with messaging_product, file and type (PROTOCOL §6).
func (e *Emulator) handleUpload(w http.ResponseWriter, r *http.Request, c *call) {
	if c.node != e.cfg.PhoneNumberID {
		e.writeError(w, c, unknownObject(r.Method, c.node))
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 101*mb)
	mr, err := r.MultipartReader()
	if err != nil {
		e.writeError(w, c, errorf(100, "The request must be multipart/form-data with messaging_product, file and type: %v", err))
		return
	}
	var product, typ, partType string
	var data []byte
	haveFile := false
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			e.writeError(w, c, errorf(100, "Could not read the multipart body: %v", err))
			return
		}
		switch part.FormName() {
		case "messaging_product":
			product = readField(part)
		case "type":
			typ = readField(part)
		case "file":
			haveFile = true
			partType = part.Header.Get("Content-Type")
			data, err = io.ReadAll(io.LimitReader(part, 100*mb+1))
			if err != nil {
				e.writeError(w, c, errorf(131053, "Could not read the file: %v", err))
				return
			}
		}
		part.Close()
	}
	mt := normMIME(typ)
	if mt == "" {
		mt = normMIME(partType)
	}
	switch {
	case product == "":
		e.writeError(w, c, errorf(100, "The parameter messaging_product is required."))
		return
	case product != whatsapp.MessagingProduct:
		e.writeError(w, c, errorf(100, "Param messaging_product must be one of {WHATSAPP} - got %q.", product))
		return
	case !haveFile:
		e.writeError(w, c, errorf(100, "The parameter file is required."))
		return
	case mt == "":
		e.writeError(w, c, errorf(100, "The parameter type is required."))
		return
	}
	limit, ok := mediaLimits[mt]
	pt := normMIME(partType)
	switch {
	case !ok:
		e.writeError(w, c, errorf(131053, "Param file must be a file with one of the following types: %s. Received file of type '%s'.",
			strings.Join(slices.Sorted(maps.Keys(mediaLimits)), ", "), mt))
		return
	case pt != "" && pt != "application/octet-stream" && pt != mt:
		e.writeError(w, c, errorf(131053, "Media upload error: the file is %s but type says %s.", pt, mt))
		return
	case len(data) == 0:
		e.writeError(w, c, errorf(131053, "Media upload error: the file is empty."))
		return
	case mt == "image/webp" && len(data) > staticStickerMax && !bytes.Contains(data[:min(len(data), 64)], []byte("ANIM")):
		limit = staticStickerMax
	}
	if int64(len(data)) > limit {
		e.writeError(w, c, errorf(131053, "Media upload error: %d bytes is more than the %d-byte limit for %s.", len(data), limit, mt))
		return
	}
	sum := sha256.Sum256(data)
	m := &mediaObj{id: e.ids.numeric(), mime: mt, sha256: hex.EncodeToString(sum[:]), data: data, created: e.now()}
	e.media.put(m)
	writeJSON(w, http.StatusOK, map[string]string{"id": m.id})
}

func readField(r io.Reader) string {
	b, _ := io.ReadAll(io.LimitReader(r, 1024))
	return strings.TrimSpace(string(b))
}

func normMIME(s string) string {
	mt, _, err := mime.ParseMediaType(s)
	if err != nil {
		return strings.ToLower(strings.TrimSpace(s))
	}
	return mt
}

// getMedia answers GET /{version}/{media-id}: a download URL valid for five
// minutes, with the MIME type, SHA-256 and size (a string, as in the OpenAPI).
func (e *Emulator) getMedia(w http.ResponseWriter, r *http.Request, c *call, m *mediaObj) {
	if p := r.URL.Query().Get("phone_number_id"); p != "" && p != e.cfg.PhoneNumberID {
		e.writeError(w, c, unknownObject(r.Method, c.node))
		return
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	q := url.Values{"mid": {m.id}, "ext": {strconv.FormatInt(e.now().Add(mediaURLLifetime).Unix(), 10)}}
	writeJSON(w, http.StatusOK, map[string]string{
		"messaging_product": whatsapp.MessagingProduct,
		"url":               scheme + "://" + r.Host + mediaDownloadPath + "?" + q.Encode(),
		"mime_type":         m.mime,
		"sha256":            m.sha256,
		"file_size":         strconv.Itoa(len(m.data)),
		"id":                m.id,
	})
}

// deleteMedia answers DELETE /{version}/{media-id}; false if there is none.
func (e *Emulator) deleteMedia(w http.ResponseWriter, r *http.Request, c *call) bool {
	if p := r.URL.Query().Get("phone_number_id"); p != "" && p != e.cfg.PhoneNumberID {
		return false
	}
	if !e.media.delete(c.node) {
		return false
	}
	writeJSON(w, http.StatusOK, success)
	return true
}

// handleDownload serves a media URL's bytes to a caller with the access
// token, until the URL expires (404, as Meta answers).
func (e *Emulator) handleDownload(w http.ResponseWriter, r *http.Request) {
	if !e.authorized(r) {
		e.writeError(w, &call{trace: e.ids.trace()}, &apiError{code: 190})
		return
	}
	q := r.URL.Query()
	m := e.media.get(q.Get("mid"))
	ext, err := strconv.ParseInt(q.Get("ext"), 10, 64)
	if m == nil || err != nil || e.now().Unix() > ext {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", m.mime)
	w.Header().Set("Content-Length", strconv.Itoa(len(m.data)))
	_, _ = w.Write(m.data)
}
