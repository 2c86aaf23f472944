// Compute Engine's error bodies as Google documents and sends them, for the table-driven test of the
// mapping (gce-errors.test.ts) and the emulator's fault injection (sandbox/chaos/compute-faults.ts).
// Sources: HTTP answers follow https://cloud.google.com/compute/docs/api/how-tos/api-requests-responses
// (`error.code`, `error.message`, `error.errors[].{domain,reason,message}`); rate quotas answer 403
// rateLimitExceeded (https://cloud.google.com/compute/api-quota); failed Operations carry
// `error.errors[].{code,message,errorDetails}` and `httpErrorStatusCode` (Operation resource reference, with
// `errorDetails[].quotaInfo` = QuotaExceededInfo); stockout words from
// https://cloud.google.com/compute/docs/resource-error; quota words from
// https://cloud.google.com/compute/resource-usage and https://cloud.google.com/docs/quotas/troubleshoot.

export const PROJECT = 'my-project';
export const ZONE = 'us-central1-a';
export const REGION = 'us-central1';

export const GCE_HTTP_ERRORS = {
  rateLimitExceeded: {
    error: {
      code: 403,
      message: 'Rate Limit Exceeded',
      errors: [{ message: 'Rate Limit Exceeded', domain: 'usageLimits', reason: 'rateLimitExceeded' }],
    },
  },
  userRateLimitExceeded: {
    error: {
      code: 403,
      message: 'User Rate Limit Exceeded',
      errors: [{ message: 'User Rate Limit Exceeded', domain: 'usageLimits', reason: 'userRateLimitExceeded' }],
    },
  },
  tooManyRequests: {
    error: {
      code: 429,
      message:
        "Quota exceeded for quota metric 'Queries' and limit 'Queries per minute' of service 'compute.googleapis.com' for consumer 'project_number:123456789012'.",
      errors: [
        {
          message:
            "Quota exceeded for quota metric 'Queries' and limit 'Queries per minute' of service 'compute.googleapis.com' for consumer 'project_number:123456789012'.",
          domain: 'global',
          reason: 'rateLimitExceeded',
        },
      ],
      status: 'RESOURCE_EXHAUSTED',
      details: [
        {
          '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
          reason: 'RATE_LIMIT_EXCEEDED',
          domain: 'googleapis.com',
          metadata: {
            service: 'compute.googleapis.com',
            quota_metric: 'compute.googleapis.com/default',
            quota_limit: 'defaultPerMinutePerProject',
            consumer: 'projects/123456789012',
          },
        },
      ],
    },
  },
  backendError: {
    error: {
      code: 503,
      message: "Internal error. Please try again or contact Google Support. (Code: '-1234567890123456789')",
      errors: [
        {
          message: "Internal error. Please try again or contact Google Support. (Code: '-1234567890123456789')",
          domain: 'global',
          reason: 'backendError',
        },
      ],
    },
  },
  internalError: {
    error: {
      code: 500,
      message: "Internal error. Please try again or contact Google Support. (Code: '5A1B2C3D4E5F6.A1B2C3D.4E5F6A7B')",
      errors: [
        {
          message:
            "Internal error. Please try again or contact Google Support. (Code: '5A1B2C3D4E5F6.A1B2C3D.4E5F6A7B')",
          domain: 'global',
          reason: 'internalError',
        },
      ],
    },
  },
  resourceNotReady: {
    error: {
      code: 400,
      message: `The resource 'projects/${PROJECT}/zones/${ZONE}/disks/kubernetes-master-abc-pd' is not ready`,
      errors: [
        {
          message: `The resource 'projects/${PROJECT}/zones/${ZONE}/disks/kubernetes-master-abc-pd' is not ready`,
          domain: 'global',
          reason: 'resourceNotReady',
        },
      ],
    },
  },
  quotaExceeded: {
    error: {
      code: 403,
      message: `Quota 'CPUS' exceeded.  Limit: 24.0 in region ${REGION}.`,
      errors: [
        {
          message: `Quota 'CPUS' exceeded.  Limit: 24.0 in region ${REGION}.`,
          domain: 'usageLimits',
          reason: 'quotaExceeded',
        },
      ],
    },
  },
  forbiddenPermission: {
    error: {
      code: 403,
      message: `Required 'compute.instances.create' permission for 'projects/${PROJECT}/zones/${ZONE}/instances/kubernetes-master-abc'`,
      errors: [
        {
          message: `Required 'compute.instances.create' permission for 'projects/${PROJECT}/zones/${ZONE}/instances/kubernetes-master-abc'`,
          domain: 'global',
          reason: 'forbidden',
        },
      ],
    },
  },
  forbidden: {
    error: {
      code: 403,
      message: 'The caller does not have permission',
      errors: [{ message: 'The caller does not have permission', domain: 'global', reason: 'forbidden' }],
    },
  },
  notFound: {
    error: {
      code: 404,
      message: `The resource 'projects/${PROJECT}/zones/${ZONE}/instances/gone' was not found`,
      errors: [
        {
          message: `The resource 'projects/${PROJECT}/zones/${ZONE}/instances/gone' was not found`,
          domain: 'global',
          reason: 'notFound',
        },
      ],
    },
  },
  alreadyExists: {
    error: {
      code: 409,
      message: `The resource 'projects/${PROJECT}/zones/${ZONE}/disks/kubernetes-master-abc-pd' already exists`,
      errors: [
        {
          message: `The resource 'projects/${PROJECT}/zones/${ZONE}/disks/kubernetes-master-abc-pd' already exists`,
          domain: 'global',
          reason: 'alreadyExists',
        },
      ],
    },
  },
} as const;

/** DONE Operations that failed, as operations.get / wait answer them. */
export const GCE_FAILED_OPERATIONS = {
  zoneResourcePoolExhausted: {
    kind: 'compute#operation',
    name: 'operation-1764670000000-5f0c3c2e8d7a4-1a2b3c4d-5e6f7a8b',
    operationType: 'insert',
    status: 'DONE',
    zone: `https://www.googleapis.com/compute/v1/projects/${PROJECT}/zones/${ZONE}`,
    error: {
      errors: [
        {
          code: 'ZONE_RESOURCE_POOL_EXHAUSTED',
          message: `The zone 'projects/${PROJECT}/zones/${ZONE}' does not have enough resources available to fulfill the request.  Try a different zone, or try again later.`,
        },
      ],
    },
    httpErrorStatusCode: 503,
    httpErrorMessage: 'SERVICE UNAVAILABLE',
  },
  zoneResourcePoolExhaustedWithDetails: {
    kind: 'compute#operation',
    name: 'operation-1764670000001-5f0c3c2e8d7a4-1a2b3c4d-5e6f7a8c',
    operationType: 'insert',
    status: 'DONE',
    zone: `https://www.googleapis.com/compute/v1/projects/${PROJECT}/zones/${ZONE}`,
    error: {
      errors: [
        {
          code: 'ZONE_RESOURCE_POOL_EXHAUSTED_WITH_DETAILS',
          message: `The zone 'projects/${PROJECT}/zones/${ZONE}' does not have enough resources available to fulfill the request.  '(resource type:compute)'.`,
        },
      ],
    },
    httpErrorStatusCode: 503,
    httpErrorMessage: 'SERVICE UNAVAILABLE',
  },
  quotaExceeded: {
    kind: 'compute#operation',
    name: 'operation-1764670000002-5f0c3c2e8d7a4-1a2b3c4d-5e6f7a8d',
    operationType: 'insert',
    status: 'DONE',
    zone: `https://www.googleapis.com/compute/v1/projects/${PROJECT}/zones/${ZONE}`,
    error: {
      errors: [
        {
          code: 'QUOTA_EXCEEDED',
          message: `Quota 'SSD_TOTAL_GB' exceeded.  Limit: 500.0 in region ${REGION}.`,
          errorDetails: [
            {
              quotaInfo: {
                metricName: 'compute.googleapis.com/ssd_total_storage',
                limitName: 'SSD-TOTAL-GB-per-project-region',
                dimensions: { region: REGION },
                limit: 500,
              },
            },
          ],
        },
      ],
    },
    httpErrorStatusCode: 403,
    httpErrorMessage: 'FORBIDDEN',
  },
  resourceNotReady: {
    kind: 'compute#operation',
    name: 'operation-1764670000003-5f0c3c2e8d7a4-1a2b3c4d-5e6f7a8e',
    operationType: 'insert',
    status: 'DONE',
    zone: `https://www.googleapis.com/compute/v1/projects/${PROJECT}/zones/${ZONE}`,
    error: {
      errors: [
        {
          code: 'RESOURCE_NOT_READY',
          message: `The resource 'projects/${PROJECT}/zones/${ZONE}/disks/kubernetes-master-abc-pd' is not ready`,
        },
      ],
    },
    httpErrorStatusCode: 400,
    httpErrorMessage: 'BAD REQUEST',
  },
} as const;
