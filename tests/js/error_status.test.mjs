// `serve --error-status aws|model` with the AWS SDK for JavaScript v3: the status each modeled
// error has on the wire in each mode (400 as AWS sends it, or the Smithy model's), the
// X-Amzn-Errortype header AWS sends, the typed exception the SDK raises either way, and its
// retries of a ThrottlingException (standard mode, 3 attempts counted at the server) whatever
// its status.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import {
  PartnerCentralSellingClient,
  CreateOpportunityCommand,
  GetOpportunityCommand,
  ListSolutionsCommand,
  StartEngagementFromOpportunityTaskCommand,
  AccessDeniedException,
  ConflictException,
  InternalServerException,
  ResourceNotFoundException,
  ServiceQuotaExceededException,
  ThrottlingException,
  ValidationException,
} from '@aws-sdk/client-partnercentral-selling';

const here = path.dirname(fileURLToPath(import.meta.url));
const bin = process.env.PARTNERCENTRAL_LOCAL_BIN ?? path.join(here, '..', '..', 'target', 'debug', 'partnercentral-local');
const CORAL_SUFFIX = ':http://internal.amazon.com/coral/com.amazon.partnerintegrationapi.common/';

// error -> [status with --error-status aws, status with --error-status model]
const STATUS = {
  ValidationException: [400, 400],
  AccessDeniedException: [400, 403],
  ResourceNotFoundException: [400, 404],
  ConflictException: [400, 409],
  ServiceQuotaExceededException: [400, 402],
  ThrottlingException: [400, 429],
  InternalServerException: [500, 500],
};
const MODES = ['aws', 'model'];
const want = (error, mode) => STATUS[error][MODES.indexOf(mode)];

const servers = {};

function start(args) {
  const proc = spawn(bin, ['serve', '--listen', '127.0.0.1:0', '--in-memory', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  const lines = createInterface({ input: proc.stderr });
  return new Promise((resolve, reject) => {
    lines.on('line', (line) => {
      const m = line.match(/listening on (http:\/\/\S+)/);
      if (m) resolve({ proc, url: m[1] });
    });
    proc.on('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });
}

before(async () => {
  servers.aws = await start([]);
  servers.model = await start(['--error-status', 'model']);
});

after(() => {
  for (const s of Object.values(servers)) s.proc.kill('SIGTERM');
});

let nextAccount = 300000000000;
const freshAccount = () => String(nextAccount++);

function sdk(url, account, maxAttempts = 1) {
  return new PartnerCentralSellingClient({
    region: 'us-east-1',
    endpoint: url,
    credentials: { accessKeyId: account, secretAccessKey: 'local' },
    maxAttempts,
  });
}

async function admin(url, method, p, body) {
  const resp = await fetch(`${url}/_admin${p}`, {
    method, body: body === undefined ? undefined : JSON.stringify(body),
  });
  return [resp.status, await resp.json()];
}

async function fault(url, operation, error, accountId, count = 1) {
  const [status, rule] = await admin(url, 'POST', '/faults', { operation, error, accountId, count });
  assert.equal(status, 200, JSON.stringify(rule));
  return rule.id;
}

async function usesLeft(url, id) {
  const [, { faults }] = await admin(url, 'GET', '/faults');
  return faults.find((r) => r.id === id)?.count ?? 0;
}

async function raw(url, account, operation, body) {
  const resp = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-amz-json-1.0',
      'x-amz-target': `AWSPartnerCentralSelling.${operation}`,
      authorization: `AWS4-HMAC-SHA256 Credential=${account}/20260101/us-east-1/partnercentral-selling/aws4_request, SignedHeaders=host, Signature=00`,
    },
    body: JSON.stringify(body),
  });
  return { status: resp.status, errorType: resp.headers.get('x-amzn-errortype'), body: await resp.json() };
}

function checkWire({ status, errorType, body }, error, expected) {
  assert.equal(status, expected, `${error}: ${JSON.stringify(body)}`);
  assert.equal(body.__type, `com.amazonaws.partnercentralselling#${error}`);
  assert.equal(errorType, error + CORAL_SUFFIX);
}

const typed = (cls, status) => (e) => {
  assert.ok(e instanceof cls, `${e.name} is not a ${cls.name}`);
  assert.equal(e.name, cls.name);
  assert.equal(e.$metadata.httpStatusCode, status);
  return true;
};

for (const mode of MODES) {
  test(`${mode}: errors the service produces keep their types`, async () => {
    const { url } = servers[mode];
    const account = freshAccount();
    const c = sdk(url, account);
    await assert.rejects(
      c.send(new GetOpportunityCommand({ Catalog: 'AWS', Identifier: 'not-an-id' })),
      typed(ValidationException, 400),
    );
    const unknown = { Catalog: 'AWS', Identifier: 'O999999999' };
    await assert.rejects(
      c.send(new GetOpportunityCommand(unknown)),
      typed(ResourceNotFoundException, want('ResourceNotFoundException', mode)),
    );
    checkWire(await raw(url, account, 'GetOpportunity', unknown), 'ResourceNotFoundException',
      want('ResourceNotFoundException', mode));
    c.destroy();
  });

  test(`${mode}: every injected modeled error keeps its type`, async () => {
    const { url } = servers[mode];
    const account = freshAccount();
    const c = sdk(url, account);
    for (const [error, cls] of [
      ['AccessDeniedException', AccessDeniedException],
      ['ResourceNotFoundException', ResourceNotFoundException],
      ['ThrottlingException', ThrottlingException],
      ['InternalServerException', InternalServerException],
    ]) {
      await fault(url, 'ListSolutions', error, account);
      await assert.rejects(c.send(new ListSolutionsCommand({ Catalog: 'AWS' })), typed(cls, want(error, mode)));
      await fault(url, 'ListSolutions', error, account);
      checkWire(await raw(url, account, 'ListSolutions', { Catalog: 'AWS' }), error, want(error, mode));
    }
    // Injected into operations that model them: the status is chosen where every error is
    // written, whoever raised it.
    await fault(url, 'CreateOpportunity', 'ConflictException', account);
    await assert.rejects(
      c.send(new CreateOpportunityCommand({ Catalog: 'AWS', ClientToken: 'token-1' })),
      typed(ConflictException, want('ConflictException', mode)),
    );
    await fault(url, 'StartEngagementFromOpportunityTask', 'ServiceQuotaExceededException', account);
    await assert.rejects(
      c.send(new StartEngagementFromOpportunityTaskCommand({
        Catalog: 'AWS', Identifier: 'O1', AwsSubmission: { InvolvementType: 'Co-Sell' },
      })),
      typed(ServiceQuotaExceededException, want('ServiceQuotaExceededException', mode)),
    );
    c.destroy();
  });

  test(`${mode}: a throttle is retried (standard mode, 3 attempts), a client error is not`, async () => {
    const { url } = servers[mode];
    const account = freshAccount();
    const c = sdk(url, account, 3);
    let rule = await fault(url, 'ListSolutions', 'ThrottlingException', account, 10);
    await assert.rejects(c.send(new ListSolutionsCommand({ Catalog: 'AWS' })), (e) => {
      typed(ThrottlingException, want('ThrottlingException', mode))(e);
      assert.equal(e.$metadata.attempts, 3);
      return true;
    });
    assert.equal(10 - await usesLeft(url, rule), 3, 'the server saw 3 attempts');
    await admin(url, 'DELETE', `/faults/${rule}`);

    rule = await fault(url, 'ListSolutions', 'ThrottlingException', account, 2);
    const out = await c.send(new ListSolutionsCommand({ Catalog: 'AWS' }));
    assert.ok(out.SolutionSummaries.length > 0);
    assert.equal(out.$metadata.attempts, 3);
    assert.equal(await usesLeft(url, rule), 0);

    rule = await fault(url, 'ListSolutions', 'ResourceNotFoundException', account, 10);
    await assert.rejects(c.send(new ListSolutionsCommand({ Catalog: 'AWS' })),
      typed(ResourceNotFoundException, want('ResourceNotFoundException', mode)));
    assert.equal(10 - await usesLeft(url, rule), 1, 'a client error is sent once');
    c.destroy();
  });
}
