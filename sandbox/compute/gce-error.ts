// Compute Engine's error vocabulary. Thrown by handlers, rendered as GCE's error JSON by the router
// (synchronous failures) or recorded on an Operation (asynchronous failures).

export class GceError extends Error {
  constructor(
    readonly httpStatus: number,
    readonly reason: string,
    message: string,
    /** `errors[].domain`: `global` for most, `usageLimits` for rate and quota limits. */
    readonly domain = 'global',
  ) {
    super(message);
    this.name = 'GceError';
  }

  toJSON() {
    return {
      error: {
        code: this.httpStatus,
        message: this.message,
        errors: [{ message: this.message, domain: this.domain, reason: this.reason }],
      },
    };
  }

  /** Operation error code for the same failure, as GCE reports it in `operation.error.errors[].code`. */
  get operationCode(): string {
    return OPERATION_CODES[this.reason] ?? 'INTERNAL_ERROR';
  }
}

const OPERATION_CODES: Record<string, string> = {
  notFound: 'RESOURCE_NOT_FOUND',
  alreadyExists: 'RESOURCE_ALREADY_EXISTS',
  invalid: 'INVALID_FIELD_VALUE',
  required: 'REQUIRED_FIELD_MISSING',
  resourceInUseByAnotherResource: 'RESOURCE_IN_USE_BY_ANOTHER_RESOURCE',
  resourceNotReady: 'RESOURCE_NOT_READY',
  conditionNotMet: 'CONDITION_NOT_MET',
};

export const HTTP_STATUS_TEXT: Record<number, string> = {
  400: 'BAD REQUEST',
  403: 'FORBIDDEN',
  404: 'NOT FOUND',
  409: 'CONFLICT',
  412: 'PRECONDITION FAILED',
  429: 'TOO MANY REQUESTS',
  500: 'INTERNAL SERVER ERROR',
  503: 'SERVICE UNAVAILABLE',
};

export const notFound = (path: string) => new GceError(404, 'notFound', `The resource '${path}' was not found`);

export const alreadyExists = (path: string) =>
  new GceError(409, 'alreadyExists', `The resource '${path}' already exists`);

export const invalid = (message: string) => new GceError(400, 'invalid', message);

export const invalidField = (field: string, value: string, why: string) =>
  invalid(`Invalid value for field '${field}': '${value}'. ${why}`);

export const required = (field: string) => new GceError(400, 'required', `Required field '${field}' not specified`);

export const resourceInUse = (kind: string, path: string, userPath: string) =>
  new GceError(
    400,
    'resourceInUseByAnotherResource',
    `The ${kind} resource '${path}' is already being used by '${userPath}'`,
  );

export const resourceNotReady = (path: string) =>
  new GceError(400, 'resourceNotReady', `The resource '${path}' is not ready`);

export const fingerprintMismatch = (what: string) =>
  new GceError(412, 'conditionNotMet', `Supplied fingerprint does not match current ${what} fingerprint.`);

export const NAME_PATTERN = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;

/** Names of resources follow RFC 1035, at most 63 characters. */
export function checkName(name: string, field = 'resource.name'): void {
  if (name.length === 0) throw required(field);
  if (name.length > 63 || !NAME_PATTERN.test(name)) {
    throw invalidField(field, name, "Must be a match of regex '(?:[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?)'");
  }
}
