package consent

import (
	"strings"
	"unicode"

	"github.com/parley-hub/parley/core/config"
)

// BuiltinKeywords are the stop and start keywords used when the config
// lists none: English, Portuguese and Spanish.
var BuiltinKeywords = []config.ConsentWords{
	{
		Locale: "en", Stop: []string{"STOP", "STOPALL", "UNSUBSCRIBE"}, Start: []string{"START", "UNSTOP", "SUBSCRIBE"},
		StopReply:  "You will not get marketing messages from us any more. Reply START to get them again.",
		StartReply: "You will get our marketing messages again. Reply STOP to stop them.",
	},
	{
		Locale: "pt", Stop: []string{"PARAR", "SAIR", "DESCADASTRAR"}, Start: []string{"VOLTAR", "CADASTRAR"},
		StopReply:  "Você não receberá mais mensagens de marketing. Responda VOLTAR para recebê-las de novo.",
		StartReply: "Você voltará a receber nossas mensagens de marketing. Responda PARAR para pará-las.",
	},
	{
		Locale: "es", Stop: []string{"BAJA", "ALTO", "DETENER"}, Start: []string{"ALTA", "REANUDAR"},
		StopReply:  "Ya no recibirás mensajes de marketing. Responde ALTA para recibirlos de nuevo.",
		StartReply: "Volverás a recibir nuestros mensajes de marketing. Responde BAJA para detenerlos.",
	},
}

// Keyword kinds.
const (
	Stop  = "stop"
	Start = "start"
)

// Match is a keyword found in a message.
type Match struct {
	// Kind is Stop or Start.
	Kind string
	// Keyword is the keyword as configured.
	Keyword string
	// Locale is the language of the set it belongs to.
	Locale string
	// Reply is the confirmation to send ("" for none).
	Reply string
}

// Keywords recognizes stop and start messages. It is immutable and safe
// for concurrent use.
type Keywords struct {
	sets []config.ConsentWords
}

// NewKeywords returns a matcher for sets, or for BuiltinKeywords when sets
// is empty.
func NewKeywords(sets []config.ConsentWords) *Keywords {
	if len(sets) == 0 {
		sets = BuiltinKeywords
	}
	return &Keywords{sets: sets}
}

// Match reports whether text, as a whole, is a keyword. A keyword in
// several sets is taken from the set of the contact's language (locale,
// e.g. pt_BR matches the set pt), else from the first set listing it.
func (k *Keywords) Match(text, locale string) (Match, bool) {
	norm := Normalize(text)
	if norm == "" {
		return Match{}, false
	}
	var found []Match
	for _, s := range k.sets {
		for _, w := range s.Stop {
			if Normalize(w) == norm {
				found = append(found, Match{Kind: Stop, Keyword: w, Locale: s.Locale, Reply: s.StopReply})
			}
		}
		for _, w := range s.Start {
			if Normalize(w) == norm {
				found = append(found, Match{Kind: Start, Keyword: w, Locale: s.Locale, Reply: s.StartReply})
			}
		}
	}
	if len(found) == 0 {
		return Match{}, false
	}
	lang, _, _ := strings.Cut(strings.ReplaceAll(locale, "-", "_"), "_")
	for _, m := range found {
		l, _, _ := strings.Cut(m.Locale, "_")
		if m.Locale == locale || l == lang {
			return m, true
		}
	}
	return found[0], true
}

// Normalize prepares a message for whole-message keyword matching: it
// trims spaces and trailing punctuation and folds case ("Stop!" → "STOP").
func Normalize(s string) string {
	s = strings.TrimSpace(s)
	s = strings.TrimRightFunc(s, func(r rune) bool { return unicode.IsPunct(r) || unicode.IsSpace(r) })
	s = strings.TrimLeftFunc(s, func(r rune) bool { return unicode.IsPunct(r) || unicode.IsSpace(r) })
	return strings.ToUpper(strings.Join(strings.Fields(s), " "))
}
