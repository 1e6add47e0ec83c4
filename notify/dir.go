package notify

import (
	"context"
	"fmt"
	"net/mail"
	"os"
	"path/filepath"
	"time"
)

// DirSender writes each mail as an .eml file into Dir instead of sending it: the embedded demo and
// development use it (no mail server needed, nothing leaves the machine), and DevHandler lists
// what it wrote. Any mail client opens the files.
type DirSender struct {
	// Dir is the folder the files go into; it is created when missing.
	Dir string
	// From is the sender written into each mail; "Fair Hands <shop@localhost>" when empty.
	From mail.Address
}

// Send writes m to Dir as <time>-<id>.eml, through a temporary file and a rename so the listing
// never shows half a mail. Files are readable by the owner only: they hold buyers' addresses.
func (s *DirSender) Send(ctx context.Context, m Mail) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("write mail: %w", err)
	}
	from := s.From
	if from.Address == "" {
		from = mail.Address{Name: "Fair Hands", Address: "shop@localhost"}
	}
	msg, err := buildMessage(from, m)
	if err != nil {
		return Permanent(err)
	}
	if err := os.MkdirAll(s.Dir, 0o700); err != nil {
		return fmt.Errorf("write mail: %w", err)
	}
	date := m.Date
	if date.IsZero() {
		date = time.Now()
	}
	id := m.ID
	if id == "" {
		id = "mail"
	}
	name := date.UTC().Format("20060102T150405.000000000Z") + "-" + filepath.Base(id) + ".eml"
	tmp, err := os.CreateTemp(s.Dir, ".tmp-*.eml")
	if err != nil {
		return fmt.Errorf("write mail: %w", err)
	}
	defer os.Remove(tmp.Name()) // fails harmlessly once renamed
	if _, err := tmp.Write(msg); err != nil {
		_ = tmp.Close()
		return fmt.Errorf("write mail: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write mail: %w", err)
	}
	if err := os.Rename(tmp.Name(), filepath.Join(s.Dir, name)); err != nil {
		return fmt.Errorf("write mail: %w", err)
	}
	return nil
}
