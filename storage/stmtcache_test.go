package storage

import (
	"context"
	"fmt"
	"sync"
	"testing"
)

// Two goroutines share the store the way `bot run` does (the engine loop writes, the
// outbox reads on its own goroutine), each using queries the statement cache has not seen.
// Preparing a missed statement after a commit must not hold the cache lock while it waits
// for the connection, or the other goroutine's open transaction, waiting for that lock to
// look up its statement, never gives the connection back. A regression hangs this test.
func TestStatementCacheSharedByTwoGoroutines(t *testing.T) {
	s, _ := openTemp(t)
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, 2)
	for g := 0; g < 2; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 300; i++ {
				q := fmt.Sprintf("SELECT %d + ?", g*100000+i)
				fn := func(tx *Tx) error {
					var n int
					return tx.queryRow(q, 1).Scan(&n)
				}
				var err error
				if g == 0 {
					err = s.Update(ctx, fn)
				} else {
					err = s.View(ctx, fn)
				}
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}
