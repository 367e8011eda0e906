"""Model-driven negative tests for every input member of every operation, implemented or not.

Everything comes from the botocore model: for each operation a type-correct skeleton request
(required members only, one item per list, one entry per map, strings made to fit their enum,
length and pattern), then for every member path the skeleton with that member put in, and one
request per rule the model gives the member, broken. The server validates every input before
anything else, so an unimplemented operation (501 once valid) is checked as thoroughly as an
implemented one.

Each case is differential: the broken request's ErrorList is exactly the expected
(FieldName, Code) entry (once), and the same request unbroken passes validation. A value of the
wrong JSON type is a SerializationException naming the member, which gives even unconstrained
members (booleans, timestamps, free text) a negative case. The model has no input maps today;
the generator handles them (`Path.key`) for when it does.
"""
import base64
import copy
import json
import pathlib
import re

import pytest
from botocore import xform_name
from botocore.exceptions import ClientError

from conftest import Server
from shapecheck import MODEL

try:
    from re import _parser as sre_parse
except ImportError:  # Python < 3.11
    import sre_parse

OPERATIONS = sorted(MODEL.operation_names)
CATALOGS = ["AWS", "Sandbox"]
TIMESTAMP = "2026-01-01T00:00:00Z"
BAD_ENUM = "NotAValidValue"
# Strings tried, in order, to break a pattern while keeping the length the shape allows.
BREAKERS = ["!", "", "not valid!", "x" * 256, "x" * 2049, "x" * 5001, "\n"]

# Members no generated case can break, with the reason. Empty for the bundled model: a new
# entry must say why (e.g. a pattern that matches every string).
UNMUTABLE = {}


# ---- the operations table of the control plane ------------------------------------------------

def operations_table(server):
    """`GET /_admin/operations`: every model operation with `implemented` and its `quota` class."""
    status, _, body = server.raw(b"", {}, method="GET", path="/_admin/operations")
    assert status == 200 and isinstance(body, dict), (
        f"GET /_admin/operations answered {status}: {body!r}")
    return {o["name"]: o for o in body["operations"]}


def implemented_operations(server):
    """The operations the server implements, as it says itself."""
    return {name for name, o in operations_table(server).items() if o["implemented"] is True}


# ---- strings that fit or break a shape ---------------------------------------------------------

def _python_pattern(pattern, wide):
    """Java's \\p{..} classes are not Python's: a narrow stand-in (every match is a Java match)
    for making values, a wide one (every Java match is a match) for breaking them."""
    table = {"L": ("a-zA-Z", r"\w"), "N": ("0-9", r"\w"), "Z": (" ", r"\s")}
    return re.sub(r"\\p\{(\w)\}", lambda m: table[m.group(1)][wide], pattern)


def _pick(items):
    """One character of a character class, letters first."""
    best = None
    for op, av in items:
        if op is sre_parse.NEGATE:
            return "a"  # checked by the full match afterwards
        if op is sre_parse.LITERAL:
            c = chr(av)
        elif op is sre_parse.RANGE:
            lo, hi = av
            c = next((ch for ch in "aA0" if lo <= ord(ch) <= hi), chr(lo))
        elif op is sre_parse.CATEGORY:
            c = {sre_parse.CATEGORY_DIGIT: "1", sre_parse.CATEGORY_SPACE: " "}.get(av, "a")
        else:
            continue
        if c.isalnum():
            return c
        best = best or c
    return best or "a"


def _sample(nodes, extra):
    """A string the parsed pattern should match: first branches, every repeat `extra` above
    its minimum (within its maximum), look-arounds and anchors skipped."""
    out = []
    for op, av in nodes:
        if op is sre_parse.LITERAL:
            out.append(chr(av))
        elif op is sre_parse.ANY:
            out.append("a")
        elif op is sre_parse.IN:
            out.append(_pick(av))
        elif op is sre_parse.CATEGORY:
            out.append(_pick([(op, av)]))
        elif op is sre_parse.BRANCH:
            out.append(_sample(av[1][0], extra))
        elif op is sre_parse.SUBPATTERN:
            out.append(_sample(av[-1], extra))
        elif op in (sre_parse.MAX_REPEAT, sre_parse.MIN_REPEAT,
                    getattr(sre_parse, "POSSESSIVE_REPEAT", None)):
            lo, hi, sub = av
            n = lo + extra if hi is sre_parse.MAXREPEAT else min(lo + extra, hi)
            out.append(_sample(sub, extra) * n)
        elif op is getattr(sre_parse, "ATOMIC_GROUP", None):
            out.append(_sample(av, extra))
    return "".join(out)


def _fits_length(shape, value):
    lo, hi = shape.metadata.get("min"), shape.metadata.get("max")
    return (lo is None or len(value) >= lo) and (hi is None or len(value) <= hi)


def _compiled(pattern, wide):
    return re.compile(_python_pattern(pattern, wide))


def valid_string(shape):
    """A value the string shape accepts, or None."""
    if shape.enum:
        return shape.enum[0]
    if shape.name == "CatalogIdentifier":
        return CATALOGS[0]
    pattern = shape.metadata.get("pattern")
    lo = shape.metadata.get("min") or 1
    if not pattern:
        return "x" * lo
    narrow = _compiled(pattern, wide=False)
    tree = sre_parse.parse(narrow.pattern)
    for extra in range(6):
        value = _sample(tree, extra)
        if len(value) < lo and narrow.fullmatch(value + "a" * (lo - len(value))):
            value += "a" * (lo - len(value))
        if narrow.fullmatch(value) and _fits_length(shape, value):
            return value
    return None


def breaking_strings(shape):
    """(kind, value) pairs that each break one string rule of the shape."""
    md, out = shape.metadata, []
    if md.get("max") is not None:
        out.append(("too long", "x" * (md["max"] + 1)))
    if md.get("min"):
        out.append(("too short", "x" * (md["min"] - 1)))
    if md.get("pattern"):
        wide = _compiled(md["pattern"], wide=True)
        broken = [c for c in BREAKERS if not wide.fullmatch(c)]
        fitting = [c for c in broken if _fits_length(shape, c)]
        if fitting or broken:
            out.append(("pattern", (fitting or broken)[0]))
    return out


# ---- skeletons and member paths ----------------------------------------------------------------

class Unbuildable(Exception):
    """No valid value can be made for a shape."""


def field_name(steps):
    """`Customer.Contacts[0].Email`: members dotted, list items indexed, map keys dotted."""
    out = ""
    for kind, v in steps:
        out += f"[{v}]" if kind == "i" else (f".{v}" if out else v)
    return out


def _tokens(shape):
    return [n for n, m in shape.members.items() if m.metadata.get("idempotencyToken")]


def skeleton(shape, stack=()):
    """The smallest valid value of `shape`: required members (and idempotency tokens, so no SDK
    fills one in), one list item, one map entry, the first union member that can be built."""
    if shape.name in stack:
        raise Unbuildable(f"{shape.name} is required inside itself")
    stack += (shape.name,)
    t = shape.type_name
    if t == "structure":
        if shape.metadata.get("union"):
            for name, member in shape.members.items():
                try:
                    return {name: skeleton(member, stack)}
                except Unbuildable:
                    continue
            raise Unbuildable(f"no member of union {shape.name} can be built")
        names = list(shape.required_members) + [n for n in _tokens(shape) if n not in shape.required_members]
        return {n: skeleton(shape.members[n], stack) for n in names}
    if t == "list":
        return [skeleton(shape.member, stack) for _ in range(max(shape.metadata.get("min") or 0, 1))]
    if t == "map":
        return {map_key(shape): skeleton(shape.value, stack)}
    if t == "string":
        value = valid_string(shape)
        if value is None:
            raise Unbuildable(f"no string found for {shape.name} /{shape.metadata.get('pattern')}/")
        return value
    if t in ("integer", "long"):
        lo, hi = shape.metadata.get("min"), shape.metadata.get("max")
        return lo if lo is not None else (min(1, hi) if hi is not None else 1)
    if t in ("double", "float"):
        return 1.5
    if t == "boolean":
        return True
    if t == "timestamp":
        return TIMESTAMP
    if t == "blob":
        return base64.b64encode(b"blob").decode()
    raise Unbuildable(f"{shape.name}: type {t} is not known to this generator")


def map_key(shape):
    key = valid_string(shape.key)
    if key is None:
        raise Unbuildable(f"no key found for map {shape.name}")
    return key


def member_paths(shape, steps=(), stack=()):
    """Every path under `shape`: structure members, list items (`[0]`), map values (`.key`).
    A recursive shape is entered once."""
    if shape.name in stack:
        return
    stack += (shape.name,)
    t = shape.type_name
    if t == "structure":
        inner = [(("m", name), member) for name, member in shape.members.items()]
    elif t == "list":
        inner = [(("i", 0), shape.member)]
    elif t == "map":
        inner = [(("k", map_key(shape)), shape.value)]
    else:
        inner = []
    for step, member in inner:
        yield steps + (step,)
        yield from member_paths(member, steps + (step,), stack)


def shape_at(op, steps):
    shape = MODEL.operation_model(op).input_shape
    for kind, v in steps:
        shape = shape.members[v] if kind == "m" else (shape.member if kind == "i" else shape.value)
    return shape


def with_member(op, steps):
    """The operation's skeleton with the member at `steps` present (alone in its union)."""
    shape = MODEL.operation_model(op).input_shape
    body = skeleton(shape)
    node = body
    for kind, v in steps:
        if kind == "m":
            member = shape.members[v]
            if shape.metadata.get("union") and list(node) != [v]:
                node.clear()
            if v not in node:
                node[v] = skeleton(member)
            shape = member
        elif kind == "i":
            shape = shape.member
        else:
            node.setdefault(v, skeleton(shape.value))
            shape = shape.value
        node = node[v]
    return body


def _parent(body, steps):
    node = body
    for _, v in steps[:-1]:
        node = node[v]
    return node, steps[-1][1]


REMOVE = object()


def mutations(op, steps):
    """(kind, new value or REMOVE, code) for each rule of the member at `steps`."""
    shape = shape_at(op, steps)
    parent = shape_at(op, steps[:-1]) if steps[-1][0] == "m" else None
    out = []
    if parent is not None and steps[-1][1] in parent.required_members:
        out.append(("required", REMOVE, "REQUIRED_FIELD_MISSING"))
    if len(steps) == 1 and steps[0][1] == "Catalog":
        out.append(("unknown catalog", "Production", "INVALID_VALUE"))
    t, md = shape.type_name, shape.metadata
    if t == "string" and shape.enum:
        assert BAD_ENUM not in shape.enum
        out.append(("enum", BAD_ENUM, "INVALID_ENUM_VALUE"))
    elif t == "string":
        out += [(kind, v, "INVALID_STRING_FORMAT") for kind, v in breaking_strings(shape)]
    elif t in ("list", "map"):
        def sized(n):
            if t == "list":
                return [skeleton(shape.member) for _ in range(n)]
            keys = {_numbered_key(shape.key, i) for i in range(n)} - {None}
            return {k: skeleton(shape.value) for k in keys} if len(keys) == n else None

        if md.get("max") is not None and sized(md["max"] + 1) is not None:
            out.append(("too many", sized(md["max"] + 1), "TOO_MANY_VALUES"))
        if md.get("min") and sized(md["min"] - 1) is not None:
            out.append(("too few", sized(md["min"] - 1), "NOT_ENOUGH_VALUES"))
    elif t in ("integer", "long"):
        bits = 31 if t == "integer" else 63
        if md.get("max") is not None and md["max"] < 2 ** bits - 1:
            out.append(("above max", md["max"] + 1, "VALUE_OUT_OF_RANGE"))
        if md.get("min") is not None and md["min"] > -(2 ** bits):
            out.append(("below min", md["min"] - 1, "VALUE_OUT_OF_RANGE"))
    elif t == "structure" and md.get("union"):
        out.append(("union of none", {}, "INVALID_VALUE"))
        built = {}
        for name, member in shape.members.items():
            try:
                built[name] = skeleton(member)
            except Unbuildable:
                continue
            if len(built) == 2:
                out.append(("union of two", built, "INVALID_VALUE"))
                break
    wrong = "x" if t == "list" else []
    out.append(("wrong type", wrong, "SerializationException"))
    return out


def _numbered_key(key_shape, i):
    """The i-th distinct map key the key shape accepts, or None."""
    key = valid_string(key_shape)
    if key is None or i == 0:
        return key
    if key_shape.enum:
        return key_shape.enum[i] if i < len(key_shape.enum) else None
    key += str(i)
    pattern = key_shape.metadata.get("pattern")
    ok = _fits_length(key_shape, key) and (not pattern or _compiled(pattern, wide=False).fullmatch(key))
    return key if ok else None


def expected_codes(op, steps):
    """The codes the model's rules on a member call for (independent of `mutations`)."""
    shape = shape_at(op, steps)
    parent = shape_at(op, steps[:-1]) if steps[-1][0] == "m" else None
    md, t = shape.metadata, shape.type_name
    codes = {"SerializationException"}
    if parent is not None and steps[-1][1] in parent.required_members:
        codes.add("REQUIRED_FIELD_MISSING")
    if len(steps) == 1 and steps[0][1] == "Catalog":
        codes.add("INVALID_VALUE")
    if t == "string" and shape.enum:
        codes.add("INVALID_ENUM_VALUE")
    elif t == "string" and (md.get("max") is not None or md.get("min") or md.get("pattern")):
        codes.add("INVALID_STRING_FORMAT")
    if t in ("list", "map") and md.get("max") is not None:
        codes.add("TOO_MANY_VALUES")
    if t in ("list", "map") and md.get("min"):
        codes.add("NOT_ENOUGH_VALUES")
    if t in ("integer", "long") and (md.get("max") is not None or md.get("min") is not None):
        codes.add("VALUE_OUT_OF_RANGE")
    if t == "structure" and md.get("union"):
        codes.add("INVALID_VALUE")
    return codes


def build_cases():
    """Every case of every operation, and what could not be generated (with the reason)."""
    cases, gaps = {op: [] for op in OPERATIONS}, {}
    for op in OPERATIONS:
        for steps in member_paths(MODEL.operation_model(op).input_shape):
            name = field_name(steps)
            try:
                base = with_member(op, steps)
                for kind, value, code in mutations(op, steps):
                    cases[op].append({"steps": steps, "field": name, "kind": kind, "value": value,
                                      "code": code, "base": base})
            except Unbuildable as e:
                gaps[(op, name)] = str(e)
    return cases, gaps


CASES, GAPS = build_cases()


def mutate(case):
    body = copy.deepcopy(case["base"])
    parent, key = _parent(body, case["steps"])
    if case["value"] is REMOVE:
        del parent[key]
    else:
        parent[key] = copy.deepcopy(case["value"])
    return body


# ---- sending -----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def vserver():
    s = Server("--in-memory").start()
    yield s
    assert s.stop() == 0


@pytest.fixture(scope="module")
def sdk(vserver):
    return vserver.client(check_shapes=False, parameter_validation=False)


def send(server, sdk, op, body, raw=False):
    """(HTTP status, error code or None, Reason, [(FieldName, Code)], Message) of one request.

    Through boto3 unless `raw`; raw HTTP for what the SDK would change (a missing idempotency
    token it fills in) or cannot serialize (a value of the wrong type)."""
    if not raw:
        try:
            getattr(sdk, xform_name(op))(**copy.deepcopy(body))
            return 200, None, None, [], None
        except ClientError as e:
            r = e.response
            return (r["ResponseMetadata"]["HTTPStatusCode"], r["Error"]["Code"], r.get("Reason"),
                    [(x.get("FieldName"), x.get("Code")) for x in r.get("ErrorList", [])],
                    r["Error"].get("Message"))
    status, _, r = server.call(op, body)
    if status == 200:
        return 200, None, None, [], None
    return (status, r["__type"].rsplit("#", 1)[-1], r.get("Reason"),
            [(x.get("FieldName"), x.get("Code")) for x in r.get("ErrorList", [])], r.get("Message"))


def _needs_raw(op, case, body):
    if case["code"] == "SerializationException":
        return True
    shape = MODEL.operation_model(op).input_shape
    return any(t not in body for t in _tokens(shape))


def _request_invalid(result):
    status, code, reason, _, _ = result
    return status == 400 and code == "ValidationException" and reason == "REQUEST_VALIDATION_FAILED"


def _names(path, message):
    return re.search(rf"(?<![\w.\[]){re.escape(path)}(?![\w.\[])", message or "") is not None


def passes_validation(server, sdk, op, body, result=None):
    """Whether the request gets past validation. An operation's own rule may still refuse it
    afterwards (an identifier checked against its type, say), also as REQUEST_VALIDATION_FAILED:
    then, with the catalog broken as well, the catalog alone must be reported."""
    result = result or send(server, sdk, op, body)
    if result[1] == "SerializationException":
        return False
    if not _request_invalid(result):
        return True
    if "Catalog" not in MODEL.operation_model(op).input_shape.members:
        return False
    return send(server, sdk, op, dict(body, Catalog="Production"))[3] == [("Catalog", "INVALID_VALUE")]


def check_case(server, sdk, op, case, bases):
    """Problems with one case (empty when the server behaves)."""
    key = json.dumps(case["base"], sort_keys=True)
    if key not in bases:
        bases[key] = send(server, sdk, op, case["base"])
        bases[key, "valid"] = passes_validation(server, sdk, op, case["base"], bases[key])
    what = f"{op} {case['field']} ({case['kind']}): "
    problems = []
    if not bases[key, "valid"]:
        problems.append(what + f"the unbroken request does not pass validation: {bases[key]}")
    body = mutate(case)
    got = send(server, sdk, op, body, raw=_needs_raw(op, case, body))
    status, code, reason, entries, message = got
    if case["code"] == "SerializationException":
        if not (status == 400 and code == "SerializationException" and _names(case["field"], message)):
            problems.append(what + f"expected a SerializationException naming the member, got {got}")
        return problems
    expected = [(case["field"], case["code"])]
    catalog = body.get("Catalog")
    if isinstance(catalog, str) and catalog not in CATALOGS and expected[0] != ("Catalog", "INVALID_VALUE"):
        expected.append(("Catalog", "INVALID_VALUE"))
    if not _request_invalid(got) or sorted(entries) != sorted(expected):
        problems.append(what + f"expected ErrorList {sorted(expected)}, got {got}")
    return problems


@pytest.mark.parametrize("op", OPERATIONS)
def test_every_broken_member_is_reported_with_its_path_and_code(vserver, sdk, op):
    """Each rule of each input member, broken alone, is the whole ErrorList; unbroken, it passes."""
    bases, problems = {}, []
    for case in CASES[op]:
        problems += check_case(vserver, sdk, op, case, bases)
    assert not problems, f"{len(problems)} of {len(CASES[op])} cases:\n" + "\n".join(problems[:40])


def _count_member_paths_in_bundled_model():
    """Member paths counted again, in the server's own copy of the model (raw JSON)."""
    model = json.loads((pathlib.Path(__file__).resolve().parents[2] / "model" /
                        "partnercentral-selling.json").read_text())
    shapes = model["shapes"]

    def count(name, stack):
        if name in stack:
            return 0
        s = shapes[name]
        inner = [m["shape"] for m in s.get("members", {}).values()]
        inner += [s[k]["shape"] for k in ("member", "value") if k in s]
        return len(inner) + sum(count(n, stack | {name}) for n in inner)

    return sum(count(op["input"]["shape"], frozenset()) for op in model["operations"].values() if "input" in op)


def test_the_cases_touch_every_member_of_every_operation():
    """No path (member, list item, map value) and no model rule is skipped without a reason."""
    assert set(CASES) == set(MODEL.operation_names) and len(OPERATIONS) == 63
    assert not GAPS, f"members no valid request could be built for: {GAPS}"
    all_paths, missing, touched = 0, {}, set()
    for op in OPERATIONS:
        input_shape = MODEL.operation_model(op).input_shape
        paths = list(member_paths(input_shape))
        assert {s[0][1] for s in paths} == set(input_shape.members), op
        by_path = {}
        for case in CASES[op]:
            by_path.setdefault(case["field"], set()).add(case["code"])
        untouched = {field_name(s) for s in paths} - set(by_path)
        assert not untouched, f"{op}: member paths without any case: {sorted(untouched)}"
        assert set(by_path) <= {field_name(s) for s in paths}, op
        for steps in paths:
            all_paths += 1
            name = field_name(steps)
            lacking = expected_codes(op, steps) - by_path[name]
            if lacking:
                missing[(op, name)] = sorted(lacking)
            touched.add((op, name))
    unlisted = {k: v for k, v in missing.items() if k not in UNMUTABLE}
    assert not unlisted, f"rules without a case (add a case or list them in UNMUTABLE): {unlisted}"
    assert set(UNMUTABLE) <= set(missing), "stale UNMUTABLE entries"
    assert len(touched) == all_paths == _count_member_paths_in_bundled_model()
    assert sum(len(c) for c in CASES.values()) > 2 * all_paths
    codes = {c["code"] for cs in CASES.values() for c in cs}
    assert codes == {"REQUIRED_FIELD_MISSING", "INVALID_ENUM_VALUE", "INVALID_STRING_FORMAT",
                     "TOO_MANY_VALUES", "NOT_ENOUGH_VALUES", "VALUE_OUT_OF_RANGE", "INVALID_VALUE",
                     "SerializationException"}


# ---- recursive shapes --------------------------------------------------------------------------

def _recursive_lists(op):
    """(path to a structure, list member name) where the list's items are that structure again."""
    found = []
    for steps in member_paths(MODEL.operation_model(op).input_shape):
        shape = shape_at(op, steps)
        if shape.type_name == "structure":
            for name, member in shape.members.items():
                if member.type_name == "list" and member.member.name == shape.name:
                    found.append((steps, name))
    return found


RECURSIVE = [(op, steps, name) for op in OPERATIONS for steps, name in _recursive_lists(op)]


@pytest.mark.parametrize("op,steps,name", RECURSIVE,
                         ids=[f"{op}:{field_name(s)}.{n}" for op, s, n in RECURSIVE])
def test_an_oversized_list_deep_in_a_recursive_shape_is_reported_once_at_its_path(
        vserver, sdk, op, steps, name):
    """Twelve levels down a recursive filter, a list one item too long is one entry at its path,
    not one per level or per item."""
    body = with_member(op, steps)
    parent, key = _parent(body, steps)
    node, shape, path = parent[key], shape_at(op, steps), list(steps)
    for _ in range(12):
        node[name] = [skeleton(shape)]
        node = node[name][0]
        path += [("m", name), ("i", 0)]
    node[name] = [skeleton(shape) for _ in range(shape.members[name].metadata["max"] + 1)]
    path.append(("m", name))
    status, code, reason, entries, _ = send(vserver, sdk, op, body)
    assert (status, code, reason) == (400, "ValidationException", "REQUEST_VALIDATION_FAILED")
    assert entries == [(field_name(path), "TOO_MANY_VALUES")]
    node[name] = node[name][:1]
    # One item fewer is within the model's bound. The operation's own rules may still refuse the
    # skeleton (an empty filter node names no predicate), but never for the list's size.
    result = send(vserver, sdk, op, body)
    assert (field_name(path), "TOO_MANY_VALUES") not in result[3]
    assert not _request_invalid(result) or all(code == "INVALID_VALUE" for _, code in result[3]), result


def test_recursive_shapes_are_found():
    """The model has recursive filters; the test above must not pass by finding none."""
    assert {op for op, _, _ in RECURSIVE} >= {"SearchOpportunities", "SearchEngagements",
                                              "SearchCustomerAccounts"}


# ---- the operations table ----------------------------------------------------------------------

def probe_implemented(server, sdk):
    """Implemented operations found the long way: a valid skeleton answers 501 only when not."""
    found = set()
    for op in OPERATIONS:
        body = skeleton(MODEL.operation_model(op).input_shape)
        result = send(server, sdk, op, body)
        assert passes_validation(server, sdk, op, body, result), (op, result)
        if result[:2] != (501, "InternalFailure"):
            found.add(op)
    return found


def test_the_operations_table_lists_every_operation_as_the_server_answers_it(vserver, sdk):
    """`/_admin/operations` names all 63 operations; `implemented` agrees with the 501s; `quota`
    is the rule of the quota table that covers the operation."""
    status, _, body = vserver.raw(b"", {}, method="GET", path="/_admin/operations")
    assert status == 200, body
    names = [o["name"] for o in body["operations"]]
    assert sorted(names) == OPERATIONS
    table = operations_table(vserver)
    for o in table.values():
        assert isinstance(o["implemented"], bool) and (o["quota"] is None or isinstance(o["quota"], str)), o
    assert implemented_operations(vserver) == probe_implemented(vserver, sdk)
    rules = vserver.raw(b"", {}, method="GET", path="/_admin/quotas")[2]["table"]["rules"]
    rule_of = {op: r["name"] for r in rules for op in r["operations"]}
    assert {n: o["quota"] for n, o in table.items()} == {n: rule_of.get(n) for n in OPERATIONS}
