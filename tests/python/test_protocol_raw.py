"""What SDKs never send, over raw HTTP: the awsJson1_0 protocol's edges."""
import json
import socket

from shapecheck import assert_conforms

SVC = "com.amazonaws.partnercentralselling#"
FRONT = "com.amazon.coral.service#"
CORAL_SUFFIX = ":http://internal.amazon.com/coral/com.amazon.partnerintegrationapi.common/"


def error_name(headers, body):
    assert headers["content-type"] == "application/x-amz-json-1.0"
    assert headers["x-amzn-requestid"]
    namespace, name = body["__type"].split("#")
    # As AWS sends it: a service error's name with the Coral suffix, a front-end error's bare.
    if namespace + "#" == SVC:
        assert headers["x-amzn-errortype"] == name + CORAL_SUFFIX
    else:
        assert headers["x-amzn-errortype"] == name
    assert body["Message"]
    return name


def test_success_carries_request_id_and_json_content_type(server):
    status, headers, body = server.call("ListSolutions", {"Catalog": "AWS"})
    assert status == 200
    assert headers["content-type"] == "application/x-amz-json-1.0"
    assert len(headers["x-amzn-requestid"]) == 36
    assert_conforms("ListSolutions", body)


def test_operation_in_the_path_with_application_json(server):
    status, _, body = server.raw({"Catalog": "AWS"}, {"Content-Type": "application/json"},
                                 path="/ListSolutions")
    assert status == 200 and body["SolutionSummaries"][0]["Id"] == "S-0059717"


def test_content_type_parameters_are_accepted(server):
    status, _, _ = server.call("ListSolutions", {"Catalog": "AWS"},
                               {"Content-Type": "application/x-amz-json-1.0; charset=utf-8"})
    assert status == 200


def test_unsupported_content_type_is_415(server):
    status, headers, body = server.call("ListSolutions", {"Catalog": "AWS"}, {"Content-Type": "text/xml"})
    assert status == 415 and error_name(headers, body) == "UnsupportedMediaTypeException"


def test_invalid_json_is_a_serialization_exception(server):
    status, headers, body = server.call("GetOpportunity", b'{"Catalog": "AWS",')
    assert status == 400 and body["__type"] == FRONT + "SerializationException"
    assert error_name(headers, body) == "SerializationException"


def test_wrong_json_type_is_a_serialization_exception(server):
    status, headers, body = server.call("GetOpportunity", {"Catalog": 5, "Identifier": "O1"})
    assert status == 400 and error_name(headers, body) == "SerializationException"
    assert "Catalog" in body["Message"]
    status, _, body = server.call("GetOpportunity", b"[1, 2]")
    assert status == 400 and body["__type"].endswith("SerializationException")


def test_invalid_utf8_is_a_serialization_exception(server):
    status, headers, body = server.call("GetOpportunity", b'{"Catalog": "\xff\xfe"}')
    assert status == 400 and error_name(headers, body) == "SerializationException"


def test_empty_body_means_empty_input(server):
    status, headers, body = server.call("ListSolutions", b"")
    assert status == 400 and error_name(headers, body) == "ValidationException"
    assert body["__type"] == SVC + "ValidationException"
    assert body["Reason"] == "REQUEST_VALIDATION_FAILED"
    assert body["ErrorList"] == [{"FieldName": "Catalog", "Code": "REQUIRED_FIELD_MISSING",
                                  "Message": "Catalog is required."}]


def test_unknown_or_missing_target_is_unknown_operation(server):
    status, headers, body = server.call("DescribeEverything", {})
    assert status == 404 and error_name(headers, body) == "UnknownOperationException"
    status, headers, body = server.raw(b"{}", {"Content-Type": "application/x-amz-json-1.0"})
    assert status == 404 and error_name(headers, body) == "UnknownOperationException"
    status, headers, body = server.raw(b"{}", {"X-Amz-Target": "OtherService.GetOpportunity"})
    assert status == 404
    status, headers, body = server.raw(b"{}", {}, path="/NoSuchOperation")
    assert status == 404 and error_name(headers, body) == "UnknownOperationException"


def test_non_post_is_405(server):
    status, headers, body = server.raw(b"", {}, method="GET")
    assert status == 405 and headers["allow"] == "POST"
    assert error_name(headers, body) == "MethodNotAllowedException"


def test_oversized_body_is_refused_before_it_is_read(server):
    # Declare 7 MiB but send nothing: the answer must come without the body.
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as s:
        s.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: AWSPartnerCentralSelling.ListSolutions\r\n"
                  b"Content-Type: application/x-amz-json-1.0\r\nContent-Length: 7340032\r\n\r\n")
        head = s.recv(4096).decode()
    assert head.startswith("HTTP/1.1 413"), head
    assert "RequestEntityTooLargeException" in head


def test_oversized_chunked_body_is_refused(server):
    chunk = b"x" * (1024 * 1024)
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as s:
        s.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: AWSPartnerCentralSelling.ListSolutions\r\n"
                  b"Content-Type: application/x-amz-json-1.0\r\nTransfer-Encoding: chunked\r\n\r\n")
        try:
            for _ in range(8):
                s.sendall(b"%x\r\n" % len(chunk) + chunk + b"\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass
        head = s.recv(4096).decode()
    assert head.startswith("HTTP/1.1 413"), head
    # The server keeps serving others.
    assert server.call("ListSolutions", {"Catalog": "AWS"})[0] == 200


def test_keep_alive_serves_many_requests_on_one_connection(server):
    import http.client
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    for _ in range(3):
        conn.request("POST", "/", body=json.dumps({"Catalog": "AWS"}),
                     headers={"X-Amz-Target": "AWSPartnerCentralSelling.ListSolutions",
                              "Content-Type": "application/x-amz-json-1.0"})
        resp = conn.getresponse()
        assert resp.status == 200
        assert json.loads(resp.read())["SolutionSummaries"]
    conn.close()


def test_unknown_catalog_is_a_validation_error_with_every_violation(server):
    status, headers, body = server.call("GetOpportunity", {"Catalog": "Production", "Identifier": "X1"})
    assert status == 400
    assert sorted((e["FieldName"], e["Code"]) for e in body["ErrorList"]) == [
        ("Catalog", "INVALID_VALUE"), ("Identifier", "INVALID_STRING_FORMAT")]


def test_unknown_members_are_ignored(server):
    status, _, _ = server.call("ListSolutions", {"Catalog": "AWS", "Surprise": {"a": 1}})
    assert status == 200


def test_duplicate_keys_take_the_last_value(server):
    status, _, body = server.call("ListSolutions", b'{"Catalog": "Nope", "Catalog": "AWS"}')
    assert status == 200, body


def test_deep_nesting_is_refused_cleanly(server):
    deep = b'{"Catalog": "AWS", "X": ' + b"[" * 10000 + b"]" * 10000 + b"}"
    status, headers, body = server.call("ListSolutions", deep)
    assert status == 400 and error_name(headers, body) == "SerializationException"


def test_operations_without_output_answer_an_empty_body(server):
    """AWS answers Content-Length: 0 for operations without output (captured); SDKs read it as
    the empty output."""
    from conftest import opportunity_input
    c = server.client(account="161616161616")
    oid = c.create_opportunity(Catalog="Sandbox", **opportunity_input())["Id"]
    status, headers, body = server.call(
        "AssociateOpportunity",
        {"Catalog": "Sandbox", "OpportunityIdentifier": oid, "RelatedEntityType": "Solutions",
         "RelatedEntityIdentifier": "S-0059717"},
        headers={"Authorization": "AWS4-HMAC-SHA256 Credential=161616161616/20260101/us-east-1/x/aws4_request"})
    assert status == 200 and headers["content-length"] == "0" and body is None
    assert c.disassociate_opportunity(Catalog="Sandbox", OpportunityIdentifier=oid, RelatedEntityType="Solutions",
                                      RelatedEntityIdentifier="S-0059717")["ResponseMetadata"]["HTTPStatusCode"] == 200
