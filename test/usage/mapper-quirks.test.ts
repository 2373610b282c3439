import { beforeAll, describe, expect, it } from 'vitest'
import { loadCatalog } from '../../src/usage/catalog.js'
import {
  type ActionMapper,
  createActionMapper,
  type MapInput,
  type MappingStatus,
} from '../../src/usage/mapper.js'
import { actionNames } from './helpers.js'

/**
 * One row per quirk of docs/cloudtrail-quirks.md that the mapper owns (Qn = quirk n).
 * `actions` is the exact set; `includes`/`excludes` when only part of it matters.
 */
interface Case {
  name: string
  input: MapInput
  status?: MappingStatus
  actions?: string[]
  includes?: string[]
  excludes?: string[]
  /** Expected resources per action; `null` = the mapping names none. */
  resources?: Record<string, string[] | null>
  note?: RegExp
}

const ROLE = 'arn:aws:iam::111111111111:role/app-runtime'
const ROLE_B = 'arn:aws:iam::111111111111:role/path/exec'
const ev = (eventSource: string, eventName: string, extra: Partial<MapInput> = {}): MapInput => ({
  eventSource,
  eventName,
  ...extra,
})
const s3 = (eventName: string, requestParameters: Record<string, unknown> = {}) =>
  ev('s3.amazonaws.com', eventName, { requestParameters })

const EVENT_SOURCE_CASES: Case[] = [
  {
    name: 'Q1 monitoring.amazonaws.com -> cloudwatch',
    input: ev('monitoring.amazonaws.com', 'DescribeAlarms'),
    actions: ['cloudwatch:DescribeAlarms'],
  },
  {
    name: 'Q2 ses.amazonaws.com -> ses',
    input: ev('ses.amazonaws.com', 'SendEmail'),
    actions: ['ses:SendEmail'],
  },
  {
    name: 'Q2 the email endpoint prefix also -> ses, never email:*',
    input: ev('email.amazonaws.com', 'SendEmail'),
    actions: ['ses:SendEmail'],
  },
  {
    name: 'Q3 tagging.amazonaws.com -> tag',
    input: ev('tagging.amazonaws.com', 'GetResources'),
    actions: ['tag:GetResources'],
  },
  {
    name: 'Q4 pinpoint.amazonaws.com -> mobiletargeting',
    input: ev('pinpoint.amazonaws.com', 'GetApps'),
    actions: ['mobiletargeting:GetApps'],
  },
  {
    name: 'Q5 pricelist.amazonaws.com -> pricing',
    input: ev('pricelist.amazonaws.com', 'GetProducts'),
    actions: ['pricing:GetProducts'],
  },
  {
    name: 'Q5 api.pricing host -> pricing, not api:*',
    input: ev('api.pricing.amazonaws.com', 'GetProducts'),
    actions: ['pricing:GetProducts'],
  },
  {
    name: 'Q6 amazonmq.amazonaws.com -> mq',
    input: ev('amazonmq.amazonaws.com', 'DescribeBroker'),
    actions: ['mq:DescribeBroker'],
  },
  {
    name: 'Q7 cloudcontrolapi.amazonaws.com -> cloudformation',
    input: ev('cloudcontrolapi.amazonaws.com', 'GetResource'),
    actions: ['cloudformation:GetResource'],
  },
  {
    name: 'Q8 opensearchservice.amazonaws.com -> es',
    input: ev('opensearchservice.amazonaws.com', 'DescribeDomain'),
    actions: ['es:DescribeDomain'],
  },
  {
    name: 'Q9 application-insights -> applicationinsights',
    input: ev('application-insights.amazonaws.com', 'ListApplications'),
    actions: ['applicationinsights:ListApplications'],
  },
  {
    name: 'Q10 migrationhub -> mgh',
    input: ev('migrationhub.amazonaws.com', 'ListMigrationTasks'),
    actions: ['mgh:ListMigrationTasks'],
  },
  {
    name: 'Q11 qconnect -> wisdom',
    input: ev('qconnect.amazonaws.com', 'ListAssistants'),
    actions: ['wisdom:ListAssistants'],
  },
  {
    name: 'Q12 rdsdata -> rds-data',
    input: ev('rdsdata.amazonaws.com', 'ExecuteStatement'),
    actions: ['rds-data:ExecuteStatement'],
  },
  {
    name: 'Q13 agreement-marketplace -> aws-marketplace',
    input: ev('agreement-marketplace.amazonaws.com', 'DescribeAgreement'),
    actions: ['aws-marketplace:DescribeAgreement'],
  },
  {
    name: 'Q13 marketplacecatalog -> aws-marketplace',
    input: ev('marketplacecatalog.amazonaws.com', 'ListEntities'),
    actions: ['aws-marketplace:ListEntities'],
  },
  {
    name: 'Q13 management-marketplace -> aws-marketplace-management',
    input: ev('management-marketplace.amazonaws.com', 'GetSellerVerificationDetails'),
    actions: ['aws-marketplace-management:GetSellerVerificationDetails'],
  },
  {
    name: 'Q14 contact-lens -> connect',
    input: ev('contact-lens.amazonaws.com', 'ListRealtimeContactAnalysisSegments'),
    actions: ['connect:ListRealtimeContactAnalysisSegments'],
  },
  {
    name: 'Q15 transcribestreaming -> transcribe',
    input: ev('transcribestreaming.amazonaws.com', 'StartStreamTranscription'),
    actions: ['transcribe:StartStreamTranscription'],
  },
  {
    name: 'Q15 servicecatalog-appregistry -> servicecatalog',
    input: ev('servicecatalog-appregistry.amazonaws.com', 'ListApplications'),
    actions: ['servicecatalog:ListApplications'],
  },
  {
    name: 'Q15 chime-sdk-voice -> chime',
    input: ev('chime-sdk-voice.amazonaws.com', 'ListVoiceConnectors'),
    actions: ['chime:ListVoiceConnectors'],
  },
  {
    name: 'Q15 billingconsole -> billing',
    input: ev('billingconsole.amazonaws.com', 'GetBillingData'),
    actions: ['billing:GetBillingData'],
  },
  {
    name: 'Q15 taxconsole -> tax',
    input: ev('taxconsole.amazonaws.com', 'GetTaxRegistration'),
    actions: ['tax:GetTaxRegistration'],
  },
  {
    name: 'Q16 appstream2 -> appstream',
    input: ev('appstream2.amazonaws.com', 'DescribeFleets'),
    actions: ['appstream:DescribeFleets'],
  },
  {
    name: 'Q16 runtime.lex -> lex',
    input: ev('runtime.lex.amazonaws.com', 'PostText'),
    actions: ['lex:PostText'],
  },
  {
    name: 'Q16 mturk-requester -> mechanicalturk',
    input: ev('mturk-requester.amazonaws.com', 'ListHITs'),
    actions: ['mechanicalturk:ListHITs'],
  },
  {
    name: 'Q16 streams.dynamodb -> dynamodb',
    input: ev('streams.dynamodb.amazonaws.com', 'GetRecords'),
    actions: ['dynamodb:GetRecords'],
  },
  {
    name: 'Q16 runtime.sagemaker -> sagemaker, not runtime:*',
    input: ev('runtime.sagemaker.amazonaws.com', 'InvokeEndpoint'),
    actions: ['sagemaker:InvokeEndpoint'],
  },
  {
    name: 'Q16 an unknown multi-label host stays unmapped',
    input: ev('data.example.amazonaws.com', 'Publish'),
    status: 'unmapped',
    note: /no IAM service/,
  },
  {
    name: 'Q17 s3express.amazonaws.com -> s3express',
    input: ev('s3express.amazonaws.com', 'CreateSession'),
    actions: ['s3express:CreateSession'],
  },
  {
    name: 'Q17 directory bucket listing -> s3express:ListAllMyDirectoryBuckets',
    input: ev('s3express.amazonaws.com', 'ListDirectoryBuckets'),
    actions: ['s3express:ListAllMyDirectoryBuckets'],
  },
  {
    name: 'Q18 ELB classic (apiVersion 2012-06-01) -> elasticloadbalancing',
    input: ev('elasticloadbalancing.amazonaws.com', 'CreateLoadBalancer', {
      apiVersion: '2012-06-01',
    }),
    actions: ['elasticloadbalancing:CreateLoadBalancer'],
  },
  {
    name: 'Q18 ELBv2 (apiVersion 2015-12-01): same action',
    input: ev('elasticloadbalancing.amazonaws.com', 'CreateLoadBalancer', {
      apiVersion: '2015-12-01',
    }),
    actions: ['elasticloadbalancing:CreateLoadBalancer'],
  },
  {
    name: 'Q18 DocDB/Neptune control plane logs as rds',
    input: ev('rds.amazonaws.com', 'CreateDBCluster'),
    actions: ['rds:CreateDBCluster'],
  },
]

const S3_CASES: Case[] = [
  {
    name: 'Q19 ListBuckets -> s3:ListAllMyBuckets',
    input: s3('ListBuckets'),
    actions: ['s3:ListAllMyBuckets'],
  },
  {
    name: 'Q20/Q74 ListObjects -> s3:ListBucket (no s3:ListObjects)',
    input: s3('ListObjects'),
    actions: ['s3:ListBucket'],
  },
  {
    name: 'Q20 ListObjectsV2 -> s3:ListBucket',
    input: s3('ListObjectsV2'),
    actions: ['s3:ListBucket'],
  },
  { name: 'Q21 HeadBucket -> s3:ListBucket', input: s3('HeadBucket'), actions: ['s3:ListBucket'] },
  {
    name: 'Q21 HeadObject -> s3:GetObject',
    input: s3('HeadObject', { key: 'k' }),
    actions: ['s3:GetObject'],
  },
  {
    name: 'Q21 HeadObject with versionId -> s3:GetObjectVersion',
    input: s3('HeadObject', { versionId: 'v1' }),
    actions: ['s3:GetObjectVersion'],
  },
  {
    name: 'Q21 HeadObject, request unknown -> both, marked possible',
    input: ev('s3.amazonaws.com', 'HeadObject'),
    actions: ['s3:GetObject', 's3:GetObjectVersion'],
    note: /possible/,
  },
  {
    name: 'Q21 GetObject with versionId -> s3:GetObjectVersion',
    input: s3('GetObject', { versionId: 'v1' }),
    actions: ['s3:GetObjectVersion'],
  },
  {
    name: 'Q21 DeleteObject with versionId -> s3:DeleteObjectVersion',
    input: s3('DeleteObject', { versionId: 'v1' }),
    actions: ['s3:DeleteObjectVersion'],
  },
  {
    name: 'Q22 ListObjectVersions -> s3:ListBucketVersions',
    input: s3('ListObjectVersions'),
    actions: ['s3:ListBucketVersions'],
  },
  {
    name: 'Q22 ListMultipartUploads -> s3:ListBucketMultipartUploads',
    input: s3('ListMultipartUploads'),
    actions: ['s3:ListBucketMultipartUploads'],
  },
  {
    name: 'Q22 ListParts -> s3:ListMultipartUploadParts',
    input: s3('ListParts'),
    actions: ['s3:ListMultipartUploadParts'],
  },
  ...['CreateMultipartUpload', 'UploadPart', 'CompleteMultipartUpload'].map((name) => ({
    name: `Q23 ${name} -> s3:PutObject`,
    input: s3(name),
    actions: ['s3:PutObject'],
  })),
  {
    name: 'Q23 UploadPartCopy -> s3:GetObject + s3:PutObject',
    input: s3('UploadPartCopy'),
    actions: ['s3:GetObject', 's3:PutObject'],
  },
  ...(
    [
      ['DeleteBucketLifecycle', 's3:PutLifecycleConfiguration'],
      ['DeleteBucketEncryption', 's3:PutEncryptionConfiguration'],
      ['DeleteBucketCors', 's3:PutBucketCORS'],
      ['DeleteBucketTagging', 's3:PutBucketTagging'],
      ['DeleteBucketAnalyticsConfiguration', 's3:PutAnalyticsConfiguration'],
      ['DeleteBucketPublicAccessBlock', 's3:PutBucketPublicAccessBlock'],
      ['DeleteBucketReplication', 's3:PutReplicationConfiguration'],
      ['DeleteBucketOwnershipControls', 's3:PutBucketOwnershipControls'],
    ] as const
  ).map(([name, action]) => ({
    name: `Q24 ${name} is authorised by ${action}`,
    input: s3(name),
    actions: [action],
  })),
  {
    name: 'Q24 DeletePublicAccessBlock on a bucket -> s3:PutBucketPublicAccessBlock',
    input: s3('DeletePublicAccessBlock', { bucketName: 'b' }),
    actions: ['s3:PutBucketPublicAccessBlock'],
  },
  ...(
    [
      ['ListBucketInventoryConfigurations', 's3:GetInventoryConfiguration'],
      ['ListBucketAnalyticsConfigurations', 's3:GetAnalyticsConfiguration'],
      ['ListBucketMetricsConfigurations', 's3:GetMetricsConfiguration'],
      ['ListBucketIntelligentTieringConfigurations', 's3:GetIntelligentTieringConfiguration'],
    ] as const
  ).map(([name, action]) => ({
    name: `Q25 ${name} is authorised by ${action}`,
    input: s3(name),
    actions: [action],
  })),
  ...(
    [
      ['GetBucketLifecycle', 's3:GetLifecycleConfiguration'],
      ['PutBucketLifecycleConfiguration', 's3:PutLifecycleConfiguration'],
      ['GetBucketEncryption', 's3:GetEncryptionConfiguration'],
      ['PutBucketEncryption', 's3:PutEncryptionConfiguration'],
      ['GetBucketAccelerateConfiguration', 's3:GetAccelerateConfiguration'],
      ['GetBucketNotificationConfiguration', 's3:GetBucketNotification'],
      ['GetBucketReplication', 's3:GetReplicationConfiguration'],
      ['GetObjectLockConfiguration', 's3:GetBucketObjectLockConfiguration'],
      ['GetPublicAccessBlock', 's3:GetBucketPublicAccessBlock'],
    ] as const
  ).map(([name, action]) => ({
    name: `Q26 ${name} -> ${action}`,
    input: s3(name, { bucketName: 'b' }),
    actions: [action],
  })),
  {
    name: 'Q26 s3:GetBucketLifecycle is never emitted',
    input: s3('GetBucketLifecycle'),
    excludes: ['s3:GetBucketLifecycle'],
    includes: ['s3:GetLifecycleConfiguration'],
  },
  {
    name: 'Q27 SelectObjectContent -> s3:GetObject',
    input: s3('SelectObjectContent'),
    actions: ['s3:GetObject'],
  },
  {
    name: 'Q28 DeleteObjects -> s3:DeleteObject (+ s3:DeleteObjectVersion as possible)',
    input: s3('DeleteObjects'),
    actions: ['s3:DeleteObject', 's3:DeleteObjectVersion'],
    note: /VersionId/,
  },
  {
    name: 'Q29 S3 PutPublicAccessBlock (bucketName) -> bucket action',
    input: s3('PutPublicAccessBlock', { bucketName: 'b' }),
    actions: ['s3:PutBucketPublicAccessBlock'],
  },
  {
    name: 'Q29 S3 Control PutPublicAccessBlock (no bucket) -> account action',
    input: s3('PutPublicAccessBlock', { accountId: '111111111111' }),
    actions: ['s3:PutAccountPublicAccessBlock'],
  },
  {
    name: 'Q29 S3 Control lifecycle on Outposts -> s3-outposts:*',
    input: ev('s3-outposts.amazonaws.com', 'PutBucketLifecycleConfiguration'),
    actions: ['s3-outposts:PutLifecycleConfiguration'],
  },
  {
    name: 'Q30 SOAP GetBucketAccessControlPolicy -> s3:GetBucketAcl',
    input: s3('GetBucketAccessControlPolicy'),
    actions: ['s3:GetBucketAcl'],
  },
  {
    name: 'Q30 SOAP SetBucketLoggingStatus -> s3:PutBucketLogging',
    input: s3('SetBucketLoggingStatus'),
    actions: ['s3:PutBucketLogging'],
  },
  {
    name: 'Q47 CopyObject -> GetObject on the source + PutObject on the destination (+ tagging)',
    input: s3('CopyObject', { bucketName: 'dst', key: 'k' }),
    actions: ['s3:GetObject', 's3:GetObjectTagging', 's3:PutObject', 's3:PutObjectTagging'],
  },
  {
    name: 'Q76 PutBucketReplication -> s3:PutReplicationConfiguration + iam:PassRole on the replication role',
    input: s3('PutBucketReplication', {
      bucketName: 'b',
      ReplicationConfiguration: { Role: ROLE },
    }),
    actions: ['iam:PassRole', 's3:PutReplicationConfiguration'],
    excludes: ['s3:DeleteReplicationConfiguration'],
    resources: { 'iam:PassRole': [ROLE] },
  },
]

const OTHER_SERVICE_CASES: Case[] = [
  {
    name: 'Q31 Lambda Invoke -> lambda:InvokeFunction (no lambda:Invoke)',
    input: ev('lambda.amazonaws.com', 'Invoke'),
    actions: ['lambda:InvokeFunction'],
  },
  {
    name: 'Q31 GetLayerVersionByArn -> lambda:GetLayerVersion',
    input: ev('lambda.amazonaws.com', 'GetLayerVersionByArn'),
    actions: ['lambda:GetLayerVersion'],
  },
  {
    name: 'Q32 Budgets CreateBudget -> budgets:ModifyBudget',
    input: ev('budgets.amazonaws.com', 'CreateBudget'),
    actions: ['budgets:ModifyBudget'],
  },
  {
    name: 'Q32 Budgets DeleteSubscriber -> budgets:ModifyBudget',
    input: ev('budgets.amazonaws.com', 'DeleteSubscriber'),
    actions: ['budgets:ModifyBudget'],
  },
  {
    name: 'Q32 Budgets DescribeBudgets -> budgets:ViewBudget',
    input: ev('budgets.amazonaws.com', 'DescribeBudgets'),
    actions: ['budgets:ViewBudget'],
  },
  {
    name: "Q33 Glue CreatePartitionIndex -> glue:UpdateTable (and today's own action)",
    input: ev('glue.amazonaws.com', 'CreatePartitionIndex'),
    actions: ['glue:CreatePartitionIndex', 'glue:UpdateTable'],
  },
  {
    name: 'Q33 Glue GetColumnStatisticsForTable -> glue:GetTable (and its own action)',
    input: ev('glue.amazonaws.com', 'GetColumnStatisticsForTable'),
    actions: ['glue:GetColumnStatisticsForTable', 'glue:GetTable'],
  },
  {
    name: 'Q33 Glue BatchUpdatePartition -> glue:UpdatePartition (and its own action)',
    input: ev('glue.amazonaws.com', 'BatchUpdatePartition'),
    actions: ['glue:BatchUpdatePartition', 'glue:UpdatePartition'],
  },
  {
    name: 'Q34 API Gateway CreateRestApi -> apigateway:POST',
    input: ev('apigateway.amazonaws.com', 'CreateRestApi'),
    actions: ['apigateway:POST'],
  },
  {
    name: 'Q34 API Gateway GetRestApis -> apigateway:GET',
    input: ev('apigateway.amazonaws.com', 'GetRestApis'),
    actions: ['apigateway:GET'],
  },
  {
    name: 'Q34 API Gateway UpdateMethod -> apigateway:PATCH',
    input: ev('apigateway.amazonaws.com', 'UpdateMethod'),
    actions: ['apigateway:PATCH'],
  },
  {
    name: 'Q34 API Gateway PutIntegration -> apigateway:PUT',
    input: ev('apigateway.amazonaws.com', 'PutIntegration'),
    actions: ['apigateway:PUT'],
  },
  {
    name: 'Q34 API Gateway DeleteStage -> apigateway:DELETE',
    input: ev('apigateway.amazonaws.com', 'DeleteStage'),
    actions: ['apigateway:DELETE'],
  },
  {
    name: 'Q34 API Gateway FlushStageCache -> apigateway:DELETE',
    input: ev('apigateway.amazonaws.com', 'FlushStageCache'),
    actions: ['apigateway:DELETE'],
  },
  {
    name: 'Q34 a name the catalog has wins over the verb rule',
    input: ev('apigateway.amazonaws.com', 'CreatePortal'),
    actions: ['apigateway:CreatePortal'],
  },
  {
    name: 'Q35 PostToConnection -> execute-api:ManageConnections',
    input: ev('execute-api.amazonaws.com', 'PostToConnection'),
    actions: ['execute-api:ManageConnections'],
  },
  {
    name: 'Q36 TransactGetItems -> dynamodb:GetItem',
    input: ev('dynamodb.amazonaws.com', 'TransactGetItems'),
    actions: ['dynamodb:GetItem'],
  },
  {
    name: 'Q36 TransactWriteItems -> the four item actions (kinds not in details)',
    input: ev('dynamodb.amazonaws.com', 'TransactWriteItems', { requestParameters: {} }),
    actions: [
      'dynamodb:ConditionCheckItem',
      'dynamodb:DeleteItem',
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
    ],
  },
  {
    name: 'Q36 PartiQL SELECT -> dynamodb:PartiQLSelect',
    input: ev('dynamodb.amazonaws.com', 'ExecuteStatement', {
      requestParameters: { statement: 'SELECT * FROM "t" WHERE pk = ?' },
    }),
    actions: ['dynamodb:PartiQLSelect'],
  },
  {
    name: 'Q36 PartiQL lower-case update -> dynamodb:PartiQLUpdate',
    input: ev('dynamodb.amazonaws.com', 'ExecuteStatement', {
      requestParameters: { statement: 'update "t" set a = 1 where pk = ?' },
    }),
    actions: ['dynamodb:PartiQLUpdate'],
  },
  {
    name: 'Q36 PartiQL batch INSERT + DELETE -> both verbs',
    input: ev('dynamodb.amazonaws.com', 'BatchExecuteStatement', {
      requestParameters: {
        statements: [
          { statement: 'INSERT INTO "t" VALUE {}' },
          { statement: 'DELETE FROM "t" WHERE pk = ?' },
        ],
      },
    }),
    actions: ['dynamodb:PartiQLDelete', 'dynamodb:PartiQLInsert'],
  },
  {
    name: 'Q36 PartiQL statement not logged -> all four verbs, possible',
    input: ev('dynamodb.amazonaws.com', 'ExecuteTransaction', { requestParameters: {} }),
    actions: [
      'dynamodb:PartiQLDelete',
      'dynamodb:PartiQLInsert',
      'dynamodb:PartiQLSelect',
      'dynamodb:PartiQLUpdate',
    ],
    note: /possible/,
  },
  {
    name: 'Q37 KMS ReEncrypt -> kms:ReEncryptFrom on the source key + kms:ReEncryptTo on the destination key',
    input: ev('kms.amazonaws.com', 'ReEncrypt', {
      requestParameters: {
        sourceKeyId: 'arn:aws:kms:us-east-1:111111111111:key/src',
        destinationKeyId: 'dst',
      },
      resources: [
        { ARN: 'arn:aws:kms:us-east-1:111111111111:key/src', type: 'AWS::KMS::Key' },
        { ARN: 'arn:aws:kms:us-east-1:111111111111:key/dst', type: 'AWS::KMS::Key' },
      ],
    }),
    actions: ['kms:ReEncryptFrom', 'kms:ReEncryptTo'],
    excludes: ['kms:ReEncrypt'],
    resources: {
      'kms:ReEncryptFrom': ['arn:aws:kms:us-east-1:111111111111:key/src'],
      'kms:ReEncryptTo': ['arn:aws:kms:us-east-1:111111111111:key/dst'],
    },
  },
  {
    name: 'Q38 CloudSearch Search -> cloudsearch:search (lower case)',
    input: ev('cloudsearch.amazonaws.com', 'Search'),
    actions: ['cloudsearch:search'],
  },
  {
    name: "Q38 CloudSearch UploadDocuments -> cloudsearch:document (today's name for upload)",
    input: ev('cloudsearch.amazonaws.com', 'UploadDocuments'),
    actions: ['cloudsearch:document'],
  },
  {
    name: 'Q39 MediaPackage ConfigureLogs -> its own action + mediapackage:UpdateChannel',
    input: ev('mediapackage.amazonaws.com', 'ConfigureLogs'),
    actions: ['mediapackage:ConfigureLogs', 'mediapackage:UpdateChannel'],
  },
  {
    name: 'Q39 Mobile Hub left the catalog: DescribeProject is unmapped, nothing invented',
    input: ev('mobilehub.amazonaws.com', 'DescribeProject'),
    status: 'unmapped',
  },
  {
    name: "Q39 Lex V2 CreateBot -> lex:CreateBot as today's catalog names it",
    input: ev('lex.amazonaws.com', 'CreateBot'),
    actions: ['lex:CreateBot'],
  },
  {
    name: 'Q40 FinSpace GetDataset: no V2 suffix is ever invented on the IAM side',
    input: ev('finspace-api.amazonaws.com', 'GetDataset'),
    status: 'unmapped',
  },
  {
    name: 'Q41 elasticmapreduce:ListEditors is known today',
    input: ev('elasticmapreduce.amazonaws.com', 'ListEditors'),
    actions: ['elasticmapreduce:ListEditors'],
  },
  {
    name: 'Q41 an operation newer than the catalog stays unmapped',
    input: ev('elasticmapreduce.amazonaws.com', 'ListEditorsV9'),
    status: 'unmapped',
    note: /no IAM action/,
  },
]

const VERSION_CASES: Case[] = [
  {
    name: 'Q42 Lambda CreateFunction20150331 -> lambda:CreateFunction',
    input: ev('lambda.amazonaws.com', 'CreateFunction20150331'),
    actions: ['lambda:CreateFunction'],
    note: /suffix stripped/,
  },
  {
    name: 'Q42 Lambda UpdateFunctionConfiguration20150331v2',
    input: ev('lambda.amazonaws.com', 'UpdateFunctionConfiguration20150331v2'),
    actions: ['lambda:UpdateFunctionConfiguration'],
  },
  {
    name: 'Q42 Lambda TagResource20170331v2',
    input: ev('lambda.amazonaws.com', 'TagResource20170331v2'),
    actions: ['lambda:TagResource'],
  },
  {
    name: 'Q42 the undated spelling (after 2021-10-20) maps the same',
    input: ev('lambda.amazonaws.com', 'CreateFunction'),
    actions: ['lambda:CreateFunction'],
  },
  {
    name: 'Q43 CloudFront UpdateDistribution2016_11_25',
    input: ev('cloudfront.amazonaws.com', 'UpdateDistribution2016_11_25'),
    actions: ['cloudfront:UpdateDistribution'],
  },
  {
    name: 'Q44 cloud9 CreateEnvironmentEC2 keeps its digit',
    input: ev('cloud9.amazonaws.com', 'CreateEnvironmentEC2'),
    actions: ['cloud9:CreateEnvironmentEC2'],
  },
  {
    name: 'Q44 RestoreDBInstanceFromS3 keeps its digit',
    input: ev('rds.amazonaws.com', 'RestoreDBInstanceFromS3'),
    actions: ['rds:RestoreDBInstanceFromS3'],
  },
  {
    name: 'Q44 RestoreDBClusterFromS3 keeps its digit',
    input: ev('rds.amazonaws.com', 'RestoreDBClusterFromS3'),
    actions: ['rds:RestoreDBClusterFromS3'],
  },
  {
    name: 'Q44 machinelearning CreateDataSourceFromS3 keeps its digit',
    input: ev('machinelearning.amazonaws.com', 'CreateDataSourceFromS3'),
    actions: ['machinelearning:CreateDataSourceFromS3'],
  },
  {
    name: 'Q44 dates are stripped only where CloudTrail adds them (not on ec2)',
    input: ev('ec2.amazonaws.com', 'DescribeInstances20150331'),
    status: 'unmapped',
  },
]

const DEPENDENT_CASES: Case[] = [
  {
    name: 'Q45 RunInstances with an instance profile name -> iam:PassRole kept unscoped and flagged',
    input: ev('ec2.amazonaws.com', 'RunInstances', {
      requestParameters: { iamInstanceProfile: { name: 'web-profile' } },
    }),
    actions: ['ec2:RunInstances', 'iam:PassRole'],
    resources: { 'iam:PassRole': null },
    note: /instance profile web-profile: the role it holds is not in the event/,
  },
  {
    name: 'Q45 RunInstances with an instance profile ARN -> unscoped PassRole (profile != role)',
    input: ev('ec2.amazonaws.com', 'RunInstances', {
      requestParameters: {
        iamInstanceProfile: { arn: 'arn:aws:iam::111111111111:instance-profile/ops/web' },
      },
    }),
    includes: ['iam:PassRole'],
    resources: { 'iam:PassRole': null },
    note: /instance profile ops\/web/,
  },
  {
    name: 'Q45 RunInstances with tags -> ec2:CreateTags (tag-on-create)',
    input: ev('ec2.amazonaws.com', 'RunInstances', {
      requestParameters: {
        tagSpecificationSet: {
          items: [{ resourceType: 'instance', tags: [{ key: 'a', value: 'b' }] }],
        },
      },
    }),
    actions: ['ec2:CreateTags', 'ec2:RunInstances'],
  },
  {
    name: 'Q45 RunInstances from a launch template -> PassRole possible (profile hidden in the template)',
    input: ev('ec2.amazonaws.com', 'RunInstances', {
      requestParameters: { launchTemplate: { launchTemplateId: 'lt-1' } },
    }),
    includes: ['iam:PassRole'],
    note: /launchTemplate may carry an instance profile/,
  },
  {
    name: 'Q45 RunInstances with neither -> no PassRole, no CreateTags',
    input: ev('ec2.amazonaws.com', 'RunInstances', {
      requestParameters: { instanceType: 't3.micro' },
    }),
    actions: ['ec2:RunInstances'],
  },
  {
    name: 'Q46 Lambda CreateFunction role -> iam:PassRole on that role',
    input: ev('lambda.amazonaws.com', 'CreateFunction20150331', {
      requestParameters: { functionName: 'f', role: ROLE },
    }),
    actions: ['iam:PassRole', 'lambda:CreateFunction'],
    resources: { 'iam:PassRole': [ROLE] },
  },
  {
    name: 'Q46 Lambda UpdateFunctionConfiguration role + layers -> PassRole + GetLayerVersion',
    input: ev('lambda.amazonaws.com', 'UpdateFunctionConfiguration', {
      requestParameters: {
        role: ROLE,
        layers: ['arn:aws:lambda:us-east-1:111111111111:layer:x:3'],
      },
    }),
    actions: ['iam:PassRole', 'lambda:GetLayerVersion', 'lambda:UpdateFunctionConfiguration'],
    resources: { 'lambda:GetLayerVersion': ['arn:aws:lambda:us-east-1:111111111111:layer:x:3'] },
  },
  {
    name: 'Q46 ECS RegisterTaskDefinition -> PassRole on task and execution roles',
    input: ev('ecs.amazonaws.com', 'RegisterTaskDefinition', {
      requestParameters: { taskRoleArn: ROLE, executionRoleArn: ROLE_B },
    }),
    actions: ['ecs:RegisterTaskDefinition', 'iam:PassRole'],
    resources: { 'iam:PassRole': [ROLE_B, ROLE] },
  },
  {
    name: 'Q46 ECS RunTask -> PassRole possible (roles live in the task definition)',
    input: ev('ecs.amazonaws.com', 'RunTask', { requestParameters: {} }),
    actions: ['ecs:RunTask', 'iam:PassRole'],
    resources: { 'iam:PassRole': null },
  },
  {
    name: 'Q46 CloudFormation CreateStack roleARN -> PassRole',
    input: ev('cloudformation.amazonaws.com', 'CreateStack', {
      requestParameters: { stackName: 's', roleARN: ROLE },
    }),
    actions: ['cloudformation:CreateStack', 'iam:PassRole'],
    resources: { 'iam:PassRole': [ROLE] },
  },
  {
    name: 'Q46 Glue CreateJob with a role name -> unscoped PassRole, flagged',
    input: ev('glue.amazonaws.com', 'CreateJob', {
      requestParameters: { name: 'j', role: 'GlueJobRole' },
    }),
    actions: ['glue:CreateJob', 'iam:PassRole'],
    resources: { 'iam:PassRole': null },
    note: /role "GlueJobRole" without its ARN/,
  },
  {
    name: 'Q46 EKS CreateNodegroup nodeRole -> PassRole',
    input: ev('eks.amazonaws.com', 'CreateNodegroup', { requestParameters: { nodeRole: ROLE } }),
    actions: ['eks:CreateNodegroup', 'iam:PassRole'],
    resources: { 'iam:PassRole': [ROLE] },
  },
  {
    name: 'Q46 CodeBuild StartBuild serviceRoleOverride -> PassRole',
    input: ev('codebuild.amazonaws.com', 'StartBuild', {
      requestParameters: { serviceRoleOverride: ROLE },
    }),
    actions: ['codebuild:StartBuild', 'iam:PassRole'],
    resources: { 'iam:PassRole': [ROLE] },
  },
  {
    name: 'Q46 Step Functions CreateStateMachine roleArn -> PassRole',
    input: ev('states.amazonaws.com', 'CreateStateMachine', {
      requestParameters: { roleArn: ROLE },
    }),
    actions: ['iam:PassRole', 'states:CreateStateMachine'],
  },
  {
    name: 'Q46 RDS CreateDBInstance monitoringRoleArn -> PassRole',
    input: ev('rds.amazonaws.com', 'CreateDBInstance', {
      requestParameters: { monitoringRoleArn: ROLE },
    }),
    actions: ['iam:PassRole', 'rds:CreateDBInstance'],
  },
  {
    name: 'Q46 Logs PutSubscriptionFilter roleArn -> PassRole',
    input: ev('logs.amazonaws.com', 'PutSubscriptionFilter', {
      requestParameters: { roleArn: ROLE },
    }),
    actions: ['iam:PassRole', 'logs:PutSubscriptionFilter'],
  },
  {
    name: 'Q46 a non-role "role" (QuickSight UpdateUser role=READER) passes nothing',
    input: ev('quicksight.amazonaws.com', 'UpdateUser', { requestParameters: { role: 'READER' } }),
    actions: ['quicksight:UpdateUser'],
  },
  {
    name: 'Q46 sts:AssumeRole names a role without passing it',
    input: ev('sts.amazonaws.com', 'AssumeRole', {
      requestParameters: { roleArn: ROLE, roleSessionName: 's' },
    }),
    actions: ['sts:AssumeRole'],
  },
  {
    name: 'Q48 RDS CreateDBInstance with tags -> rds:AddTagsToResource',
    input: ev('rds.amazonaws.com', 'CreateDBInstance', {
      requestParameters: { tags: [{ key: 'a', value: 'b' }] },
    }),
    actions: ['rds:AddTagsToResource', 'rds:CreateDBInstance'],
  },
  {
    name: 'Q48 SQS CreateQueue with tags -> sqs:TagQueue',
    input: ev('sqs.amazonaws.com', 'CreateQueue', {
      requestParameters: { queueName: 'q', tags: { a: 'b' } },
    }),
    actions: ['sqs:CreateQueue', 'sqs:TagQueue'],
  },
  {
    name: 'Q48 Access Analyzer CreateAnalyzer with tags -> TagResource',
    input: ev('access-analyzer.amazonaws.com', 'CreateAnalyzer', {
      requestParameters: { tags: { a: 'b' } },
    }),
    actions: ['access-analyzer:CreateAnalyzer', 'access-analyzer:TagResource'],
  },
  {
    name: 'Q48 IAM CreateRole with tags -> iam:TagRole',
    input: ev('iam.amazonaws.com', 'CreateRole', {
      requestParameters: { tags: [{ key: 'a', value: 'b' }] },
    }),
    actions: ['iam:CreateRole', 'iam:TagRole'],
  },
  {
    name: 'Q48 an empty tag list is no tag',
    input: ev('sqs.amazonaws.com', 'CreateQueue', { requestParameters: { tags: {} } }),
    actions: ['sqs:CreateQueue'],
  },
  {
    name: 'Q48 a tagging call is not tagged again',
    input: ev('iam.amazonaws.com', 'TagRole', {
      requestParameters: { tags: [{ key: 'a', value: 'b' }] },
    }),
    actions: ['iam:TagRole'],
  },
  {
    name: 'Q49 CloudTrail CreateTrail -> CreateTrail + PassRole (logs role) + s3:PutObject (possible)',
    input: ev('cloudtrail.amazonaws.com', 'CreateTrail', {
      requestParameters: { name: 't', cloudWatchLogsRoleArn: ROLE },
    }),
    actions: ['cloudtrail:CreateTrail', 'iam:PassRole', 's3:PutObject'],
    resources: { 'iam:PassRole': [ROLE] },
  },
  {
    name: 'Q50 KMS CreateKey: no kms:CreateGrant is invented from the event',
    input: ev('kms.amazonaws.com', 'CreateKey', {
      requestParameters: { keyUsage: 'ENCRYPT_DECRYPT' },
    }),
    actions: ['kms:CreateKey'],
  },
  {
    name: 'Q50 KMS CreateKey with tags -> kms:TagResource',
    input: ev('kms.amazonaws.com', 'CreateKey', {
      requestParameters: { tags: [{ tagKey: 'a', tagValue: 'b' }] },
    }),
    actions: ['kms:CreateKey', 'kms:TagResource'],
  },
  {
    name: "Q51/Q64 KMS Decrypt invoked by S3 counts as the role's kms:Decrypt",
    input: ev('kms.amazonaws.com', 'Decrypt', {
      invokedBy: 's3.amazonaws.com',
      requestParameters: {},
      resources: [{ ARN: 'arn:aws:kms:us-east-1:111111111111:key/k1', type: 'AWS::KMS::Key' }],
    }),
    actions: ['kms:Decrypt'],
    resources: { 'kms:Decrypt': ['arn:aws:kms:us-east-1:111111111111:key/k1'] },
    note: /forward access session/,
  },
  {
    name: 'Q64 invokedBy of other services is noted',
    input: ev('ec2.amazonaws.com', 'CreateNetworkInterface', {
      invokedBy: 'lambda.amazonaws.com',
      requestParameters: {},
    }),
    actions: ['ec2:CreateNetworkInterface'],
    note: /invoked by lambda.amazonaws.com/,
  },
  {
    name: 'Q66 a role hidden by CloudTrail -> unscoped PassRole',
    input: ev('lambda.amazonaws.com', 'CreateFunction', {
      requestParameters: { role: 'HIDDEN_DUE_TO_SECURITY_REASONS' },
    }),
    actions: ['iam:PassRole', 'lambda:CreateFunction'],
    resources: { 'iam:PassRole': null },
    note: /hidden/,
  },
]

const PERMISSIONLESS_CASES: Case[] = [
  ...['GetCallerIdentity', 'GetSessionToken'].map((name) => ({
    name: `Q53 sts ${name} needs no permission`,
    input: ev('sts.amazonaws.com', name),
    status: 'permissionless' as const,
  })),
  {
    name: 'Q53 dynamodb DescribeEndpoints needs no permission',
    input: ev('dynamodb.amazonaws.com', 'DescribeEndpoints'),
    status: 'permissionless',
  },
  ...['ConsoleLogin', 'CheckMfa', 'SwitchRole', 'ExitRole', 'RenewRole'].map((name) => ({
    name: `Q54 signin ${name} is not an IAM action`,
    input: ev('signin.amazonaws.com', name),
    status: 'permissionless' as const,
  })),
  {
    name: 'Q55 AssumeRoleWithWebIdentity is authorised by the trust policy alone',
    input: ev('sts.amazonaws.com', 'AssumeRoleWithWebIdentity'),
    status: 'permissionless',
  },
  {
    name: 'Q68 Identity Center portal GetRoleCredentials uses a bearer token',
    input: ev('sso.amazonaws.com', 'GetRoleCredentials'),
    status: 'permissionless',
  },
  {
    name: 'AwsServiceEvent records are not calls (EC2 SharedSnapshotVolumeCreated)',
    input: ev('ec2.amazonaws.com', 'SharedSnapshotVolumeCreated'),
    status: 'permissionless',
  },
  {
    name: 'eventType AwsServiceEvent is never attributed as use',
    input: ev('kms.amazonaws.com', 'CreateKey', { eventType: 'AwsServiceEvent' }),
    status: 'permissionless',
  },
]

const STS_CASES: Case[] = [
  {
    name: 'Q55 sts:AssumeRole is scoped to the target role from resources[]',
    input: ev('sts.amazonaws.com', 'AssumeRole', {
      requestParameters: { roleArn: ROLE },
      resources: [{ ARN: ROLE, type: 'AWS::IAM::Role' }],
    }),
    actions: ['sts:AssumeRole'],
    resources: { 'sts:AssumeRole': [ROLE] },
  },
  {
    name: 'Q55 AssumeRole with session tags -> sts:TagSession too',
    input: ev('sts.amazonaws.com', 'AssumeRole', {
      requestParameters: { tags: [{ key: 'team', value: 'x' }] },
    }),
    actions: ['sts:AssumeRole', 'sts:TagSession'],
  },
  {
    name: 'Q55 AssumeRole with a source identity -> sts:SetSourceIdentity too',
    input: ev('sts.amazonaws.com', 'AssumeRole', {
      requestParameters: { sourceIdentity: 'alice' },
    }),
    actions: ['sts:AssumeRole', 'sts:SetSourceIdentity'],
  },
]

const NEVER_GUESS_CASES: Case[] = [
  {
    name: 'Q73 an unknown S3 operation is unmapped, not s3:<Name>',
    input: s3('FrobnicateBucket'),
    status: 'unmapped',
  },
  {
    name: 'Q73 an unknown service is unmapped',
    input: ev('nosuchservice.amazonaws.com', 'DoThing'),
    status: 'unmapped',
    note: /no IAM service 'nosuchservice'/,
  },
  {
    name: 'Q77 overrides are keyed by eventSource, so S3 Control calls (logged as s3) are told apart by request shape',
    input: s3('GetPublicAccessBlock', {}),
    actions: ['s3:GetAccountPublicAccessBlock'],
  },
]

describe('mapper: every quirk of the shared notes it owns', () => {
  let mapper: ActionMapper
  beforeAll(async () => {
    mapper = createActionMapper(await loadCatalog())
  })

  const groups = {
    'eventSource -> IAM prefix': EVENT_SOURCE_CASES,
    'S3 names and shapes': S3_CASES,
    'other services': OTHER_SERVICE_CASES,
    'version-dated event names': VERSION_CASES,
    'dependent permissions from the request': DEPENDENT_CASES,
    'no permission needed': PERMISSIONLESS_CASES,
    'STS companions': STS_CASES,
    'never guess': NEVER_GUESS_CASES,
  }
  for (const [group, cases] of Object.entries(groups)) {
    describe(group, () => {
      it.each(cases)('$name', (c) => {
        const result = mapper.map(c.input)
        expect(result.status).toBe(c.status ?? 'mapped')
        const names = actionNames(result)
        if (c.actions) expect(names).toEqual([...c.actions].sort())
        for (const action of c.includes ?? []) expect(names).toContain(action)
        for (const action of c.excludes ?? []) expect(names).not.toContain(action)
        for (const [action, resources] of Object.entries(c.resources ?? {})) {
          const mapped = result.actions.find((a) => a.action === action)
          expect(mapped, action).toBeDefined()
          expect(mapped?.resources ?? null).toEqual(
            resources === null ? null : [...resources].sort(),
          )
        }
        if (c.note) {
          const notes = [result.note, ...result.actions.map((a) => a.note)].join(' | ')
          expect(notes).toMatch(c.note)
        }
        if (result.status !== 'mapped') expect(result.actions).toEqual([])
      })
    })
  }
})
