/** Per-task networking on one host: the public API of src/runtime/network. */
export { createNetworkManager, type NetworkManager, type ReattachReport } from './manager.ts';
export {
  type NetworkManagerOptions, type NetworkConfig, NetworkConfigError,
  DEFAULT_BRIDGE_NAME, DEFAULT_BRIDGE_SUBNET, DEFAULT_VPC_BRIDGE_NAME, DEFAULT_VPC_SUBNET, DYNAMIC_PORT_FIRST, DYNAMIC_PORT_LAST,
} from './config.ts';
export type {
  TaskNetworkRequest, TaskNetwork, ContainerNetwork, NetworkBinding, EniAttachment, TaskNetworkInterface, Isolation, Protocol,
} from './types.ts';
export { eniAttachment, privateDnsName, type EniFacts } from './report.ts';
export { hostPortsInUse } from './host-ports.ts';
export { NetworkRequestError } from './request.ts';
export { ExhaustedError, HostPortConflictError, TaskConflictError } from './allocate.ts';
export { MissingToolError, ToolError } from './tools.ts';
