/** Moved to src/aws/ (live IAM produces the same shape); re-exported so callers keep working. */
export {
  isAuthorizationDetails,
  type RawRoleDefinition,
  rolesFromAuthorizationDetails,
} from '../aws/authorization-details.js'
