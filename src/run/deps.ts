import { AthenaClient } from '@aws-sdk/client-athena'
import { CloudTrailClient } from '@aws-sdk/client-cloudtrail'
import type { Config } from '../config/schema.js'
import { GitGateway } from '../publish/git.js'
import { GitHubGateway } from '../publish/github.js'
import { LocalGateway } from '../publish/local.js'
import { createOctokitApi } from '../publish/octokit.js'
import type { PullRequestGateway } from '../publish/types.js'
import { CheckoutPolicyRepo } from '../repo/checkout.js'
import type { PolicyRepo } from '../repo/types.js'
import { createAthenaSource } from '../source/athena.js'
import { createDuckDbSource } from '../source/duckdb.js'
import { createLakeSource } from '../source/lake.js'
import { createLookupEventsSource } from '../source/lookup-events.js'
import type { LogSource } from '../source/types.js'
import { ScopedownError } from '../util/errors.js'
import type { Logger } from '../util/log.js'

/**
 * The composition root: the one place adapters are chosen from the config. Tests build their
 * own deps (memory sources, local stand-ins) and call runBatch directly.
 */
export async function createLogSource(config: Config, log: Logger): Promise<LogSource> {
  const source = config.source
  switch (source.type) {
    case 'duckdb':
      return createDuckDbSource({ paths: source.paths, logger: log })
    case 'athena':
      return createAthenaSource({
        client: new AthenaClient({ region: source.region }),
        database: source.database,
        table: source.table,
        workgroup: source.workgroup,
        ...(source.outputLocation ? { outputLocation: source.outputLocation } : {}),
        ...(source.partitions ? { partitions: source.partitions } : {}),
        logger: log,
      })
    case 'cloudtrail-lake':
      return createLakeSource({
        client: new CloudTrailClient({ region: source.region }),
        eventDataStore: source.eventDataStore,
        logger: log,
      })
    case 'cloudtrail-lookup':
      return createLookupEventsSource({
        client: new CloudTrailClient({ region: source.region }),
        ...(source.regions ? { regions: source.regions } : {}),
        logger: log,
      })
  }
}

export function openPolicyRepo(config: Config): Promise<PolicyRepo> {
  return CheckoutPolicyRepo.open(config.repo.path, {
    ...(config.repo.manifests ? { manifests: config.repo.manifests } : {}),
    templates: config.repo.templates.map((path) => ({ path })),
    terraform: config.repo.terraform,
    accountNames: config.repo.accountNames,
  })
}

/** dry-run writes under outDir, git commits branches in the checkout, github opens PRs. */
export async function createGateway(
  config: Config,
  env: Readonly<Record<string, string | undefined>>,
  log: Logger,
): Promise<PullRequestGateway> {
  const { publish } = config
  switch (publish.mode) {
    case 'dry-run':
      return new LocalGateway({ outDir: publish.outDir, repoDir: config.repo.path })
    case 'git':
      return new GitGateway({
        repoDir: config.repo.path,
        ...(publish.git.remote ? { remote: publish.git.remote } : {}),
        push: publish.git.remote !== undefined,
        author: { name: publish.git.authorName, email: publish.git.authorEmail },
        log,
      })
    case 'github': {
      const token = env.GITHUB_TOKEN
      if (!token || !publish.github) {
        throw new ScopedownError(
          'CONFIG_INVALID',
          'publish.mode "github" needs GITHUB_TOKEN and publish.github',
          {
            hint: 'export GITHUB_TOKEN=<token with contents, pull-requests and issues write>, or run with --dry-run',
          },
        )
      }
      const api = createOctokitApi({
        token,
        owner: publish.github.owner,
        repo: publish.github.repo,
        ...(publish.github.baseUrl ? { baseUrl: publish.github.baseUrl } : {}),
        log,
      })
      const gateway = new GitHubGateway(api, {
        ...(publish.github.botLogin ? { botLogin: publish.github.botLogin } : {}),
        labels: publish.labels,
        reviewers: publish.reviewers,
        log,
      })
      await gateway.preflight(publish.base)
      return gateway
    }
  }
}
