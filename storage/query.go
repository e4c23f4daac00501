package storage

// rowScanner is one row of a query, as queryEach hands it over.
type rowScanner = interface{ Scan(...any) error }

// queryEach runs query and calls fn for each row, then closes the rows: before the next
// statement, as the one connection requires (store.go). The first error — the query's,
// fn's or the rows' — ends it and is returned. fn must not run statements itself.
func (t *Tx) queryEach(query string, args []any, fn func(rows rowScanner) error) error {
	rows, err := t.query(query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

// queryList runs query and returns scan's value for each row, in order (nil when none).
func queryList[T any](t *Tx, scan func(rows rowScanner) (T, error), query string, args ...any) ([]T, error) {
	var out []T
	err := t.queryEach(query, args, func(rows rowScanner) error {
		v, err := scan(rows)
		if err != nil {
			return err
		}
		out = append(out, v)
		return nil
	})
	return out, err
}
