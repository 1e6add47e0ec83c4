package store_test

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"github.com/fairhands/marketplace/store"
	"github.com/fairhands/marketplace/store/storetest"
)

func TestExportImportRoundTrip(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	src := storetest.New(t)
	at := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	if _, err := src.Write("orders").InsertOne(ctx, bson.M{"_id": "o1", "total": int64(123456), "at": at, "items": bson.A{bson.M{"p": "x", "q": 2}}}); err != nil {
		t.Fatal(err)
	}
	bucket, _ := src.Bucket("images")
	payload := bytes.Repeat([]byte{0xff, 0xd8, 0x00, 0x01}, 70000)
	if err := bucket.UploadFromStreamWithID("img1", "img1.jpg", bytes.NewReader(payload)); err != nil {
		t.Fatal(err)
	}
	var dump bytes.Buffer
	n, err := src.Export(ctx, &dump)
	if err != nil || n < 3 {
		t.Fatalf("export: n=%d err=%v", n, err)
	}

	dst := storetest.New(t)
	if _, err := dst.Import(ctx, bytes.NewReader(dump.Bytes())); err != nil {
		t.Fatal(err)
	}
	var got struct {
		Total int64     `bson:"total"`
		At    time.Time `bson:"at"`
	}
	if err := dst.Read("orders").FindOne(ctx, bson.M{"_id": "o1"}).Decode(&got); err != nil {
		t.Fatal(err)
	}
	if got.Total != 123456 || !got.At.Equal(at) {
		t.Fatalf("round trip changed the order: %+v", got)
	}
	rb, _ := dst.ReadBucket("images")
	var out bytes.Buffer
	if _, err := rb.DownloadToStream("img1", &out); err != nil || !bytes.Equal(out.Bytes(), payload) {
		t.Fatalf("image did not survive: err=%v len=%d", err, out.Len())
	}
	if _, err := dst.Import(ctx, bytes.NewReader(dump.Bytes())); !errors.Is(err, store.ErrNotEmpty) {
		t.Fatalf("second import: %v, want ErrNotEmpty", err)
	}
}
