# Our driver (not AWS code): sampleUI/create_aws_opportunity_api.py has no __main__; the sample's
# Flask app.py uses it this way: GET /CreateAwsOpportunity reads create_opportunity/createOpportunity_aws.json
# and passes it through prepare_default_payload() (random title suffix, ClientToken "aws-web-ui-<uuid4>",
# Origin "AWS Referral", JSON-encoded twice for the HTML page); the page posts that payload back to
# /api/create_opportunity with origin "AWS Referral" and an empty client_token, which calls
# create_opportunity_with_payload(json.loads(payload), client_token) and returns {"result": ...}.
import json
import os
import sys

import create_aws_opportunity_api as api
from utils.helpers import DateTimeEncoder

sample_dir = os.path.dirname(os.path.abspath(api.__file__))
with open(os.path.join(sample_dir, "create_opportunity/createOpportunity_aws.json"), "r") as f:
    default_payload = api.prepare_default_payload(f.read())
form_payload = json.loads(default_payload)          # the text the page shows in its form
payload_json = json.loads(form_payload)             # what app.py's create_opportunity() parses
result = api.create_opportunity_with_payload(payload_json, "")
print(json.dumps({"result": json.loads(json.dumps(result, cls=DateTimeEncoder, indent=4))}, indent=4))
sys.exit(0 if isinstance(result, dict) and "Id" in result else 1)
