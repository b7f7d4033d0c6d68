package score_test

import (
	"github.com/gwyh/gwyh/router"
	"github.com/gwyh/gwyh/score"
)

// The router consumes scoring through router.Scorer.
var _ router.Scorer = (*score.Scorer)(nil)

// It reports duplicates through the allocation-free byte-id hook.
var _ router.DuplicateBytesScorer = (*score.Scorer)(nil)
