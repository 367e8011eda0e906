// SearchOpportunities from JavaScript against the real partnercentral-local binary, with
// signatures verified (--credentials). @aws-sdk/client-partnercentral-selling 3.1124.0, the
// newest on npm, has no SearchOpportunitiesCommand: the request is signed by the SDK's own
// signer (@smithy/signature-v4, a dependency of the client) and sent with fetch, in the SDK's
// wire form (awsJson 1.0); the opportunities are made with the client's own commands.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { createHash, createHmac } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { SignatureV4 } from '@smithy/signature-v4';
import {
  PartnerCentralSellingClient,
  CreateOpportunityCommand,
  TagResourceCommand,
} from '@aws-sdk/client-partnercentral-selling';

const here = path.dirname(fileURLToPath(import.meta.url));
const bin = process.env.PARTNERCENTRAL_LOCAL_BIN ?? path.join(here, '..', '..', 'target', 'debug', 'partnercentral-local');
const A = '111111111111';
const B = '222222222222';
const KEYS = { [A]: ['AKIDSEARCHA', 'secret-a'], [B]: ['AKIDSEARCHB', 'secret-b'] };
let server;
let url;
const clients = [];

before(async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'pcl-js-'));
  const creds = path.join(dir, 'credentials.json');
  writeFileSync(creds, JSON.stringify({
    credentials: Object.entries(KEYS).map(([accountId, [accessKeyId, secretAccessKey]]) =>
      ({ accessKeyId, secretAccessKey, accountId })),
  }));
  server = spawn(bin, ['serve', '--listen', '127.0.0.1:0', '--in-memory', '--business-rules', 'off',
    '--credentials', creds], { stdio: ['ignore', 'ignore', 'pipe'] });
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

function credentials(account) {
  const [accessKeyId, secretAccessKey] = KEYS[account];
  return { accessKeyId, secretAccessKey };
}

function clientFor(account) {
  const c = new PartnerCentralSellingClient({
    region: 'us-east-1', endpoint: url, credentials: credentials(account), maxAttempts: 1,
  });
  clients.push(c);
  return c;
}

/** SHA-256 as @smithy/signature-v4 wants it (what @smithy/hash-node does). */
class Sha256 {
  constructor(secret) { this.h = secret ? createHmac('sha256', secret) : createHash('sha256'); }
  update(data) { this.h.update(data); }
  async digest() { return new Uint8Array(this.h.digest()); }
}

/** One awsJson 1.0 call signed by the SDK's signer: [status, parsed body]. */
async function call(account, operation, input) {
  const u = new URL(url);
  const body = JSON.stringify({ Catalog: 'Sandbox', ...input });
  const signer = new SignatureV4({
    service: 'partnercentral-selling', region: 'us-east-1', credentials: credentials(account), sha256: Sha256,
  });
  const signed = await signer.sign({
    method: 'POST', protocol: u.protocol, hostname: u.hostname, port: Number(u.port), path: '/',
    headers: {
      host: u.host,
      'content-type': 'application/x-amz-json-1.0',
      'x-amz-target': `AWSPartnerCentralSelling.${operation}`,
    },
    body,
  });
  const resp = await fetch(`${url}/`, { method: 'POST', headers: signed.headers, body });
  return [resp.status, await resp.json()];
}

async function search(account, input) {
  const [status, body] = await call(account, 'SearchOpportunities', input);
  assert.equal(status, 200, JSON.stringify(body));
  return body;
}

const ids = (page) => page.OpportunitySearchSummaries.map((x) => x.Id);
const eq = (Key, StringValue) => ({ EqualsTo: { Key, Value: { StringValue } } });

async function create(client, title, company, stage) {
  const out = await client.send(new CreateOpportunityCommand({
    Catalog: 'Sandbox',
    Customer: { Account: { CompanyName: company, Industry: 'Software and Internet',
      WebsiteUrl: 'https://example.com', Address: { CountryCode: 'DE' } } },
    Project: { Title: title, CustomerBusinessProblem: 'Quarter-end reports take three days to produce.' },
    LifeCycle: { Stage: stage, TargetCloseDate: '2030-06-30' },
  }));
  return out.Id;
}

test('keyword, filter tree, sort and pages answer exact ids, signed by the SDK signer', async () => {
  const a = clientFor(A);
  const o1 = await create(a, 'Data platform migration', 'Acme Corp', 'Prospect');
  const o2 = await create(a, 'Plant analytics', 'Globex', 'Qualified');
  const o3 = await create(a, 'Acme lookalike', 'Initech', 'Prospect');
  await a.send(new TagResourceCommand({
    ResourceArn: `arn:aws:partnercentral:us-east-1:${A}:catalog/Sandbox/opportunity/${o2}`,
    Tags: [{ Key: 'Team', Value: 'EMEA' }],
  }));
  await create(clientFor(B), 'Acme elsewhere', 'Acme Corp', 'Prospect');

  const asc = { SortBy: 'OpportunityId', SortOrder: 'ASCENDING' };
  assert.deepEqual(ids(await search(A, { Keyword: 'ACME', Sort: asc })), [o1, o3]);
  assert.deepEqual(ids(await search(A, {
    Keyword: 'acme', Filter: eq('Stage', 'prospect'),
    Sort: { SortBy: 'CustomerCompanyName', SortOrder: 'DESCENDING' },
  })), [o3, o1]);
  assert.deepEqual(ids(await search(A, {
    Filter: { OrAllFilters: [eq('Tags', 'Team:EMEA'), { NotFilter: eq('Stage', 'Prospect') }] },
  })), [o2]);
  assert.deepEqual(ids(await search(A, {
    Filter: { GreaterThanOrEquals: { Key: 'EstimatedMrr', Value: { DoubleValue: 0 } } },
  })), []);
  const item = (await search(A, { Filter: eq('OpportunityId', o2) })).OpportunitySearchSummaries[0];
  assert.deepEqual(item.Tags, [{ Key: 'Team', Value: 'EMEA' }]);
  assert.equal(item.Customer.Account.CompanyName, 'Globex');
  assert.equal(item.AwsOpportunitySummary, undefined);

  const seen = [];
  let NextToken;
  do {
    const page = await search(A, { MaxResults: 2, ...(NextToken ? { NextToken } : {}) });
    seen.push(...ids(page));
    NextToken = page.NextToken;
  } while (NextToken);
  assert.deepEqual(seen, [o3, o2, o1]);
  assert.equal(ids(await search(B, { Keyword: 'Data platform' })).length, 0);
});

test('a bad signature, a refused tree and a switched-off feature answer their errors', async () => {
  const [status, body] = await call(A, 'SearchOpportunities', {
    Filter: { EqualsTo: { Key: 'CreatedDate', Value: { DoubleValue: 1.5 } } },
  });
  assert.equal(status, 400);
  assert.match(body.__type, /#ValidationException$/);
  assert.equal(body.ErrorList[0].FieldName, 'Filter.EqualsTo.Value.DoubleValue');

  const resp = await fetch(`${url}/`, {
    method: 'POST', body: '{"Catalog":"Sandbox"}',
    headers: { 'content-type': 'application/x-amz-json-1.0',
      'x-amz-target': 'AWSPartnerCentralSelling.SearchOpportunities' },
  });
  assert.equal(resp.status, 403);

  const put = await fetch(`${url}/_admin/accounts/${A}/features/SearchOpportunities`, {
    method: 'PUT', body: JSON.stringify({ enabled: false }),
  });
  assert.equal(put.status, 200);
  const [denied, why] = await call(A, 'SearchOpportunities', {});
  assert.equal(denied, 400);
  assert.match(why.__type, /#AccessDeniedException$/);
  assert.equal(why.Reason, 'SEARCH_OPPORTUNITIES_NOT_ENABLED');
  await fetch(`${url}/_admin/accounts/${A}/features`, { method: 'DELETE' });
  assert.equal((await call(A, 'SearchOpportunities', {}))[0], 200);
});
