/**
 * Request fields the action mapper reads (PassRole targets, tag-on-create, object versions ...).
 * Every source projects `requestParameters` through these JSON paths, so only these fields are
 * carried from the logs to the mapper; add a path here when a mapping rule needs a new field.
 *
 * Keep each value small and low in cardinality: sources group calls by the distinct combinations
 * of these values, so a path that yields a whole request body (or a per-call id) multiplies rows.
 * Paths use only `$.a.b`, `$.a[0].b` and, for member names with hyphens (S3 request headers such
 * as `x-amz-acl`, which CloudTrail writes into requestParameters as they were sent), `$."x-amz-acl"`.
 * DuckDB reads all three; Trino (Athena) wants the quoted form as `$["x-amz-acl"]`: see
 * trinoJsonPath. Keys are as CloudTrail writes request members; the mapper knows them by these keys.
 */
export const REQUEST_DETAIL_PATHS: Readonly<Record<string, string>> = {
  // --- iam:PassRole targets (role ARN or name), see src/usage/overrides/dependent.json ---
  iamInstanceProfile: '$.iamInstanceProfile', // EC2 RunInstances, AssociateIamInstanceProfile: {arn}|{name}
  role: '$.role', // Lambda CreateFunction/UpdateFunctionConfiguration, Glue CreateJob, ECS CreateService
  roleArn: '$.roleArn', // Step Functions, SageMaker, EKS CreateCluster, Logs PutSubscriptionFilter ...
  roleARN: '$.roleARN', // CloudFormation CreateStack/UpdateStack/CreateChangeSet
  roleArns: '$.roleArns', // IAM Roles Anywhere CreateProfile
  taskRoleArn: '$.taskRoleArn', // ECS RegisterTaskDefinition
  executionRoleArn: '$.executionRoleArn', // ECS RegisterTaskDefinition, Budgets CreateBudgetAction
  overrideTaskRoleArn: '$.overrides.taskRoleArn', // ECS RunTask/StartTask overrides
  overrideExecutionRoleArn: '$.overrides.executionRoleArn',
  serviceRole: '$.serviceRole', // CodeBuild CreateProject, EMR RunJobFlow (role name)
  serviceRoleArn: '$.serviceRoleArn', // SSM SendCommand notifications
  serviceRoleOverride: '$.serviceRoleOverride', // CodeBuild StartBuild
  nodeRole: '$.nodeRole', // EKS CreateNodegroup
  podExecutionRoleArn: '$.podExecutionRoleArn', // EKS CreateFargateProfile
  monitoringRoleArn: '$.monitoringRoleArn', // RDS CreateDBInstance enhanced monitoring
  cloudWatchLogsRoleArn: '$.cloudWatchLogsRoleArn', // CloudTrail CreateTrail/UpdateTrail
  replicationRole: '$.ReplicationConfiguration.Role', // S3 PutBucketReplication (XML body)
  serviceLinkedRoleARN: '$.serviceLinkedRoleARN', // Auto Scaling CreateAutoScalingGroup
  jobFlowRole: '$.jobFlowRole', // EMR RunJobFlow: an instance profile name
  launchTemplate: '$.launchTemplate', // RunInstances from a template: its profile is not in the event
  // --- tag-on-create: presence is what matters ---
  tags: '$.tags',
  tagSpecificationSet: '$.tagSpecificationSet.items[0].resourceType', // EC2: small, says "tags given"
  tagsList: '$.tagsList', // CloudTrail CreateTrail
  Tags: '$.Tags', // services that log request members in PascalCase (FSx, SageMaker ...)
  tagSpecifications: '$.tagSpecifications', // non-EC2 services that take TagSpecifications
  TagSpecifications: '$.TagSpecifications',
  // --- S3 request headers that need a second permission (S3 API Reference, "Permissions") ---
  'x-amz-acl': '$."x-amz-acl"', // canned ACL: s3:PutBucketAcl / s3:PutObjectAcl unless "private"
  'x-amz-grant-full-control': '$."x-amz-grant-full-control"', // explicit grants: same
  'x-amz-grant-read': '$."x-amz-grant-read"',
  'x-amz-grant-read-acp': '$."x-amz-grant-read-acp"',
  'x-amz-grant-write': '$."x-amz-grant-write"',
  'x-amz-grant-write-acp': '$."x-amz-grant-write-acp"',
  'x-amz-bucket-object-lock-enabled': '$."x-amz-bucket-object-lock-enabled"', // CreateBucket
  'x-amz-object-ownership': '$."x-amz-object-ownership"', // CreateBucket: ownership controls
  'x-amz-tagging': '$."x-amz-tagging"', // PutObject/CopyObject/CreateMultipartUpload: object tags
  'x-amz-object-lock-mode': '$."x-amz-object-lock-mode"', // retention (the date is per call: not read)
  'x-amz-object-lock-legal-hold': '$."x-amz-object-lock-legal-hold"', // legal hold ON/OFF
  // --- request shapes that decide which action applies ---
  versionId: '$.versionId', // S3 object version => s3:*Version* actions
  bucketName: '$.bucketName', // S3: bucket-level vs account-level (S3 Control) public access block
  statement: '$.statement', // DynamoDB PartiQL ExecuteStatement
  statements: '$.statements', // DynamoDB PartiQL BatchExecuteStatement
  transactStatements: '$.transactStatements', // DynamoDB PartiQL ExecuteTransaction
  sourceKeyId: '$.sourceKeyId', // KMS ReEncrypt => kms:ReEncryptFrom
  destinationKeyId: '$.destinationKeyId', // KMS ReEncrypt => kms:ReEncryptTo
  layers: '$.layers', // Lambda CreateFunction/UpdateFunctionConfiguration => lambda:GetLayerVersion
  sourceIdentity: '$.sourceIdentity', // STS AssumeRole => sts:SetSourceIdentity
}

/**
 * Applies REQUEST_DETAIL_PATHS to one raw `requestParameters` object, as the log sources do in
 * SQL; for in-memory sources and for the mapper when it is handed a whole record.
 */
export function projectRequestParameters(
  requestParameters: Readonly<Record<string, unknown>>,
): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [key, path] of Object.entries(REQUEST_DETAIL_PATHS)) {
    const value = readJsonPath(requestParameters, path)
    if (value !== undefined && value !== null) out[key] = value
  }
  return out
}

/** Segments of `$.a."b-c"[0].d`: member names and `[n]` indexes. */
function pathSegments(path: string): string[] {
  return (path.replace(/^\$\.?/, '').match(/"[^"]+"|[^.[\]"]+|\[\d+\]/g) ?? []).map((part) =>
    part.startsWith('"') ? part.slice(1, -1) : part,
  )
}

/** Reads `$.a.b[0].c` and `$."x-amz-acl"`, the only path forms REQUEST_DETAIL_PATHS uses. */
function readJsonPath(root: unknown, path: string): unknown {
  let current: unknown = root
  for (const part of pathSegments(path)) {
    if (current === null || typeof current !== 'object') return undefined
    const index = /^\[(\d+)\]$/.exec(part)?.[1]
    if (index === undefined) current = (current as Record<string, unknown>)[part]
    else current = Array.isArray(current) ? current[Number(index)] : undefined
  }
  return current
}

/**
 * A detail path in the form Trino's json_extract (Athena) accepts: a quoted member `."x-amz-acl"`
 * becomes `["x-amz-acl"]`, since Trino's dot notation takes letters, digits and `_` only.
 */
export function trinoJsonPath(path: string): string {
  return path.replace(/\."([^"]+)"/g, '["$1"]')
}

/**
 * The top-level request member a detail path starts with (`$.tags[0]` -> `tags`,
 * `$."x-amz-acl"` -> `x-amz-acl`): engines test for these keys in the raw text before
 * extracting anything, since most events carry none of them.
 */
export function topLevelKey(path: string): string | undefined {
  return /^\$\.(?:"([^"]+)"|([A-Za-z0-9_]+))/.exec(path)?.slice(1).find(Boolean)
}

/**
 * Detail values as JSON values. SQL engines may hand them over as JSON text (DuckDB's
 * json_extract returns `"instance"` with its quotes): such text is decoded here, once.
 */
export function decodeRequestDetails(
  details: Readonly<Record<string, unknown>>,
): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(details)) {
    out[key] = value
    if (typeof value === 'string' && /^\s*[[{"]/.test(value)) {
      try {
        out[key] = JSON.parse(value)
      } catch {
        // not JSON after all: keep the text
      }
    }
  }
  return out
}
