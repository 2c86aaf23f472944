// projects.get and projects.setCommonInstanceMetadata: the project-wide metadata (`ssh-keys`,
// `block-project-ssh-keys`, `enable-oslogin`, `enable-guest-attributes`, ...) that the metadata server
// serves under project/attributes/ and that the guest agent reads beside the instance's own.
import { param, parseBody, type Handler } from './api';
import type { Cloud } from './cloud';
import { fingerprintMismatch } from './gce-error';
import { checkMetadata, metadataBody } from './instances';
import { gceTimestamp, newFingerprint, projectLink, projectNumber, stableFingerprint } from './links';
import type { Instance, ProjectState } from './schemas';

type ProjectMetadata = NonNullable<ProjectState['commonInstanceMetadata']>;

/** The project's metadata; a project that never had any has none, with a fingerprint that stays put. */
export function projectMetadata(cloud: Cloud, project: string): ProjectMetadata {
  return (
    cloud.peekProject(project)?.commonInstanceMetadata ?? {
      kind: 'compute#metadata',
      fingerprint: stableFingerprint(`project-metadata:${project}`),
      items: [],
    }
  );
}

/**
 * Whether the instance's guest may write guest attributes: `enable-guest-attributes` TRUE in its own
 * metadata or, when it does not set the key, in the project's (the instance's value wins, as for GCE's
 * other boolean metadata keys).
 */
export function guestAttributesEnabled(cloud: Cloud, project: string, instance: Instance): boolean {
  const key = 'enable-guest-attributes';
  const value =
    instance.metadata.items.find((i) => i.key === key)?.value ??
    projectMetadata(cloud, project).items.find((i) => i.key === key)?.value;
  return value !== undefined && value.trim().toLowerCase() === 'true';
}

export const getProject: Handler = (cloud, req) => {
  const project = param(req, 'project');
  const metadata = projectMetadata(cloud, project);
  const number = projectNumber(project);
  return {
    kind: 'compute#project',
    id: number,
    // Projects exist on demand in the sandbox, so there is no real creation time: a fixed, plausible one.
    creationTimestamp: gceTimestamp(new Date('2020-01-01T00:00:00Z')),
    name: project,
    commonInstanceMetadata: {
      kind: metadata.kind,
      fingerprint: metadata.fingerprint,
      ...(metadata.items.length > 0 ? { items: metadata.items } : {}),
    },
    selfLink: projectLink(project),
    defaultServiceAccount: `${number}-compute@developer.gserviceaccount.com`,
    xpnProjectStatus: 'UNSPECIFIED_XPN_PROJECT_STATUS',
    defaultNetworkTier: 'PREMIUM',
    vmDnsSetting: 'ZONAL_ONLY',
  };
};

/** Replaces the project metadata; the fingerprint must be the current one (412 conditionNotMet otherwise). */
export const setCommonInstanceMetadata: Handler = (cloud, req) => {
  const project = param(req, 'project');
  const body = parseBody(metadataBody, req.body, 'resource');
  const current = projectMetadata(cloud, project);
  if (body.fingerprint !== current.fingerprint) throw fingerprintMismatch('common instance metadata');
  const items = checkMetadata(body.items ?? [], 'resource');
  cloud.project(project).commonInstanceMetadata = { kind: 'compute#metadata', fingerprint: newFingerprint(), items };
  return cloud.startOperation({
    project,
    scope: { global: true },
    operationType: 'compute.projects.setCommonInstanceMetadata',
    target: { selfLink: projectLink(project), id: projectNumber(project) },
  });
};
