/**
 * Request fields the action mapper reads (PassRole targets, tag-on-create, object versions ...).
 * Every source projects `requestParameters` through these JSON paths, so only these fields are
 * carried from the logs to the mapper; add a path here when a mapping rule needs a new field.
 */
export const REQUEST_DETAIL_PATHS: Readonly<Record<string, string>> = {
  iamInstanceProfile: '$.iamInstanceProfile',
  role: '$.role',
  roleArn: '$.roleArn',
  taskRoleArn: '$.taskRoleArn',
  executionRoleArn: '$.executionRoleArn',
  tags: '$.tags',
  tagSpecificationSet: '$.tagSpecificationSet',
  versionId: '$.versionId',
  statement: '$.statement',
}
