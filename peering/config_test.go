package peering

import (
	"errors"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

func TestValidate(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	tests := []struct {
		name string
		cfg  Config
		want []string // substrings of the error; none: valid
	}{
		{name: "minimal", cfg: Config{Low: 1, High: 1, Rand: r}},
		{name: "all set", cfg: Config{Low: 2, High: 4, MaxDialing: 1, DialBackoff: time.Second,
			MaxDialBackoff: time.Second, StableSession: 1, BanDuration: 1, Interval: 1,
			MaxCandidates: 1, DialTimeout: 1, Rand: r}},
		{name: "zero Low", cfg: Config{High: 1, Rand: r}, want: []string{"water marks"}},
		{name: "High below Low", cfg: Config{Low: 3, High: 2, Rand: r}, want: []string{"water marks"}},
		{name: "nil Rand", cfg: Config{Low: 1, High: 1}, want: []string{"Rand"}},
		{name: "negatives, all reported", cfg: Config{Low: 1, High: 1, MaxDialing: -1, MaxCandidates: -1,
			DialBackoff: -1, BanDuration: -1, Interval: -1, Rand: r},
			want: []string{"MaxDialing", "MaxCandidates", "DialBackoff", "BanDuration", "Interval"}},
		{name: "max backoff below first", cfg: Config{Low: 1, High: 1, DialBackoff: time.Hour, Rand: r},
			want: []string{"MaxDialBackoff 1m0s < DialBackoff 1h0m0s"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			_, newErr := New(tt.cfg)
			if len(tt.want) == 0 {
				if err != nil || newErr != nil {
					t.Fatalf("Validate = %v, New = %v; want nil", err, newErr)
				}
				return
			}
			if !errors.Is(err, ErrConfig) || !errors.Is(newErr, ErrConfig) {
				t.Fatalf("Validate = %v, New = %v; want ErrConfig", err, newErr)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

func TestBackoffDelay(t *testing.T) {
	tests := []struct {
		n    int
		u    float64
		want time.Duration
	}{
		{n: 1, u: 0.5, want: time.Second},
		{n: 2, u: 0.5, want: 2 * time.Second},
		{n: 4, u: 0.5, want: 8 * time.Second},
		{n: 7, u: 0.5, want: time.Minute}, // 64 s capped
		{n: 1000, u: 0.5, want: time.Minute},
		{n: 1, u: 0, want: 800 * time.Millisecond},
		{n: 7, u: 0.999999, want: 71999976 * time.Microsecond},
	}
	for _, tt := range tests {
		got := backoffDelay(time.Second, time.Minute, tt.n, tt.u)
		if d := got - tt.want; d < -time.Microsecond || d > time.Microsecond {
			t.Errorf("backoffDelay(1s, 1m, %d, %v) = %v, want %v", tt.n, tt.u, got, tt.want)
		}
	}
}
