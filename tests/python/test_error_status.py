"""`serve --error-status aws|model`: the HTTP status of the service's modeled client errors.

`aws` (the default) answers them 400, as AWS's API reference lists them and as the real
service was captured answering; `model` answers the Smithy model's statuses. Both are checked
on the wire (raw HTTP) and through boto3, which must raise the same typed exception either way
and retry a ThrottlingException whatever its status (legacy and standard retry modes; attempts
counted at the server by what is left of a fault rule)."""
import types

import botocore.endpoint
import pytest

from conftest import Server, opportunity_input
from test_control_plane import admin

CORAL_SUFFIX = ":http://internal.amazon.com/coral/com.amazon.partnerintegrationapi.common/"

# error -> (status with --error-status aws, status with --error-status model)
MODELED = {
    "ValidationException": (400, 400),
    "AccessDeniedException": (400, 403),
    "ResourceNotFoundException": (400, 404),
    "ConflictException": (400, 409),
    "ServiceQuotaExceededException": (400, 402),
    "ThrottlingException": (400, 429),
    "InternalServerException": (500, 500),
}
MODES = ["aws", "model"]


@pytest.fixture(scope="module")
def servers():
    started = {
        "aws": Server("--in-memory").start(),  # the default
        "model": Server("--in-memory", "--error-status", "model").start(),
    }
    yield started
    for s in started.values():
        assert s.stop() == 0


@pytest.fixture
def no_backoff(monkeypatch):
    """botocore sleeps between attempts in its endpoint; the count is what matters here."""
    monkeypatch.setattr(botocore.endpoint, "time", types.SimpleNamespace(sleep=lambda _s: None))


def expected(error, mode):
    return MODELED[error][MODES.index(mode)]


def fault(server, operation, error, account, count=1):
    status, _, rule = admin(server, "POST", "/faults", {
        "operation": operation, "error": error, "accountId": account, "count": count})
    assert status == 200, rule
    return rule["id"]


def uses_left(server, rule_id):
    rules = [r for r in admin(server, "GET", "/faults")[2]["faults"] if r["id"] == rule_id]
    return rules[0]["count"] if rules else 0


def check_wire(status, headers, body, error, want):
    assert status == want, (error, status, body)
    assert body["__type"] == f"com.amazonaws.partnercentralselling#{error}"
    assert headers["x-amzn-errortype"] == error + CORAL_SUFFIX
    assert body["Message"]


def sign_as(account):
    return {"Authorization": f"AWS4-HMAC-SHA256 Credential={account}/20260101/us-east-1/"
                             "partnercentral-selling/aws4_request, SignedHeaders=host, Signature=00"}


# ---- errors the service itself produces ------------------------------------------------------

@pytest.mark.parametrize("mode", MODES)
def test_validation_is_400_in_both_modes(servers, mode, fresh_account):
    s = servers[mode]
    body = {"Catalog": "AWS", "Identifier": "not-an-id"}
    check_wire(*s.call("GetOpportunity", body, sign_as(fresh_account)), "ValidationException", 400)
    c = s.client(account=fresh_account)
    with pytest.raises(c.exceptions.ValidationException) as e:
        c.get_opportunity(**body)
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert e.value.response["Reason"] == "REQUEST_VALIDATION_FAILED"


@pytest.mark.parametrize("mode", MODES)
def test_an_unknown_opportunity(servers, mode, fresh_account):
    s = servers[mode]
    want = expected("ResourceNotFoundException", mode)
    body = {"Catalog": "AWS", "Identifier": "O999999999"}
    check_wire(*s.call("GetOpportunity", body, sign_as(fresh_account)), "ResourceNotFoundException", want)
    c = s.client(account=fresh_account)
    with pytest.raises(c.exceptions.ResourceNotFoundException) as e:
        c.get_opportunity(**body)
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == want
    assert e.value.response["Error"]["Code"] == "ResourceNotFoundException"


@pytest.mark.parametrize("mode", MODES)
def test_a_client_token_reused_with_another_body(servers, mode, fresh_account):
    s = servers[mode]
    want = expected("ConflictException", mode)
    c = s.client(account=fresh_account)
    c.create_opportunity(Catalog="AWS", ClientToken="token-1", **opportunity_input())
    other = opportunity_input(OpportunityType="Expansion")
    with pytest.raises(c.exceptions.ConflictException) as e:
        c.create_opportunity(Catalog="AWS", ClientToken="token-1", **other)
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == want
    raw = dict(other, Catalog="AWS", ClientToken="token-1")
    check_wire(*s.call("CreateOpportunity", raw, sign_as(fresh_account)), "ConflictException", want)


@pytest.mark.parametrize("mode", MODES)
def test_the_sender_accepting_its_own_invitation_is_denied(servers, mode, fresh_account):
    s = servers[mode]
    want = expected("AccessDeniedException", mode)
    c = s.client(account=fresh_account)
    oid = c.create_opportunity(Catalog="Sandbox", **opportunity_input())["Id"]
    c.start_engagement_from_opportunity_task(
        Catalog="Sandbox", Identifier=oid, AwsSubmission={"InvolvementType": "Co-Sell", "Visibility": "Full"})
    sent = c.list_engagement_invitations(Catalog="Sandbox", ParticipantType="SENDER")
    arn = sent["EngagementInvitationSummaries"][0]["Arn"]
    with pytest.raises(c.exceptions.AccessDeniedException) as e:
        c.accept_engagement_invitation(Catalog="Sandbox", Identifier=arn)
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == want
    check_wire(*s.call("AcceptEngagementInvitation", {"Catalog": "Sandbox", "Identifier": arn},
                       sign_as(fresh_account)), "AccessDeniedException", want)


def test_a_rate_quota_throttles_with_400_by_default():
    s = Server("--in-memory", "--quotas", "aws").start()
    try:
        c = s.client(account="777777777777")
        c.create_opportunity(Catalog="AWS", **opportunity_input())
        with pytest.raises(c.exceptions.ThrottlingException) as e:
            c.create_opportunity(Catalog="AWS", **opportunity_input())
        assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    finally:
        assert s.stop() == 0


# ---- every modeled error, injected -----------------------------------------------------------

INJECTED = [  # (error, operation that models it, boto3 method, its arguments)
    ("AccessDeniedException", "ListSolutions", "list_solutions", {"Catalog": "AWS"}),
    ("ResourceNotFoundException", "ListSolutions", "list_solutions", {"Catalog": "AWS"}),
    ("ConflictException", "CreateOpportunity", "create_opportunity",
     dict(opportunity_input(), Catalog="AWS")),
    ("ServiceQuotaExceededException", "StartEngagementFromOpportunityTask",
     "start_engagement_from_opportunity_task",
     {"Catalog": "AWS", "Identifier": "O1", "ClientToken": "t",
      "AwsSubmission": {"InvolvementType": "Co-Sell"}}),
    ("ThrottlingException", "ListSolutions", "list_solutions", {"Catalog": "AWS"}),
    ("InternalServerException", "ListSolutions", "list_solutions", {"Catalog": "AWS"}),
]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("error,operation,method,args", INJECTED, ids=[i[0] for i in INJECTED])
def test_each_modeled_error_has_the_mode_status_and_stays_typed(servers, mode, fresh_account,
                                                                error, operation, method, args):
    s = servers[mode]
    want = expected(error, mode)
    fault(s, operation, error, fresh_account)
    check_wire(*s.call(operation, args, sign_as(fresh_account)), error, want)
    fault(s, operation, error, fresh_account)
    c = s.client(account=fresh_account)  # no retries
    with pytest.raises(getattr(c.exceptions, error)) as e:
        getattr(c, method)(**args)
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == want
    assert e.value.response["Error"]["Code"] == error


# ---- front-end errors: one status in both modes ----------------------------------------------

def not_implemented(server):
    """The answer of an operation not implemented yet, to a request it accepts (or None)."""
    ops = admin(server, "GET", "/operations")[2]["operations"]
    for name in (o["name"] for o in ops if not o["implemented"]):
        answer = server.call(name, {"Catalog": "AWS"})
        if answer[0] != 400:
            return answer
    return None


@pytest.mark.parametrize("mode", MODES)
def test_front_end_errors_keep_their_statuses(servers, mode):
    s = servers[mode]
    json_ct = {"Content-Type": "application/x-amz-json-1.0"}
    cases = [
        (s.call("GetOpportunity", b"{not json"), 400, "SerializationException"),
        (s.raw(b"{}", dict(json_ct, **{"X-Amz-Target": "AWSPartnerCentralSelling.Nope"})), 404,
         "UnknownOperationException"),
        (s.raw(b"{}", json_ct, method="GET"), 405, "MethodNotAllowedException"),
        (s.raw(b"{}", {"Content-Type": "text/plain",
                       "X-Amz-Target": "AWSPartnerCentralSelling.ListSolutions"}), 415,
         "UnsupportedMediaTypeException"),
    ]
    if (answer := not_implemented(s)) is not None:
        cases.append((answer, 501, "InternalFailure"))
    for (status, headers, body), want, name in cases:
        assert status == want, (name, status, body)
        assert body["__type"] == f"com.amazon.coral.service#{name}"
        assert headers["x-amzn-errortype"] == name


def test_the_environment_variable_chooses_the_mode(fresh_account):
    s = Server("--in-memory", env={"PARTNERCENTRAL_LOCAL_ERROR_STATUS": "model"}).start()
    try:
        status, _, body = s.call("GetOpportunity", {"Catalog": "AWS", "Identifier": "O999999999"})
        assert status == 404 and body["__type"].endswith("#ResourceNotFoundException")
    finally:
        assert s.stop() == 0
    bad = Server("--in-memory", "--error-status", "smithy")
    with pytest.raises(RuntimeError):
        bad.start()


# ---- retries: ThrottlingException is retried whatever its status ------------------------------

@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("retry_mode,attempts", [("legacy", 5), ("standard", 3)])
def test_boto3_retries_a_throttle_to_its_attempt_limit(servers, no_backoff, mode, fresh_account,
                                                       retry_mode, attempts):
    s = servers[mode]
    c = s.client(account=fresh_account, retries={"mode": retry_mode})
    rule = fault(s, "ListSolutions", "ThrottlingException", fresh_account, count=10)
    with pytest.raises(c.exceptions.ThrottlingException) as e:
        c.list_solutions(Catalog="AWS")
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == expected("ThrottlingException", mode)
    assert e.value.response["ResponseMetadata"]["RetryAttempts"] == attempts - 1
    assert 10 - uses_left(s, rule) == attempts  # what the server saw
    admin(s, "DELETE", f"/faults/{rule}")


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("retry_mode", ["legacy", "standard"])
def test_boto3_rides_out_two_throttles(servers, no_backoff, mode, fresh_account, retry_mode):
    s = servers[mode]
    c = s.client(account=fresh_account, retries={"mode": retry_mode})
    rule = fault(s, "ListSolutions", "ThrottlingException", fresh_account, count=2)
    answer = c.list_solutions(Catalog="AWS")
    assert answer["SolutionSummaries"]
    assert answer["ResponseMetadata"]["RetryAttempts"] == 2
    assert uses_left(s, rule) == 0


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("retry_mode", ["legacy", "standard"])
def test_boto3_never_retries_a_client_error_sent_with_400(servers, no_backoff, mode, fresh_account,
                                                          retry_mode):
    s = servers[mode]
    c = s.client(account=fresh_account, retries={"mode": retry_mode})
    for error in ("AccessDeniedException", "ResourceNotFoundException"):
        rule = fault(s, "ListSolutions", error, fresh_account, count=10)
        with pytest.raises(getattr(c.exceptions, error)):
            c.list_solutions(Catalog="AWS")
        assert 10 - uses_left(s, rule) == 1
        admin(s, "DELETE", f"/faults/{rule}")
