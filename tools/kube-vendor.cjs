// Build input (tools/bundle.mjs): what the kube commands load from node_modules, bundled into
// dist/bundle/kube-vendor.cjs, one file that lib/kube/libs.ts requires when a kube command
// runs. Resolving and reading yaml's and kubernetes-models' ~200 modules one by one cost
// twice as long. Each kind's model (with its compiled schema) is set up at its first use.
module.exports = {
  yaml: require('yaml'),
  models: {
    ConfigMap: () => require('kubernetes-models/v1/ConfigMap').ConfigMap,
    DaemonSet: () => require('kubernetes-models/apps/v1/DaemonSet').DaemonSet,
    Deployment: () => require('kubernetes-models/apps/v1/Deployment').Deployment,
    Job: () => require('kubernetes-models/batch/v1/Job').Job,
    PersistentVolumeClaim: () => require('kubernetes-models/v1/PersistentVolumeClaim').PersistentVolumeClaim,
    Pod: () => require('kubernetes-models/v1/Pod').Pod,
    Secret: () => require('kubernetes-models/v1/Secret').Secret,
    Service: () => require('kubernetes-models/v1/Service').Service,
  },
}
