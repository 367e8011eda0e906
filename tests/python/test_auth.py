"""Signature verification (--credentials) and account derivation, through boto3, the CLI and
hand-made requests."""
import datetime
import hashlib
import hmac
import json
import os
import subprocess

import pytest

from conftest import Server, opportunity_input

CREDS = {"credentials": [
    {"accessKeyId": "AKIDALICE", "secretAccessKey": "alice-secret", "accountId": "333333333333"},
    {"accessKeyId": "AKIDSANDBOX", "secretAccessKey": "sandbox-secret", "accountId": "333333333333",
     "allow": {"actions": ["ListSolutions", "GetOpportunity"], "catalogs": ["Sandbox"]}},
    {"accessKeyId": "ASIATEMP", "secretAccessKey": "temp-secret", "accountId": "444444444444",
     "sessionToken": "session-token-value"},
]}


@pytest.fixture(scope="module")
def verifying(tmp_path_factory):
    path = tmp_path_factory.mktemp("creds") / "credentials.json"
    path.write_text(json.dumps(CREDS))
    s = Server("--in-memory", "--credentials", str(path)).start()
    yield s
    assert s.stop() == 0


def code_of(excinfo):
    return excinfo.value.response["Error"]["Code"]


def test_valid_signatures_are_accepted_and_name_the_account(verifying):
    c = verifying.client(account="AKIDALICE", secret="alice-secret")
    oid = c.create_opportunity(Catalog="AWS", ClientToken="a", **opportunity_input())["Id"]
    assert ":333333333333:" in c.get_opportunity(Catalog="AWS", Identifier=oid)["Arn"]


def test_session_tokens_are_checked(verifying):
    ok = verifying.client(account="ASIATEMP", secret="temp-secret", token="session-token-value")
    assert ok.list_solutions(Catalog="AWS")["SolutionSummaries"]
    bad = verifying.client(account="ASIATEMP", secret="temp-secret", token="other")
    with pytest.raises(bad.exceptions.ClientError) as e:
        bad.list_solutions(Catalog="AWS")
    assert code_of(e) == "UnrecognizedClientException"


def test_wrong_secret_is_an_invalid_signature(verifying):
    c = verifying.client(account="AKIDALICE", secret="wrong")
    with pytest.raises(c.exceptions.ClientError) as e:
        c.list_solutions(Catalog="AWS")
    assert code_of(e) == "InvalidSignatureException"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403


def test_unknown_key_is_unrecognized(verifying):
    c = verifying.client(account="AKIDNOBODY", secret="x")
    with pytest.raises(c.exceptions.ClientError) as e:
        c.list_solutions(Catalog="AWS")
    assert code_of(e) == "UnrecognizedClientException"


def test_unsigned_request_is_missing_a_token(verifying):
    status, headers, body = verifying.call("ListSolutions", {"Catalog": "AWS"})
    assert status == 403 and body["__type"].endswith("#MissingAuthenticationTokenException")


def test_allow_lists_deny_actions_and_catalogs(verifying):
    c = verifying.client(account="AKIDSANDBOX", secret="sandbox-secret")
    assert c.list_solutions(Catalog="Sandbox")["SolutionSummaries"]
    with pytest.raises(c.exceptions.AccessDeniedException):
        c.list_solutions(Catalog="AWS")
    with pytest.raises(c.exceptions.AccessDeniedException):
        c.create_opportunity(Catalog="Sandbox", ClientToken="x")


def sign(body, secret="alice-secret", key="AKIDALICE", when=None, service="partnercentral-selling",
         host=None, region="us-east-1", target="ListSolutions", tamper=None):
    when = when or datetime.datetime.now(datetime.timezone.utc)
    amz = when.strftime("%Y%m%dT%H%M%SZ")
    date = amz[:8]
    headers = {"content-type": "application/x-amz-json-1.0", "host": host,
               "x-amz-date": amz, "x-amz-target": f"AWSPartnerCentralSelling.{target}"}
    signed = ";".join(sorted(headers))
    canonical = "\n".join(["POST", "/", ""] + [f"{k}:{headers[k]}" for k in sorted(headers)] +
                          ["", signed, hashlib.sha256(body).hexdigest()])
    scope = f"{date}/{region}/{service}/aws4_request"
    sts = "\n".join(["AWS4-HMAC-SHA256", amz, scope, hashlib.sha256(canonical.encode()).hexdigest()])
    k = f"AWS4{secret}".encode()
    for part in (date, region, service, "aws4_request"):
        k = hmac.new(k, part.encode(), hashlib.sha256).digest()
    sig = hmac.new(k, sts.encode(), hashlib.sha256).hexdigest()
    out = {k2: v for k2, v in headers.items() if k2 != "host"}
    out["Authorization"] = f"AWS4-HMAC-SHA256 Credential={key}/{scope}, SignedHeaders={signed}, Signature={sig}"
    return out


def test_hand_signed_request_is_accepted(verifying):
    body = b'{"Catalog": "AWS"}'
    status, _, _ = verifying.raw(body, sign(body, host=f"127.0.0.1:{verifying.port}"))
    assert status == 200


@pytest.mark.parametrize("case,expected", [
    ("expired", "InvalidSignatureException"),
    ("future", "InvalidSignatureException"),
    ("wrong_service", "InvalidSignatureException"),
    ("changed_body", "InvalidSignatureException"),
    ("wrong_host", "InvalidSignatureException"),
    ("no_signature", "IncompleteSignatureException"),
])
def test_signature_edge_cases_are_refused(verifying, case, expected):
    body = b'{"Catalog": "AWS"}'
    host = f"127.0.0.1:{verifying.port}"
    now = datetime.datetime.now(datetime.timezone.utc)
    kwargs = {"host": host}
    if case == "expired":
        kwargs["when"] = now - datetime.timedelta(minutes=20)
    if case == "future":
        kwargs["when"] = now + datetime.timedelta(minutes=20)
    if case == "wrong_service":
        kwargs["service"] = "s3"
    if case == "wrong_host":
        kwargs["host"] = "127.0.0.1:1"
    headers = sign(body, **kwargs)
    if case == "changed_body":
        body = b'{"Catalog": "Sandbox"}'
    if case == "no_signature":
        headers["Authorization"] = headers["Authorization"].split(", Signature=")[0]
    status, _, resp = verifying.raw(body, headers)
    assert resp["__type"].split("#")[1] == expected, resp
    assert status in (400, 403)


def test_the_cli_signs_in_a_way_the_server_verifies(verifying):
    env = dict(os.environ, AWS_ACCESS_KEY_ID="AKIDALICE", AWS_SECRET_ACCESS_KEY="alice-secret",
               AWS_DEFAULT_REGION="eu-west-2", AWS_MAX_ATTEMPTS="1")
    p = subprocess.run(["aws", "partnercentral-selling", "list-solutions", "--catalog", "AWS",
                        "--endpoint-url", verifying.url], capture_output=True, text=True, env=env)
    assert p.returncode == 0, p.stderr
    env["AWS_SECRET_ACCESS_KEY"] = "wrong"
    p = subprocess.run(["aws", "partnercentral-selling", "list-solutions", "--catalog", "AWS",
                        "--endpoint-url", verifying.url], capture_output=True, text=True, env=env)
    assert p.returncode != 0 and "InvalidSignatureException" in p.stderr


def test_secrets_never_reach_the_log(verifying):
    c = verifying.client(account="AKIDALICE", secret="alice-secret")
    c.list_solutions(Catalog="AWS")
    logs = verifying.logs()
    assert "alice-secret" not in logs and "session-token-value" not in logs


def test_without_credentials_any_key_is_accepted_and_picks_the_account(server):
    c = server.client(account="AKIDANYTHING", secret="whatever")
    oid = c.create_opportunity(Catalog="AWS", ClientToken="anon", **opportunity_input())["Id"]
    assert ":123456789012:" in c.get_opportunity(Catalog="AWS", Identifier=oid)["Arn"]
    status, _, body = server.call("GetOpportunity", {"Catalog": "AWS", "Identifier": oid})
    assert status == 200 and ":123456789012:" in body["Arn"]
