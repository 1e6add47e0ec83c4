package api_test

import (
	"testing"
	"time"

	"github.com/fairhands/marketplace/payments/stripetest"
)

// matrixCovers says which registered routes the matrix must list.
func matrixCovers(path string) bool {
	return path == "/healthz" || path == "/readyz" || len(path) > 7 && path[:7] == "/api/v1"
}

// extraRows lists the domains' routes.
func extraRows() []row {
	var rows []row
	rows = append(rows, catalogRows()...)
	rows = append(rows, trainingRows()...)
	rows = append(rows, paymentsRows()...)
	rows = append(rows, openapiRows()...)
	// Stripe's webhook is admitted by its signature, not by a role: a signed event is accepted
	// from anyone (its refusals without a valid signature are tested in the payments tests).
	rows = append(rows, row{method: "POST", route: "/api/v1/stripe/webhook", allow: everyone,
		setup: func(t *testing.T, w *world, role string) (string, any) {
			payload := stripetest.Event("evt_matrix_"+role+apptestSeq(w), "customer.created", map[string]any{"id": "cus_1", "object": "customer"}, time.Now())
			return "", signedEvent{payload: payload, signature: stripetest.Sign(payload, stripetest.WebhookSecret)}
		}})
	return rows
}
