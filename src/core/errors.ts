/**
 * The one error catalog. Every error a Berth API can answer with is named here, with
 * the HTTP status AWS uses for it and the Kubernetes `Status` reason it maps to.
 * Protocol adapters shape an {@link ApiError} into their wire format; nothing else
 * decides a status code.
 */

interface CatalogEntry {
  /** HTTP status of the AWS JSON/Query error response. */
  readonly status: number;
  /** Kubernetes `Status.reason` for the same condition. */
  readonly kube: KubeReason;
}

type KubeReason = 'BadRequest' | 'NotFound' | 'AlreadyExists' | 'Conflict' | 'Forbidden' | 'Unauthorized' | 'Invalid' | 'InternalError' | 'TooManyRequests' | 'MethodNotAllowed';

const entry = (status: number, kube: KubeReason): CatalogEntry => ({ status, kube });

export const catalog = {
  // Protocol-level (every AWS JSON service).
  SerializationException: entry(400, 'BadRequest'),
  UnknownOperationException: entry(400, 'BadRequest'),
  InvalidSignatureException: entry(403, 'Unauthorized'),
  IncompleteSignatureException: entry(400, 'Unauthorized'),
  MissingAuthenticationTokenException: entry(403, 'Unauthorized'),
  UnrecognizedClientException: entry(403, 'Unauthorized'),
  RequestExpired: entry(400, 'Unauthorized'),
  ExpiredTokenException: entry(400, 'Unauthorized'),
  ValidationException: entry(400, 'Invalid'),
  InternalFailure: entry(500, 'InternalError'),
  ThrottlingException: entry(400, 'TooManyRequests'),
  // Protocol-level (Query and EC2 services): an Action the service does not have.
  InvalidAction: entry(400, 'BadRequest'),
  // Protocol-level (Query services, STS's words): a signature or session token that does not hold.
  IncompleteSignature: entry(400, 'Unauthorized'),
  InvalidClientTokenId: entry(403, 'Unauthorized'),
  ExpiredToken: entry(400, 'Unauthorized'),
  SignatureDoesNotMatch: entry(403, 'Unauthorized'),
  // AWS STS.
  AccessDenied: entry(403, 'Forbidden'),
  ValidationError: entry(400, 'Invalid'),
  // Amazon ECS.
  AccessDeniedException: entry(400, 'Forbidden'),
  ClientException: entry(400, 'BadRequest'),
  InvalidParameterException: entry(400, 'Invalid'),
  ServerException: entry(500, 'InternalError'),
  ClusterNotFoundException: entry(400, 'NotFound'),
  /** ExecuteCommand: the task's agent is not connected, so no session can reach the container. */
  TargetNotConnectedException: entry(400, 'Conflict'),
  ClusterContainsContainerInstancesException: entry(400, 'Conflict'),
  ClusterContainsServicesException: entry(400, 'Conflict'),
  ClusterContainsTasksException: entry(400, 'Conflict'),
  ClusterContainsCapacityProviderException: entry(400, 'Conflict'),
  ResourceNotFoundException: entry(400, 'NotFound'),
  ResourceInUseException: entry(400, 'Conflict'),
  LimitExceededException: entry(400, 'Forbidden'),
  TargetNotFoundException: entry(400, 'NotFound'),
  AttributeLimitExceededException: entry(400, 'Invalid'),
  ServiceNotFoundException: entry(400, 'NotFound'),
  ServiceNotActiveException: entry(400, 'Conflict'),
  TaskSetNotFoundException: entry(400, 'NotFound'),
  PlatformUnknownException: entry(400, 'Invalid'),
  UpdateInProgressException: entry(400, 'Conflict'),
  NamespaceNotFoundException: entry(400, 'NotFound'),
  ServiceDeploymentNotFoundException: entry(400, 'NotFound'),
  ConflictException: entry(400, 'Conflict'),
  UnsupportedFeatureException: entry(400, 'BadRequest'),
  // Amazon ECR.
  RepositoryNotFoundException: entry(400, 'NotFound'),
  RepositoryAlreadyExistsException: entry(400, 'AlreadyExists'),
  RepositoryNotEmptyException: entry(400, 'Conflict'),
  ImageNotFoundException: entry(400, 'NotFound'),
  ImageAlreadyExistsException: entry(400, 'AlreadyExists'),
  ImageTagAlreadyExistsException: entry(400, 'AlreadyExists'),
  ImageDigestDoesNotMatchException: entry(400, 'Invalid'),
  LayersNotFoundException: entry(400, 'NotFound'),
  LayerInaccessibleException: entry(400, 'NotFound'),
  LifecyclePolicyNotFoundException: entry(400, 'NotFound'),
  RepositoryPolicyNotFoundException: entry(400, 'NotFound'),
  TooManyTagsException: entry(400, 'Invalid'),
  InvalidTagParameterException: entry(400, 'Invalid'),
  ReferencedImagesNotFoundException: entry(400, 'NotFound'),
  UploadNotFoundException: entry(400, 'NotFound'),
  InvalidLayerPartException: entry(400, 'Invalid'),
  InvalidLayerException: entry(400, 'Invalid'),
  LayerAlreadyExistsException: entry(400, 'AlreadyExists'),
  LayerPartTooSmallException: entry(400, 'Invalid'),
  EmptyUploadException: entry(400, 'Invalid'),
  LifecyclePolicyPreviewNotFoundException: entry(400, 'NotFound'),
  LifecyclePolicyPreviewInProgressException: entry(400, 'Conflict'),
  KmsException: entry(400, 'BadRequest'),
  // Amazon CloudWatch Logs.
  ResourceAlreadyExistsException: entry(400, 'AlreadyExists'),
  OperationAbortedException: entry(400, 'Conflict'),
  ServiceUnavailableException: entry(500, 'InternalError'),
  InvalidOperationException: entry(400, 'BadRequest'),
  // Amazon EKS (REST-JSON: its door answers each with the status of EKS's model, 404 for
  // ResourceNotFoundException, 409 for ResourceInUseException; these are the JSON defaults).
  InvalidRequestException: entry(400, 'BadRequest'),
  ResourceLimitExceededException: entry(400, 'Forbidden'),
  BadRequestException: entry(400, 'BadRequest'),
  NotFoundException: entry(404, 'NotFound'),
  InvalidStateException: entry(400, 'Conflict'),
} as const satisfies Record<string, CatalogEntry>;

export type ErrorCode = keyof typeof catalog;

/**
 * An error a client caused or should see. `code` is the AWS `__type`; the message says
 * what was wrong and how to fix it.
 */
export class ApiError extends Error {
  readonly code: ErrorCode;
  /** Members the exception's shape has besides `message` (ECS ConflictException: `resourceIds`). */
  readonly members: Readonly<Record<string, unknown>>;
  constructor(code: ErrorCode, message: string, members: Readonly<Record<string, unknown>> = {}) {
    super(message);
    this.name = code;
    this.code = code;
    this.members = members;
  }
  get status(): number {
    return catalog[this.code].status;
  }
  get kubeReason(): KubeReason {
    return catalog[this.code].kube;
  }
}

/** Shorthand used throughout the domain: `fail('ClientException', '...')`. */
export function fail(code: ErrorCode, message: string): never {
  throw new ApiError(code, message);
}
