/**
 * The Kubernetes OpenAPI vendor extensions that strategic merge patch and server-side apply
 * need, which kubernetes-models (the source of the definitions, see gen-kube-schemas.ts) does
 * not carry: its type declarations keep names, types, required fields and descriptions but drop
 * the `x-kubernetes-*` keys. These are facts of the Kubernetes API types (the `patchStrategy`,
 * `patchMergeKey`, `+listType`, `+listMapKey`, `+mapType`/`+structType` markers on the fields
 * of k8s.io/api and apimachinery), listed for the kinds Berth serves and their closure.
 *
 * Per definition, per property (`.` = the definition itself). A list with neither a list type
 * nor a merge strategy here is atomic, as the API server treats untagged built-in lists.
 */
export type Extensions = Record<string, unknown>;

const merge = (key: string, mapKeys: string[] = [key], strategy = 'merge'): Extensions => ({
  'x-kubernetes-list-map-keys': mapKeys,
  'x-kubernetes-list-type': 'map',
  'x-kubernetes-patch-merge-key': key,
  'x-kubernetes-patch-strategy': strategy,
});
const mergeAtomic = (key: string): Extensions => ({
  'x-kubernetes-list-type': 'atomic',
  'x-kubernetes-patch-merge-key': key,
  'x-kubernetes-patch-strategy': 'merge',
});
const set: Extensions = { 'x-kubernetes-list-type': 'set', 'x-kubernetes-patch-strategy': 'merge' };
const atomic: Extensions = { 'x-kubernetes-list-type': 'atomic' };
const atomicMap: Extensions = { 'x-kubernetes-map-type': 'atomic' };
const retainKeys: Extensions = { 'x-kubernetes-patch-strategy': 'retainKeys' };

const core = 'io.k8s.api.core.v1.';
const meta = 'io.k8s.apimachinery.pkg.apis.meta.v1.';

export const extensions: Record<string, Record<string, Extensions>> = {
  [`${meta}ObjectMeta`]: { finalizers: set, ownerReferences: merge('uid'), managedFields: atomic },
  [`${meta}OwnerReference`]: { '.': atomicMap },
  [`${meta}LabelSelector`]: { '.': atomicMap, matchExpressions: atomic },
  [`${meta}LabelSelectorRequirement`]: { values: atomic },
  [`${meta}StatusDetails`]: { causes: atomic },
  [`${meta}DeleteOptions`]: { dryRun: atomic },
  [`${meta}APIResourceList`]: { resources: atomic },
  [`${meta}APIResource`]: { categories: atomic, shortNames: atomic },
  [`${meta}APIGroupList`]: { groups: atomic },
  [`${meta}APIGroup`]: { versions: atomic, serverAddressByClientCIDRs: atomic },
  [`${meta}APIVersions`]: { versions: atomic, serverAddressByClientCIDRs: atomic },

  [`${core}PodSpec`]: {
    volumes: merge('name', ['name'], 'merge,retainKeys'),
    initContainers: merge('name'),
    containers: merge('name'),
    ephemeralContainers: merge('name'),
    nodeSelector: atomicMap,
    imagePullSecrets: merge('name'),
    hostAliases: merge('ip'),
    tolerations: atomic,
    readinessGates: atomic,
    topologySpreadConstraints: merge('topologyKey', ['topologyKey', 'whenUnsatisfiable']),
    schedulingGates: merge('name'),
    resourceClaims: merge('name', ['name'], 'merge,retainKeys'),
  },
  [`${core}Container`]: {
    command: atomic, args: atomic, envFrom: atomic, resizePolicy: atomic,
    ports: merge('containerPort', ['containerPort', 'protocol']),
    env: merge('name'),
    volumeMounts: merge('mountPath'),
    volumeDevices: merge('devicePath'),
  },
  [`${core}EphemeralContainer`]: {
    command: atomic, args: atomic, envFrom: atomic, resizePolicy: atomic,
    ports: merge('containerPort', ['containerPort', 'protocol']),
    env: merge('name'),
    volumeMounts: merge('mountPath'),
    volumeDevices: merge('devicePath'),
  },
  [`${core}PodStatus`]: {
    conditions: merge('type'),
    podIPs: merge('ip'),
    hostIPs: mergeAtomic('ip'),
    containerStatuses: atomic, initContainerStatuses: atomic, ephemeralContainerStatuses: atomic,
    resourceClaimStatuses: merge('name', ['name'], 'merge,retainKeys'),
  },
  // Defaults of list-map key fields: apply names an item that omits them by the default.
  [`${core}ContainerPort`]: { protocol: { default: 'TCP' } },
  [`${core}ServicePort`]: { protocol: { default: 'TCP' } },
  [`${core}ResourceRequirements`]: { claims: { 'x-kubernetes-list-map-keys': ['name'], 'x-kubernetes-list-type': 'map' } },
  [`${core}NodeSelector`]: { '.': atomicMap, nodeSelectorTerms: atomic },
  [`${core}NodeSelectorTerm`]: { '.': atomicMap, matchExpressions: atomic, matchFields: atomic },
  [`${core}NodeSelectorRequirement`]: { values: atomic },
  [`${core}NodeAffinity`]: { preferredDuringSchedulingIgnoredDuringExecution: atomic },
  [`${core}PodAffinity`]: { requiredDuringSchedulingIgnoredDuringExecution: atomic, preferredDuringSchedulingIgnoredDuringExecution: atomic },
  [`${core}PodAntiAffinity`]: { requiredDuringSchedulingIgnoredDuringExecution: atomic, preferredDuringSchedulingIgnoredDuringExecution: atomic },
  [`${core}PodAffinityTerm`]: { namespaces: atomic, matchLabelKeys: atomic, mismatchLabelKeys: atomic },
  [`${core}TopologySpreadConstraint`]: { matchLabelKeys: atomic },
  [`${core}Capabilities`]: { add: atomic, drop: atomic },
  [`${core}ExecAction`]: { command: atomic },
  [`${core}HTTPGetAction`]: { httpHeaders: atomic },
  [`${core}PodDNSConfig`]: { nameservers: atomic, searches: atomic, options: atomic },
  [`${core}ConfigMapVolumeSource`]: { items: atomic },
  [`${core}SecretVolumeSource`]: { items: atomic },
  [`${core}ProjectedVolumeSource`]: { sources: atomic },
  [`${core}DownwardAPIVolumeSource`]: { items: atomic },
  [`${core}ConfigMapProjection`]: { items: atomic },
  [`${core}SecretProjection`]: { items: atomic },
  [`${core}DownwardAPIProjection`]: { items: atomic },
  [`${core}ObjectFieldSelector`]: { '.': atomicMap },
  [`${core}ResourceFieldSelector`]: { '.': atomicMap },
  [`${core}ConfigMapKeySelector`]: { '.': atomicMap },
  [`${core}SecretKeySelector`]: { '.': atomicMap },
  [`${core}LocalObjectReference`]: { '.': atomicMap },
  [`${core}PodSecurityContext`]: { supplementalGroups: atomic, sysctls: atomic },
  [`${core}ServiceSpec`]: {
    ports: merge('port', ['port', 'protocol']),
    selector: atomicMap,
    clusterIPs: atomic, externalIPs: atomic, ipFamilies: atomic, loadBalancerSourceRanges: atomic,
  },
  [`${core}ServiceStatus`]: { conditions: merge('type') },
  [`${core}LoadBalancerStatus`]: { ingress: atomic },
  [`${core}LoadBalancerIngress`]: { ports: atomic },
  [`${core}NodeSpec`]: { podCIDRs: set, taints: atomic },
  [`${core}NodeStatus`]: {
    conditions: merge('type'),
    addresses: { 'x-kubernetes-patch-merge-key': 'type', 'x-kubernetes-patch-strategy': 'merge' },
    images: atomic, volumesInUse: atomic, volumesAttached: atomic,
  },
  [`${core}ContainerImage`]: { names: atomic },
  [`${core}NamespaceSpec`]: { finalizers: atomic },
  [`${core}NamespaceStatus`]: { conditions: merge('type') },
  [`${core}ServiceAccount`]: { secrets: mergeAtomic('name'), imagePullSecrets: atomic },
  [`${core}Endpoints`]: { subsets: atomic },
  [`${core}EndpointSubset`]: { addresses: atomic, notReadyAddresses: atomic, ports: atomic },
  [`${core}ObjectReference`]: { '.': atomicMap },
  'io.k8s.api.discovery.v1.EndpointSlice': { endpoints: atomic, ports: atomic },
  'io.k8s.api.discovery.v1.Endpoint': { addresses: set },
  'io.k8s.api.apps.v1.DeploymentSpec': { strategy: retainKeys },
  'io.k8s.api.apps.v1.DeploymentStatus': { conditions: merge('type') },
  'io.k8s.api.apps.v1.ReplicaSetStatus': { conditions: merge('type') },
  'io.k8s.api.apps.v1.DaemonSetStatus': { conditions: merge('type') },
  'io.k8s.api.batch.v1.JobStatus': { conditions: mergeAtomic('type') },
  'io.k8s.api.batch.v1.PodFailurePolicy': { rules: atomic },
  'io.k8s.api.batch.v1.PodFailurePolicyRule': { onPodConditions: atomic },
  'io.k8s.api.batch.v1.PodFailurePolicyOnExitCodesRequirement': { values: set },
  'io.k8s.api.batch.v1.SuccessPolicy': { rules: atomic },
  'io.k8s.api.authentication.v1.TokenRequestSpec': { audiences: atomic },
};
