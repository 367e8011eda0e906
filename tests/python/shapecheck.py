"""Checks a JSON response against its output shape in the botocore model.

The model is the one of the installed botocore (pinned to the release the server bundles),
so these checks never read the server's own copy.
"""
import datetime
import re

import botocore.session

_session = botocore.session.get_session()
MODEL = _session.get_service_model("partnercentral-selling")


# Where the real service is observed to answer outside its own model, the emulator answers as
# the service does; each such path is listed here, with the evidence.
KNOWN_DEVIATIONS = {
    # Real answers carry the regional form arn:aws:partnercentral:{region}::catalog/{Catalog}/
    # engagement-invitation/{id} (captured responses), not the model's account form.
    "CreateEngagementInvitation.Arn",
    # Solution ARNs as AWS answers them (arn:aws:partnercentral:{region}:{account}:catalog/
    # {Catalog}/solution/S-...); the model's SolutionArn pattern is the bare id (captured).
    "ListSolutions.SolutionSummaries[].Arn",
    # An offer associated by its ARN comes back as its bare id (one exact capture, 2025-02).
    "GetOpportunity.RelatedEntityIdentifiers.AwsMarketplaceOffers[]",
}
# Enum values the real service answers that the model lacks: (enum shape, value).
KNOWN_ENUM_EXTRAS = {
    # Set by AWS after a For Visibility Only submission (captured 2025-12).
    ("PrimaryNeedFromAws", "Do Not Need Support from AWS Sales Rep"),
}


def _compile(pattern):
    try:
        return re.compile(pattern, re.S)
    except re.error:  # Java-only syntax such as \p{L}: not checkable with Python's re
        return None


def _check(shape, value, path, errors):
    t = shape.type_name
    if value is None:
        errors.append(f"{path}: null (absent members must be omitted)")
        return
    if t == "structure":
        if not isinstance(value, dict):
            errors.append(f"{path}: expected object")
            return
        for name in shape.required_members:
            if name not in value:
                errors.append(f"{path}.{name}: required member missing")
        for name, v in value.items():
            if name not in shape.members:
                errors.append(f"{path}.{name}: not a member of {shape.name}")
                continue
            _check(shape.members[name], v, f"{path}.{name}", errors)
    elif t == "list":
        if not isinstance(value, list):
            errors.append(f"{path}: expected list")
            return
        mx = shape.metadata.get("max")
        if mx is not None and len(value) > mx:
            errors.append(f"{path}: more than {mx} items")
        for i, v in enumerate(value):
            _check(shape.member, v, f"{path}[{i}]", errors)
    elif t == "map":
        if not isinstance(value, dict):
            errors.append(f"{path}: expected object")
            return
        for k, v in value.items():
            _check(shape.value, v, f"{path}.{k}", errors)
    elif t == "string":
        if not isinstance(value, str):
            errors.append(f"{path}: expected string")
            return
        if shape.enum and value not in shape.enum and (shape.name, value) not in KNOWN_ENUM_EXTRAS:
            errors.append(f"{path}: {value!r} not in enum {shape.name}")
        pat = shape.metadata.get("pattern")
        if pat and re.sub(r"\[\d+\]", "[]", path) not in KNOWN_DEVIATIONS:
            rx = _compile(pat)
            if rx is not None and not rx.fullmatch(value):
                errors.append(f"{path}: {value!r} does not match {pat}")
    elif t in ("integer", "long"):
        if not isinstance(value, int) or isinstance(value, bool):
            errors.append(f"{path}: expected integer")
    elif t == "boolean":
        if not isinstance(value, bool):
            errors.append(f"{path}: expected boolean")
    elif t == "timestamp":
        ok = isinstance(value, str) and re.fullmatch(
            r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z", value
        )
        if not ok:
            errors.append(f"{path}: timestamp {value!r} is not YYYY-MM-DDTHH:MM:SS[.sss]Z")
        else:
            datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))


def assert_conforms(operation, body):
    op = MODEL.operation_model(operation)
    if op.output_shape is None:
        assert body in ({}, None), f"{operation}: unit output must be empty, got {body}"
        return
    errors = []
    _check(op.output_shape, body, operation, errors)
    assert not errors, f"{operation} response breaks the model: {errors}"
