import { z } from 'zod'

/**
 * The one description of scopedown's configuration (`scopedown.config.json`): shape, defaults and
 * the texts that document it. `scopedown.schema.json` is generated from it for editors.
 */

const accountId = z.string().regex(/^\d{12}$/, 'an AWS account ID is 12 digits')

const DuckDbSourceSchema = z
  .strictObject({
    type: z.literal('duckdb'),
    paths: z
      .array(z.string().min(1))
      .min(1)
      .describe(
        'Folders, files or globs of CloudTrail logs (S3 layout, JSON, JSON Lines, lookup-events output).',
      ),
  })
  .describe('Local CloudTrail files read with embedded DuckDB (the default).')

const partitionColumn = z
  .string()
  .regex(/^[A-Za-z0-9_]+$/, 'a partition column name is letters, digits and underscores')

const AthenaPartitionsSchema = z
  .strictObject({
    date: z
      .union([
        z
          .strictObject({
            column: partitionColumn.describe(
              "The date partition column (`timestamp` in AWS's partition-projection table).",
            ),
            format: z
              .literal('yyyy/MM/dd')
              .default('yyyy/MM/dd')
              .describe('Format of its string values: `yyyy/MM/dd`, as in the S3 key of the logs.'),
          })

          .describe(
            'One string date column (partition projection, `projection.<column>.type` date).',
          ),
        z
          .strictObject({
            year: partitionColumn.describe('The year partition column, e.g. `year` (2026).'),
            month: partitionColumn.describe('The month partition column, e.g. `month` (01-12).'),
            day: partitionColumn.describe('The day partition column, e.g. `day` (01-31).'),
          })

          .describe('Hive-style year, month and day columns (manually added partitions).'),
      ])
      .optional()
      .describe(
        'How the table is partitioned by the UTC day in the S3 key; the queries keep the days ' +
          'from the one before the window to two after its end (CloudTrail delivers late).',
      ),
    region: partitionColumn
      .optional()
      .describe('The region partition column, e.g. `region`; not filtered (all regions are read).'),
    account: partitionColumn
      .optional()
      .describe(
        'The account ID partition column, e.g. `account`; filtered when the run names accounts.',
      ),
  })

  .describe(
    'Partition columns of the CloudTrail table, as in its PARTITIONED BY clause; names are ' +
      'letters, digits and underscores.',
  )

const AthenaSourceSchema = z
  .strictObject({
    type: z.literal('athena'),
    region: z.string(),
    database: z.string(),
    table: z
      .string()
      .describe('The CloudTrail table (partitioned by account, region and date works best).'),
    workgroup: z.string().default('primary'),
    outputLocation: z
      .string()
      .optional()
      .describe('s3:// URL for query results, if the workgroup has none.'),
    partitions: AthenaPartitionsSchema.optional().describe(
      "The table's partition columns, so each query reads only the partitions that can hold " +
        'events of the window (and of the accounts asked for); default: none, every run scans ' +
        'the whole table.',
    ),
  })
  .describe(
    'Amazon Athena over the CloudTrail table in S3: the scale-out engine for organization trails.',
  )

const LakeSourceSchema = z
  .strictObject({
    type: z.literal('cloudtrail-lake'),
    region: z.string(),
    eventDataStore: z.string().describe('Event data store ID or ARN.'),
  })
  .describe('CloudTrail Lake SQL queries.')

const LookupSourceSchema = z
  .strictObject({
    type: z.literal('cloudtrail-lookup'),
    region: z.string().describe('Region of the API client.'),
    regions: z.array(z.string()).optional().describe('Regions to read; default: `region` only.'),
  })
  .describe('CloudTrail LookupEvents API: management events of the last 90 days, one region.')

export const SourceSchema = z.discriminatedUnion('type', [
  DuckDbSourceSchema,
  AthenaSourceSchema,
  LakeSourceSchema,
  LookupSourceSchema,
])

export const WindowSchema = z
  .strictObject({
    days: z
      .number()
      .int()
      .min(1)
      .max(3650)
      .default(90)
      .describe('Length of the usage window in days.'),
    end: z.iso
      .datetime({ offset: true })
      .optional()
      .describe('End of the window (exclusive); default: now.'),
  })
  .prefault({})

export const RolesSchema = z
  .strictObject({
    accounts: z
      .array(accountId)
      .optional()
      .describe('Only these accounts; default: every account in the repo.'),
    include: z.array(z.string()).default(['*']).describe('Role name or ARN globs to analyse.'),
    exclude: z.array(z.string()).default([]).describe('Role name or ARN globs to leave alone.'),
    includeHumanRoles: z.boolean().default(false).describe('Also tighten roles people sign in to.'),
    humanRolePaths: z
      .array(z.string())
      .default(['/humans/', '/aws-reserved/sso.amazonaws.com/'])
      .describe('Role paths (prefixes) that mark human roles.'),
    humanRoleTags: z
      .record(z.string(), z.string())
      .default({ 'scopedown:human': 'true' })
      .describe('Tags that mark human roles (any one matching is enough).'),
    includeServiceLinkedRoles: z
      .boolean()
      .default(false)
      .describe(
        'Also propose changes to service-linked roles (path /aws-service-role/); AWS owns them.',
      ),
  })
  .prefault({})

export const RulesSchema = z
  .strictObject({
    minRoleAgeDays: z
      .number()
      .int()
      .min(0)
      .default(30)
      .describe('Skip roles younger than this: they have not shown their usage yet.'),
    minCoverageDays: z
      .number()
      .int()
      .min(0)
      .optional()
      .describe(
        'Skip roles whose account has logs on fewer days of the window; default 90% of the window.',
      ),
    neverRemove: z
      .array(z.string())
      .default([])
      .describe('Action patterns never removed, on top of the actions CloudTrail cannot observe.'),
    protectedSidPrefix: z
      .string()
      .default('ScopedownKeep')
      .describe('Statements whose Sid starts with this are never changed.'),
    dataEvents: z
      .array(z.string())
      .default([])
      .describe(
        'Data events the trail records: resource types (AWS::S3::Object) or service prefixes (s3). Data-plane actions not recorded are unobservable and kept.',
      ),
    eventSelectorsFile: z
      .string()
      .optional()
      .describe('Saved `aws cloudtrail get-event-selectors` output, read instead of dataEvents.'),
    narrowResources: z
      .boolean()
      .default(false)
      .describe('Also narrow Resource to the ARNs observed (never wider than today).'),
    maxUnreadableInputs: z
      .number()
      .int()
      .min(0)
      .default(0)
      .describe(
        "Unreadable inputs (files, folders, query pages) tolerated in a role's account before the role is not tightened; their days still count as not covered.",
      ),
  })
  .prefault({})

export const RepoSchema = z
  .strictObject({
    path: z.string().default('.').describe('Local checkout of the source-of-truth repo.'),
    manifests: z
      .array(z.string())
      .optional()
      .describe(
        'Role manifest templates (role.json listing inline, managed and boundary policies); default accounts/{accountId}/roles/{roleName}/role.json.',
      ),
    templates: z
      .array(z.string())
      .default([])
      .describe(
        'Path templates of JSON policy files, e.g. accounts/{accountId}/roles/{roleName}/*.json.',
      ),
    terraform: z.boolean().default(true).describe('Also find roles and policies in *.tf files.'),
    accountNames: z
      .record(z.string(), z.string())
      .default({})
      .describe('Account ID -> name, for `{accountName}` in templates.'),
  })
  .prefault({})

export const PublishSchema = z
  .strictObject({
    mode: z
      .enum(['dry-run', 'git', 'github'])
      .default('dry-run')
      .describe(
        'dry-run writes files under outDir; git commits a branch in the checkout; github opens PRs.',
      ),
    grouping: z
      .enum(['role', 'account'])
      .default('role')
      .describe('One branch and PR per role or per account.'),
    outDir: z
      .string()
      .default('reports')
      .describe('Where reports, patches and PR bodies are written.'),
    base: z.string().default('main').describe('Base branch of the pull requests.'),
    labels: z.array(z.string()).default(['scopedown']),
    reviewers: z.array(z.string()).default([]),
    github: z
      .strictObject({
        owner: z.string(),
        repo: z.string(),
        botLogin: z
          .string()
          .optional()
          .describe(
            'Login the token acts as (e.g. scopedown[bot]); commits by anyone else block updates.',
          ),
        baseUrl: z
          .url()
          .optional()
          .describe('GitHub Enterprise API URL, e.g. https://ghe.example.com/api/v3.'),
      })
      .optional(),
    git: z
      .strictObject({
        remote: z
          .string()
          .optional()
          .describe('Remote to push branches to; none = commit locally only.'),
        authorName: z.string().default('scopedown'),
        authorEmail: z.string().default('scopedown@users.noreply.github.com'),
      })
      .prefault({}),
  })
  .prefault({})

export const ScpLevelSchema = z
  .strictObject({
    files: z
      .array(z.string())
      .describe('SCP documents attached at this level (repo-relative or absolute).'),
    accounts: z
      .array(accountId)
      .optional()
      .describe('Accounts under this level; default: every account.'),
    fullAwsAccess: z
      .boolean()
      .default(true)
      .describe(
        'FullAWSAccess is attached beside these SCPs (AWS default); false for allow-list SCPs.',
      ),
  })
  .describe('One OU level of service control policies: every level must allow a request.')

const roleNameOrArnTemplate = z
  .string()
  .min(1)
  .refine((v) => !v.startsWith('arn:') || v.includes('{accountId}'), {
    message: 'an ARN template must contain {accountId}',
  })

export const AwsSchema = z
  .object({
    region: z
      .string()
      .default('us-east-1')
      .describe(
        'Region of the STS, IAM and Organizations clients (IAM and Organizations are global).',
      ),
    profile: z
      .string()
      .optional()
      .describe(
        'Named profile of the starting credentials (else the default chain: env, SSO, instance or container role).',
      ),
    accounts: z
      .union([
        z.array(accountId).min(1).describe('These accounts.'),
        z
          .object({
            organizations: z
              .object({
                ous: z
                  .array(
                    z
                      .string()
                      .regex(
                        /^(r-[0-9a-z]{4,32}|ou-[0-9a-z]{4,32}-[a-z0-9]{8,32})$/,
                        'an OU id (ou-...) or root id (r-...)',
                      ),
                  )
                  .optional()
                  .describe(
                    'Only accounts under these OUs (at any depth) or roots; default: every account.',
                  ),
                exclude: z.array(accountId).default([]).describe('Accounts left out.'),
              })
              .strict(),
          })
          .strict()
          .describe(
            'Every ACTIVE account of the organization (read from the management or a delegated-admin account).',
          ),
      ])
      .optional()
      .describe(
        'Accounts a run covers; default: the accounts of the repo, read with the starting credentials (no assume-role).',
      ),
    assumeRole: z
      .object({
        role: roleNameOrArnTemplate.describe(
          'Role name (with its path, e.g. audit/scopedown-audit) or ARN template with {accountId}.',
        ),
        externalId: z.string().optional().describe("External ID the role's trust policy requires."),
        sessionName: z
          .string()
          .regex(/^[\w+=,.@-]{2,64}$/)
          .default('scopedown'),
        durationSeconds: z.number().int().min(900).max(43200).default(3600),
      })
      .strict()
      .optional()
      .describe(
        'The read-only audit role assumed in each account; default: use the starting credentials as they are.',
      ),
    scps: z
      .enum(['config', 'organizations'])
      .default('config')
      .describe(
        "Where SCPs come from: the config's `scps` files, or Organizations (the config's files are then compared with them).",
      ),
    drift: z
      .object({
        check: z
          .boolean()
          .default(true)
          .describe('In `run`, compare each role with live IAM and skip drifted roles.'),
        ignoreRoles: z
          .array(z.string())
          .default(['/aws-service-role/*', '/aws-reserved/*'])
          .describe(
            'Live roles never reported as missing from the repo: role name globs, or path globs starting with /.',
          ),
      })
      .strict()
      .prefault({}),
    accessAdvisor: z
      .object({
        enabled: z
          .boolean()
          .default(false)
          .describe('Ask Access Advisor about actions CloudTrail cannot see.'),
        pollMs: z
          .number()
          .int()
          .min(1)
          .default(2000)
          .describe('First wait between job polls (doubles up to 30 s).'),
        maxPolls: z.number().int().min(1).default(30),
      })
      .strict()
      .prefault({}),
    trailSelectors: z
      .object({
        trail: z
          .string()
          .describe("Trail name or ARN (the organization trail, or each account's trail)."),
        region: z.string().optional().describe('Home region of the trail; default aws.region.'),
        account: accountId
          .optional()
          .describe(
            "Account holding the trail (the organization trail's); default: each account reads its own.",
          ),
      })
      .strict()
      .optional()
      .describe(
        "Read the trail's event selectors live (GetTrail, GetEventSelectors) instead of rules.dataEvents.",
      ),
    concurrency: z
      .object({
        accounts: z.number().int().min(1).max(64).default(8).describe('Accounts read at once.'),
        perApi: z.number().int().min(1).max(64).default(4).describe('Calls in flight per AWS API.'),
      })
      .strict()
      .prefault({}),
  })
  .strict()
  .describe('Reaching AWS: the accounts, the audit role, and what is read live (all read-only).')

export const ConfigSchema = z
  .strictObject({
    $schema: z.string().optional(),
    source: SourceSchema,
    window: WindowSchema,
    roles: RolesSchema,
    rules: RulesSchema,
    repo: RepoSchema,
    publish: PublishSchema,
    scps: z
      .array(ScpLevelSchema)
      .default([])
      .describe('Service control policies, root level first.'),
    concurrency: z.number().int().min(1).max(64).default(4).describe('Accounts analysed at once.'),
    aws: AwsSchema.optional(),
  })

  .superRefine((config, ctx) => {
    if (config.publish.mode === 'github' && !config.publish.github) {
      ctx.addIssue({
        code: 'custom',
        path: ['publish', 'github'],
        message: 'publish.mode "github" needs publish.github { owner, repo }',
      })
    }
  })

/** A validated configuration with every default filled in. */
export type Config = z.infer<typeof ConfigSchema>
/** What a user may write (defaults optional). */
export type ConfigInput = z.input<typeof ConfigSchema>

/** The JSON Schema editors use to autocomplete and check `scopedown.config.json`. */
export function configJsonSchema(): unknown {
  return z.toJSONSchema(ConfigSchema, { io: 'input', unrepresentable: 'any' })
}
