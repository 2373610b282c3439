/**
 * CloudTrail `errorCode` values that mean "refused by authorization": such calls count in
 * `ApiCall.deniedCount`. The one place this list lives; every source binds it into its query.
 *
 * Why a closed list: a call counted as denied is evidence the principal did NOT exercise the
 * permission, so a wrong entry could make the planner drop a permission in real use. Each entry is
 * an authorization refusal as the service names it (the code differs by API protocol):
 * - `AccessDenied`: S3, IAM, STS and other query/REST-XML APIs.
 * - `AccessDeniedException`: JSON-protocol APIs (KMS, Lambda, DynamoDB, Secrets Manager, ...).
 * - `AccessDeniedForDependencyException`: Organizations, when a permission the call depends on
 *   (e.g. iam:CreateServiceLinkedRole) was refused.
 * - `UnauthorizedOperation`, `Client.UnauthorizedOperation`: EC2; CloudTrail prefixes EC2 client
 *   errors with `Client.`.
 * - `AuthorizationError`: SNS ("An error occurred (AuthorizationError) ... is not authorized to
 *   perform: sns:Subscribe", AWS re:Post knowledge center); `AuthorizationErrorException` is the
 *   same error as JSON-protocol SDKs name it.
 * The CIS "unauthorized API calls" metric filter (`AccessDenied*`, `*UnauthorizedOperation`)
 * matches the same family.
 *
 * Deliberately absent: authentication failures (`InvalidClientTokenId`, `SignatureDoesNotMatch`,
 * `ExpiredToken`: the caller was never identified) and `UnauthorizedException`, which some
 * services use for expired or invalid tokens rather than for a policy refusal.
 */
export const AUTHORIZATION_FAILURE_CODES: readonly string[] = [
  'AccessDenied',
  'AccessDeniedException',
  'AccessDeniedForDependencyException',
  'AuthorizationError',
  'AuthorizationErrorException',
  'Client.UnauthorizedOperation',
  'UnauthorizedOperation',
]
