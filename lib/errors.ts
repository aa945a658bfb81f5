import { constants } from 'node:os'

const { ENOENT } = constants.errno

/** Stable error codes: part of cocker's API. Prefix by domain. */
export type ErrorCode =
  | 'INVALID_ARGUMENT'
  | 'CONFIG_INVALID'
  | 'CONTAINER_NOT_FOUND'
  | 'FILE_NOT_FOUND'
  | 'CONTAINER_EXISTS'
  | 'CONTAINER_STATE_INVALID'
  | 'CONTAINER_LOCKED'
  | 'POD_NOT_FOUND'
  | 'POD_EXISTS'
  | 'POD_STATE_INVALID'
  | 'HELPER_NOT_FOUND'
  | 'HELPER_PROTOCOL_MISMATCH'
  | 'HELPER_DIED'
  | 'HELPER_FAILED'
  | 'HOOK_FAILED'
  | 'HEALTHCHECK_TIMEOUT'
  | 'RUNTIME_NOT_FOUND'
  | 'RUNTIME_FAILED'
  | 'USERNS_UNAVAILABLE'
  | 'IDMAP_FAILED'
  | 'CGROUP_FAILED'
  | 'SECCOMP_INVALID'
  | 'EXEC_NOT_FOUND'
  | 'EXEC_CANNOT_INVOKE'
  | 'NOT_SUPPORTED'
  | 'NETWORK_FAILED'
  | 'REGISTRY_UNREACHABLE'
  | 'REGISTRY_UNAUTHORIZED'
  | 'REGISTRY_BLOCKED'
  | 'REGISTRY_ERROR'
  | 'IMAGE_NOT_FOUND'
  | 'BLOB_NOT_FOUND'
  | 'BLOB_INVALID'
  | 'MANIFEST_INVALID'
  | 'PLATFORM_NOT_FOUND'
  | 'AUTH_FILE_INVALID'
  | 'IMAGE_IN_USE'
  | 'IMAGE_AMBIGUOUS'
  | 'IMAGE_MULTIPLE_NAMES'
  | 'TAG_NOT_FOUND'
  | 'LAYER_NOT_FOUND'
  | 'STORE_CORRUPT'
  | 'STORE_DAMAGED'
  | 'STORE_DRIVER_MISMATCH'
  | 'STORAGE_DRIVER_UNAVAILABLE'
  | 'ARCHIVE_INVALID'
  | 'ARCHIVE_UNSAFE'
  | 'ZSTD_UNAVAILABLE'
  | 'LAYER_INVALID'
  | 'LAYER_UNSAFE'
  | 'LAYER_ID_UNMAPPED'
  | 'NETWORK_NOT_FOUND'
  | 'NETWORK_EXISTS'
  | 'NETWORK_IN_USE'
  | 'NETWORK_FAILED'
  | 'ADDRESS_UNAVAILABLE'
  | 'VOLUME_NOT_FOUND'
  | 'VOLUME_EXISTS'
  | 'VOLUME_IN_USE'
  | 'AUTO_UPDATE_FAILED'

/** A user-reachable failure. `code` is stable API; `message` names the offending thing; `hint` says what to do. */
export class CockerError extends Error {
  override name = 'CockerError'
  readonly code: ErrorCode
  readonly hint?: string
  constructor(code: ErrorCode, message: string, opts: { hint?: string; cause?: unknown } = {}) {
    super(message, { cause: opts.cause })
    this.code = code
    this.hint = opts.hint
  }
}

/** The contained command could not be started. Carries errno from the helper's exec stage. */
export class ExecError extends CockerError {
  override name = 'ExecError'
  constructor(readonly errno: number, readonly path: string, message: string) {
    super(errno === ENOENT ? 'EXEC_NOT_FOUND' : 'EXEC_CANNOT_INVOKE', message)
  }
}

/** A bug in cocker. The CLI prints "please report" with version info. */
export class InternalError extends Error {
  override name = 'InternalError'
}
