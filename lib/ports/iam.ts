// Which IAM permissions Quorum's own identity holds on a project (Resource Manager's testIamPermissions).

export interface IamPort {
  /**
   * The subset of `permissions` the caller holds on `project`. Rejects with a ProviderError when the
   * question cannot be answered (no such project or no access to it, the API unreachable).
   */
  heldPermissions(project: string, permissions: readonly string[]): Promise<string[]>;
}
