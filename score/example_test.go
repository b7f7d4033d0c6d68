package score_test

import (
	"fmt"
	"time"

	"github.com/gwyh/gwyh/score"
)

func ExampleScoreParameterDecay() {
	// A counter that should fade to DefaultDecayToZero (0.01) in one
	// minute, decayed every DefaultDecayInterval (1 s):
	fmt.Printf("%.4f\n", score.ScoreParameterDecay(time.Minute))
	// The same with a 10 s decay interval:
	fmt.Printf("%.4f\n", score.ScoreParameterDecayWithBase(time.Minute, 10*time.Second, 0.01))
	// Output:
	// 0.9261
	// 0.4642
}

func ExampleDefaultParams() {
	p := score.DefaultParams("events")
	th := score.DefaultThresholds()
	fmt.Println(p.Validate(), th.Validate())
	s, err := score.New(p)
	if err != nil {
		panic(err)
	}
	fmt.Println(s.Snapshot(time.Time{}) == nil, len(s.Snapshot(time.Time{})))
	// Output:
	// <nil> <nil>
	// false 0
}
