package templates

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/parley-hub/parley/core/store"
	"github.com/parley-hub/parley/core/whatsapp"
)

// Lister lists the WABA's templates (whatsapp.Client implements it).
type Lister interface {
	ListTemplates(ctx context.Context) ([]whatsapp.TemplateInfo, error)
}

// StatusUpdate is one template variant's status as the platform reports it.
type StatusUpdate struct {
	Name     string
	Language string // any case or separator; stored canonical (en_US)
	Status   string // APPROVED, PAUSED, ...
	Category string // MARKETING, UTILITY, AUTHENTICATION, or ""
	ID       string
	Reason   string
}

// UpsertStatusTx records a variant's status inside tx (webhooks and Sync).
func UpsertStatusTx(ctx context.Context, tx *store.Tx, u StatusUpdate, now time.Time) error {
	var category any
	if u.Category != "" {
		category = u.Category
	}
	_, err := tx.Exec(ctx, `INSERT INTO template_statuses(name, language, status, category, template_id, reason, updated_at) VALUES (?,?,?,?,?,?,?)
		ON CONFLICT(name, language) DO UPDATE SET status = excluded.status, category = COALESCE(excluded.category, category),
		template_id = excluded.template_id, reason = excluded.reason, updated_at = excluded.updated_at`,
		u.Name, Canonical(u.Language), strings.ToUpper(u.Status), category, u.ID, u.Reason, now.UnixMilli())
	if err != nil {
		return fmt.Errorf("template %s/%s status %s: %w", u.Name, u.Language, u.Status, err)
	}
	return nil
}

// Sync pulls every template of the WABA from the Cloud API
// (GET /{waba-id}/message_templates) and records each variant's status, in
// one transaction; it returns how many variants it recorded. It is what
// "parley templates sync" runs, and what Parley runs at start.
func Sync(ctx context.Context, db *store.DB, l Lister, now time.Time) (int, error) {
	infos, err := l.ListTemplates(ctx)
	if err != nil {
		return 0, fmt.Errorf("sync templates: %w", err)
	}
	err = db.Write(ctx, func(tx *store.Tx) error {
		for _, t := range infos {
			if err := UpsertStatusTx(ctx, tx, StatusUpdate{Name: t.Name, Language: t.Language, Status: t.Status, Category: t.Category, ID: t.ID}, now); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("sync templates: %w", err)
	}
	return len(infos), nil
}
