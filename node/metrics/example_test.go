package metrics_test

import (
	"log"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/gwyh/gwyh/node"
	"github.com/gwyh/gwyh/node/metrics"
)

// Register a node's metrics, with the Go runtime and process collectors,
// in the application's own registry, and serve it. A registry that has
// the runtime collectors already (prometheus.DefaultRegisterer) keeps
// its own; Options.NoRuntime leaves them out altogether.
func ExampleRegister() {
	n, err := node.New(node.DefaultConfig())
	if err != nil {
		log.Fatal(err)
	}
	defer n.Close()
	reg := prometheus.NewRegistry()
	if _, err := metrics.Register(reg, metrics.Options{}, n); err != nil {
		log.Fatal(err)
	}
	http.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	log.Fatal(http.ListenAndServe("127.0.0.1:9100", nil))
}
