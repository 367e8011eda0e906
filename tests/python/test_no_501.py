"""No operation of the model answers 501: each gets a valid request (test_validation_model's
BASES) and must answer something else. When a model refresh adds an operation, this names it."""
import copy

import pytest

from shapecheck import MODEL
from test_validation_model import BASES

OPERATIONS = sorted(MODEL.operation_names)


def test_the_model_has_its_63_operations():
    assert len(OPERATIONS) == 63


@pytest.mark.parametrize("op", OPERATIONS)
def test_every_operation_answers_a_valid_request_without_501(server, op):
    assert op in BASES, f"{op}: no valid request in test_validation_model.BASES (is it implemented?)"
    status, headers, body = server.call(op, copy.deepcopy(BASES[op]))
    assert status != 501, (op, body)
    assert headers.get("x-amzn-errortype") != "InternalFailure", (op, body)
    assert status < 500, (op, status, body)
