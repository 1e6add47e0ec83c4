package api_test

// matrixCovers says which registered routes the matrix must list.
func matrixCovers(path string) bool {
	return path == "/healthz" || path == "/readyz" || len(path) > 7 && path[:7] == "/api/v1"
}

// extraRows lists the domains' routes.
func extraRows() []row {
	var rows []row
	rows = append(rows, catalogRows()...)
	rows = append(rows, trainingRows()...)
	return rows
}
