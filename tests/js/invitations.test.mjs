// The AWS SDK for JavaScript v3 against the real partnercentral-local binary: an AWS referral
// (Sandbox) is listed, read and accepted into the pipeline, or rejected (issue 9).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import {
  PartnerCentralSellingClient,
  CreateOpportunityCommand,
  GetOpportunityCommand,
  GetAwsOpportunitySummaryCommand,
  ListEngagementInvitationsCommand,
  GetEngagementInvitationCommand,
  StartEngagementByAcceptingInvitationTaskCommand,
  ListEngagementByAcceptingInvitationTasksCommand,
  RejectEngagementInvitationCommand,
  AcceptEngagementInvitationCommand,
  ResourceNotFoundException,
  ConflictException,
} from '@aws-sdk/client-partnercentral-selling';

const here = path.dirname(fileURLToPath(import.meta.url));
const bin = process.env.PARTNERCENTRAL_LOCAL_BIN ?? path.join(here, '..', '..', 'target', 'debug', 'partnercentral-local');
const DAY_MS = 86_400_000;
let server;
let url;
const clients = [];

before(async () => {
  server = spawn(bin, ['serve', '--listen', '127.0.0.1:0', '--in-memory'], { stdio: ['ignore', 'ignore', 'pipe'] });
  const lines = createInterface({ input: server.stderr });
  url = await new Promise((resolve, reject) => {
    lines.on('line', (line) => {
      const m = line.match(/listening on (http:\/\/\S+)/);
      if (m) resolve(m[1]);
    });
    server.on('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });
});

after(() => {
  for (const c of clients) c.destroy();
  server?.kill('SIGTERM');
});

/** A client signing as `account` (a 12-digit access key is the account id). */
function clientFor(account) {
  const c = new PartnerCentralSellingClient({
    region: 'us-east-1',
    endpoint: url,
    credentials: { accessKeyId: account, secretAccessKey: 'local' },
    maxAttempts: 1,
  });
  clients.push(c);
  return c;
}

const problem = 'The customer runs out of capacity every quarter end.';

/** CreateOpportunity's members for an AWS referral with the given project title. */
const referral = (title) => ({
  Catalog: 'Sandbox',
  Origin: 'AWS Referral',
  ClientToken: randomUUID(),
  Customer: {
    Account: {
      CompanyName: 'Acme Corp',
      Industry: 'Software and Internet',
      WebsiteUrl: 'https://acme.example.com',
      Address: { CountryCode: 'US', PostalCode: '98101', City: 'Seattle' },
    },
    Contacts: [{ Email: 'ann@acme.example.com', FirstName: 'Ann', LastName: 'Lee', BusinessTitle: 'CTO' }],
  },
  Project: {
    Title: title,
    CustomerBusinessProblem: problem,
    ExpectedCustomerSpend: [{ Amount: '5000', CurrencyCode: 'USD', Frequency: 'Monthly', TargetCompany: 'AWS' }],
  },
  LifeCycle: { Stage: 'Prospect', NextSteps: 'Schedule a discovery call', TargetCloseDate: '2029-06-30' },
});

/** What the Postman demo sends: the PENDING invitations received, newest first. */
const listPending = (client) => client.send(new ListEngagementInvitationsCommand({
  Catalog: 'Sandbox',
  ParticipantType: 'RECEIVER',
  Status: ['PENDING'],
  Sort: { SortBy: 'InvitationDate', SortOrder: 'DESCENDING' },
  MaxResults: 20,
}));

test('an AWS referral is listed, read and accepted into the pipeline', async () => {
  const client = clientFor('111111111111');
  const before = Date.now();
  const { Id: id } = await client.send(new CreateOpportunityCommand(referral('Data platform migration')));
  const after = Date.now();
  assert.match(id, /^O\d+$/);
  await assert.rejects(
    client.send(new GetOpportunityCommand({ Catalog: 'Sandbox', Identifier: id })),
    (e) => e instanceof ResourceNotFoundException && e.$metadata.httpStatusCode === 400,
    'nothing is in the pipeline before acceptance',
  );

  const list = await listPending(client);
  assert.equal(list.EngagementInvitationSummaries.length, 1);
  assert.equal(list.NextToken, undefined);
  const summary = list.EngagementInvitationSummaries[0];
  assert.match(summary.Id, /^engi-[0-9a-z]{13}$/);
  assert.equal(summary.Arn, `arn:aws:partnercentral:us-east-1::catalog/Sandbox/engagement-invitation/${summary.Id}`);
  assert.match(summary.EngagementId, /^eng-[0-9a-z]{14}$/);
  assert.equal(summary.Catalog, 'Sandbox');
  assert.equal(summary.Status, 'PENDING');
  assert.equal(summary.PayloadType, 'OpportunityInvitation');
  assert.equal(summary.ParticipantType, 'RECEIVER');
  assert.equal(summary.SenderAwsAccountId, 'aws');
  assert.equal(summary.SenderCompanyName, 'AWS');
  assert.equal(summary.EngagementTitle, 'Data platform migration');
  assert.equal(summary.Receiver.Account.AwsAccountId, '111111111111');
  assert.ok(summary.InvitationDate instanceof Date);
  assert.ok(summary.InvitationDate.getTime() >= before && summary.InvitationDate.getTime() <= after,
    `InvitationDate ${summary.InvitationDate.toISOString()} is not the referral time`);

  const inv = await client.send(new GetEngagementInvitationCommand({ Catalog: 'Sandbox', Identifier: summary.Arn }));
  assert.equal(inv.Id, summary.Id);
  assert.equal(inv.Arn, summary.Arn);
  assert.equal(inv.Status, 'PENDING');
  assert.equal(inv.EngagementId, summary.EngagementId);
  assert.equal(inv.EngagementDescription, problem);
  assert.equal(inv.SenderCompanyName, 'AWS');
  assert.equal(inv.RejectionReason, undefined);
  assert.equal(inv.ExpirationDate.getTime() - inv.InvitationDate.getTime(), 15 * DAY_MS);
  assert.deepEqual(inv.ExistingMembers, [{ CompanyName: 'AWS', WebsiteUrl: 'www.aws.com' }]);
  assert.deepEqual(inv.Payload.OpportunityInvitation.Customer, {
    CompanyName: 'Acme Corp', CountryCode: 'US', Industry: 'Software and Internet', WebsiteUrl: 'https://acme.example.com',
  });
  assert.equal(inv.Payload.OpportunityInvitation.Project.Title, 'Data platform migration');
  assert.equal(JSON.stringify(inv).includes('Seattle'), false, 'the address is withheld until acceptance');
  assert.equal(JSON.stringify(inv).includes('ann@acme.example.com'), false, 'contacts are withheld until acceptance');

  // Another account does not see it.
  await assert.rejects(
    clientFor('222222222222').send(new GetEngagementInvitationCommand({ Catalog: 'Sandbox', Identifier: inv.Id })),
    (e) => e instanceof ResourceNotFoundException,
  );

  const task = await client.send(new StartEngagementByAcceptingInvitationTaskCommand({
    Catalog: 'Sandbox', Identifier: summary.Arn, ClientToken: randomUUID(),
  }));
  assert.equal(task.TaskStatus, 'COMPLETE');
  assert.equal(task.OpportunityId, id);
  assert.equal(task.EngagementInvitationId, inv.Id);
  assert.match(task.TaskId, /^task-[0-9a-z]{13}$/);
  assert.equal(task.TaskArn,
    `arn:aws:partnercentral:us-east-1::catalog/Sandbox/engagement-by-accepting-invitation-task/${task.TaskId}`);
  assert.match(task.ResourceSnapshotJobId, /^job-[0-9a-z]{13}$/);
  assert.ok(task.StartTime instanceof Date);

  const opp = await client.send(new GetOpportunityCommand({ Catalog: 'Sandbox', Identifier: id }));
  assert.equal(opp.Id, id);
  assert.equal(opp.LifeCycle.ReviewStatus, 'Approved');
  assert.equal(opp.LifeCycle.Stage, 'Prospect');
  assert.equal(opp.Customer.Account.Address.City, 'Seattle');
  assert.equal(opp.Customer.Contacts[0].Email, 'ann@acme.example.com');
  assert.ok(opp.CreatedDate.getTime() >= before && opp.CreatedDate.getTime() <= after,
    `CreatedDate ${opp.CreatedDate.toISOString()} is not the referral time`);

  const aws = await client.send(new GetAwsOpportunitySummaryCommand({ Catalog: 'Sandbox', RelatedOpportunityIdentifier: id }));
  assert.equal(aws.Origin, 'AWS Referral');
  assert.equal(aws.RelatedOpportunityId, id);

  const tasks = await client.send(new ListEngagementByAcceptingInvitationTasksCommand({ Catalog: 'Sandbox' }));
  assert.equal(tasks.TaskSummaries.length, 1);
  assert.equal(tasks.TaskSummaries[0].TaskId, task.TaskId);
  assert.equal(tasks.TaskSummaries[0].TaskStatus, 'COMPLETE');
  assert.equal(tasks.TaskSummaries[0].OpportunityId, id);

  const accepted = await client.send(new GetEngagementInvitationCommand({ Catalog: 'Sandbox', Identifier: inv.Id }));
  assert.equal(accepted.Status, 'ACCEPTED');
  assert.equal((await listPending(client)).EngagementInvitationSummaries.length, 0);
});

test('a rejected referral cannot be accepted later', async () => {
  const client = clientFor('444444444444');
  const { Id: id } = await client.send(new CreateOpportunityCommand(referral('Analytics modernisation')));
  const [summary] = (await listPending(client)).EngagementInvitationSummaries;
  assert.equal(summary.EngagementTitle, 'Analytics modernisation');

  const out = await client.send(new RejectEngagementInvitationCommand({
    Catalog: 'Sandbox', Identifier: summary.Arn, RejectionReason: 'Next steps unclear',
  }));
  assert.equal(out.$metadata.httpStatusCode, 200);
  const inv = await client.send(new GetEngagementInvitationCommand({ Catalog: 'Sandbox', Identifier: summary.Id }));
  assert.equal(inv.Status, 'REJECTED');
  assert.equal(inv.RejectionReason, 'Next steps unclear');
  assert.equal((await listPending(client)).EngagementInvitationSummaries.length, 0);

  await assert.rejects(
    client.send(new StartEngagementByAcceptingInvitationTaskCommand({
      Catalog: 'Sandbox', Identifier: summary.Id, ClientToken: randomUUID(),
    })),
    (e) => e instanceof ConflictException && e.$metadata.httpStatusCode === 400,
  );
  await assert.rejects(
    client.send(new AcceptEngagementInvitationCommand({ Catalog: 'Sandbox', Identifier: summary.Id })),
    (e) => e instanceof ConflictException,
  );
  await assert.rejects(
    client.send(new GetOpportunityCommand({ Catalog: 'Sandbox', Identifier: id })),
    (e) => e instanceof ResourceNotFoundException,
  );
  const tasks = await client.send(new ListEngagementByAcceptingInvitationTasksCommand({ Catalog: 'Sandbox' }));
  assert.deepEqual(tasks.TaskSummaries, []);
});
