// The kube-controller-manager command, as k8s.io/kubernetes/cmd/kube-controller-manager builds it.
// The local clusters run it so that what a real control plane reconciles happens: namespaces
// finalize on delete, default ServiceAccounts appear, quotas are counted, ReplicaSets create pods.
package main

import (
	"os"
	_ "time/tzdata" // for CronJob time zone support

	"k8s.io/component-base/cli"
	_ "k8s.io/component-base/logs/json/register"          // JSON log format registration
	_ "k8s.io/component-base/metrics/prometheus/clientgo" // client-go metrics
	_ "k8s.io/component-base/metrics/prometheus/version"  // version metric
	"k8s.io/kubernetes/cmd/kube-controller-manager/app"
)

func main() {
	os.Exit(cli.Run(app.NewControllerManagerCommand()))
}
