/**
 * IAM principals as Brook sees them. With the stage's `auth: 'iam'`, API
 * Gateway checks the SigV4 signature and passes the caller's ARN in
 * `requestContext.authorizer.iam.userArn`; the caller's rights are those of
 * the keys whose `principal` is that ARN.
 */

/** `arn:aws:sts::123456789012:assumed-role/Role/session` */
const ASSUMED_ROLE_ARN = /^arn:(aws[a-z-]*):sts::(\d{12}):assumed-role\/([\w+=,.@-]+)\/[^/]+$/;
/** `arn:aws:iam::123456789012:role/some/path/Role` */
const ROLE_ARN = /^arn:(aws[a-z-]*):iam::(\d{12}):role\/(?:[^/]+\/)*([\w+=,.@-]+)$/;

/**
 * The principal a grant is matched on: an assumed-role session becomes its
 * role (`arn:aws:iam::ACCT:role/ROLE`), and a role ARN loses its path (an
 * assumed-role ARN does not carry it; role names are unique in an account
 * whatever their path). Any other ARN (an IAM user, say) is kept as it is.
 */
export function normalizeIamPrincipal(arn: string): string {
  const assumed = ASSUMED_ROLE_ARN.exec(arn) ?? ROLE_ARN.exec(arn);
  return assumed ? `arn:${assumed[1]}:iam::${assumed[2]}:role/${assumed[3]}` : arn;
}

/** Whether a key's `principal` names an IAM principal (and so gets a grant IAM callers are matched on). */
export function isIamPrincipal(principal: string): boolean {
  return principal.startsWith('arn:');
}
