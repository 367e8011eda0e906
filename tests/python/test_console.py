"""The web console (/_admin/ui/).

In a real headless browser (Debian's ``chromium`` and ``chromium-driver``, driven by Selenium):
create and submit an opportunity through boto3, open the console, follow its link, click
Approve and see through boto3 that GetAwsOpportunitySummary answers; set the AWS stage and add a
seller; send a referral from the form and accept it through boto3; expire an invitation and move
the clock; watch API calls arrive live and throttle one with a fault rule; markup in a company
name shows as text; the token prompt under ``--admin-token``.

Screenshots of the main pages are saved to ``target/console-screenshots/`` (CI's artifacts).
Without chromium the browser tests are skipped, except under CI (``CI=true``), where they fail:
``.ci/run`` installs it.

Below them, raw-HTTP tests give the console's endpoints the control plane's bad-input treatment:
400 with the message and nothing changed, and forms refused without their token or origin.
"""
import json
import os
import pathlib
import re
import shutil
import time
import uuid

import pytest

from conftest import ROOT, Server, create_submitted, opportunity_input

SHOTS = ROOT / "target" / "console-screenshots"
MARKUP = '<b id="pwn">Evil</b><script>window.pwned=1</script> & Co'
TOKEN = "console-admin-token-5f3a9c"


def fresh():
    return str(uuid.uuid4().int)[:12].rjust(12, "1")


# --- the browser ---------------------------------------------------------------------------

def _driver():
    chromium = shutil.which("chromium")
    chromedriver = shutil.which("chromedriver")
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service as DriverService
    except ImportError:
        webdriver = None
    missing = [name for name, found in (("chromium", chromium), ("chromium-driver", chromedriver),
                                        ("selenium", webdriver)) if not found]
    if missing:
        reason = f"the console's browser tests need {', '.join(missing)} (apt-get install chromium chromium-driver; pip install selenium)"
        if os.environ.get("CI") == "true":
            pytest.fail(reason + ": CI installs them (.ci/run)")
        pytest.skip(reason)
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                "--window-size=1366,900", "--lang=en-US", "--no-first-run",
                "--disable-extensions", "--disable-background-networking"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=DriverService(chromedriver), options=options)
    driver.set_page_load_timeout(30)
    return driver


@pytest.fixture(scope="module")
def browser():
    driver = _driver()
    SHOTS.mkdir(parents=True, exist_ok=True)
    yield driver
    driver.quit()


@pytest.fixture(scope="module")
def console():
    """A server of the console tests' own: its home page lists only their accounts."""
    s = Server("--in-memory").start()
    yield s
    assert s.stop() == 0


UNLABELLED = """
return Array.from(document.querySelectorAll('input, select, textarea, button')).filter(function (e) {
  if (e.type === 'hidden') return false;
  if (e.tagName === 'BUTTON') return !(e.textContent.trim() || e.getAttribute('aria-label'));
  return !(e.id && document.querySelector('label[for="' + e.id + '"]'));
}).map(function (e) { return e.outerHTML; });
"""


def shot(driver, name):
    """A screenshot of the whole page, as a 1366-pixel-wide laptop screen shows it; and the
    page's controls checked for labels (every field has a <label for>, every button a name)."""
    import base64
    assert driver.execute_script(UNLABELLED) == [], name
    assert len(driver.find_elements("tag name", "h1")) == 1, name
    height = driver.execute_cdp_cmd("Page.getLayoutMetrics", {})["cssContentSize"]["height"]
    png = driver.execute_cdp_cmd("Page.captureScreenshot", {
        "format": "png", "captureBeyondViewport": True,
        "clip": {"x": 0, "y": 0, "width": 1366, "height": min(height, 6000), "scale": 1}})
    (SHOTS / f"{name}.png").write_bytes(base64.b64decode(png["data"]))


def by_text(driver, tag, text):
    from selenium.webdriver.common.by import By
    return driver.find_element(By.XPATH, f"//{tag}[normalize-space()={json.dumps(text)}]")


def css(driver, selector):
    from selenium.webdriver.common.by import By
    return driver.find_element(By.CSS_SELECTOR, selector)


def wait_for(predicate, timeout=10.0):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(0.1)


def click(driver, element):
    """Clicks a link or a form's button and waits for the page it leads to (a new document:
    the mark set on the old one is gone)."""
    driver.execute_script("window.__pclOldPage = true")
    element.click()
    wait_for(lambda: driver.execute_script(
        "return window.__pclOldPage === undefined && document.readyState === 'complete'"), 15)


def text_of(driver, selector):
    """An element's text, read in one step (live tables are replaced while we look)."""
    return driver.execute_script(
        "var e = document.querySelector(arguments[0]); return e ? e.textContent : ''", selector)


def notice(driver):
    found = driver.find_elements("css selector", "p.notice")
    assert found, driver.find_element("tag name", "main").text[:2000]
    return found[0].text


def test_approve_set_stage_and_add_a_seller_from_the_console(console, browser):
    account = fresh()
    c = console.client(account=account)
    oid = create_submitted(c, Customer={**opportunity_input()["Customer"],
                                        "Account": {**opportunity_input()["Customer"]["Account"],
                                                    "CompanyName": "Initech"}})
    with pytest.raises(c.exceptions.ResourceNotFoundException):
        c.get_aws_opportunity_summary(Catalog="Sandbox", RelatedOpportunityIdentifier=oid)

    browser.get(console.url + "/")                       # a browser at / is sent to the console
    assert browser.current_url == console.url + "/_admin/ui/"
    click(browser, by_text(browser, "a", account))               # the account's opportunities
    assert oid in css(browser, "#opportunity-list").text
    assert "Submitted" in css(browser, "#opportunity-list").text
    shot(browser, "01-home")
    click(browser, by_text(browser, "a", oid))                   # its page
    assert browser.find_element("tag name", "h1").text.startswith(oid)
    assert "AWS creates it when it approves" in css(browser, "p.why").text
    shot(browser, "02-opportunity-submitted")
    from selenium.webdriver.common.keys import Keys
    css(browser, "body").send_keys(Keys.TAB)             # the keyboard starts at "Skip to content"
    assert browser.switch_to.active_element.text == "Skip to content"

    css(browser, "#review-comments").send_keys("Welcome aboard")
    click(browser, by_text(browser, "button", "Approve"))
    assert "review decision was recorded" in notice(browser)
    summary = c.get_aws_opportunity_summary(Catalog="Sandbox", RelatedOpportunityIdentifier=oid)
    assert summary["RelatedOpportunityId"] == oid
    opp = c.get_opportunity(Catalog="Sandbox", Identifier=oid)
    assert opp["LifeCycle"]["ReviewStatus"] == "Approved"
    assert opp["LifeCycle"]["ReviewComments"] == "Welcome aboard"

    from selenium.webdriver.support.ui import Select
    Select(css(browser, "#aws-stage")).select_by_visible_text("Technical Validation")
    css(browser, "#aws-next").send_keys("Seller meets the CTO")
    click(browser, by_text(browser, "button", "Set AWS stage"))
    assert "AWS side of the opportunity was changed" in notice(browser)
    life = c.get_aws_opportunity_summary(Catalog="Sandbox", RelatedOpportunityIdentifier=oid)["LifeCycle"]
    assert life["Stage"] == "Technical Validation" and life["NextSteps"] == "Seller meets the CTO"

    css(browser, "#tm-first").send_keys("Sam")
    css(browser, "#tm-last").send_keys("Seller")
    css(browser, "#tm-email").send_keys("sam@example.com")
    Select(css(browser, "#tm-title")).select_by_visible_text("AWSSalesRep")
    click(browser, by_text(browser, "button", "Add team member"))
    assert "team member was added" in notice(browser)
    team = c.get_aws_opportunity_summary(Catalog="Sandbox", RelatedOpportunityIdentifier=oid)["OpportunityTeam"]
    assert {"FirstName": "Sam", "LastName": "Seller", "Email": "sam@example.com",
            "BusinessTitle": "AWSSalesRep"} in team
    page = css(browser, "main").text
    assert "Seller meets the CTO" in page and "sam@example.com" in page
    assert "Opportunity Updated" in css(browser, "ol.timeline").text
    shot(browser, "03-opportunity-approved")


def test_a_markup_laden_company_name_renders_as_text(console, browser):
    account = fresh()
    c = console.client(account=account)
    customer = opportunity_input()["Customer"]
    customer["Account"]["CompanyName"] = MARKUP
    oid = c.create_opportunity(Catalog="Sandbox", **opportunity_input(
        Customer=customer, Project={**opportunity_input()["Project"], "Title": "<i>Title</i>"}))["Id"]
    browser.get(f"{console.url}/_admin/ui/?account={account}&catalog=Sandbox")
    assert css(browser, "#opportunity-list td.customer").text == MARKUP
    assert "<i>Title</i>" in css(browser, "#opportunity-list").text
    assert browser.find_elements("id", "pwn") == []
    assert browser.execute_script("return window.pwned === undefined")
    click(browser, by_text(browser, "a", oid))
    assert css(browser, "strong.customer").text == MARKUP
    assert browser.find_elements("id", "pwn") == []
    assert browser.execute_script("return window.pwned === undefined")
    shot(browser, "04-markup-as-text")


def test_send_a_referral_from_the_form_accept_it_through_boto3_and_expire_another(console, browser):
    account = fresh()
    c = console.client(account=account)
    browser.get(console.url + "/_admin/ui/invitations")

    def refer(company, title):
        field = lambda i: css(browser, i)  # noqa: E731
        field("#r-account").clear()
        field("#r-account").send_keys(account)
        from selenium.webdriver.support.ui import Select
        Select(field("#r-catalog")).select_by_visible_text("Sandbox")
        field("#r-company").send_keys(company)
        field("#r-title").send_keys(title)
        field("#r-problem").send_keys("Sensor data sits unused in every plant.")
        field("#r-postal").send_keys("10001")
        click(browser, by_text(browser, "button", "Send referral"))
        assert "referral was sent" in notice(browser)

    refer("Globex", "Plant analytics")
    assert "PENDING" in css(browser, "table.invitations").text
    pending = c.list_engagement_invitations(Catalog="Sandbox", ParticipantType="RECEIVER",
                                            Status=["PENDING"])["EngagementInvitationSummaries"]
    assert [p["EngagementTitle"] for p in pending] == ["Plant analytics"]
    task = c.start_engagement_by_accepting_invitation_task(
        Catalog="Sandbox", Identifier=pending[0]["Arn"], ClientToken="console-accept")
    assert task["TaskStatus"] == "COMPLETE"
    opp = c.get_opportunity(Catalog="Sandbox", Identifier=task["OpportunityId"])
    assert opp["Customer"]["Account"]["CompanyName"] == "Globex"
    assert opp["LifeCycle"]["ReviewStatus"] == "Approved"

    refer("Umbrella", "Cold chain")                      # a second one, to expire
    rows = browser.find_elements("css selector", "table.invitations tbody tr")
    texts = [r.text for r in rows]
    assert any("Globex" in t and "ACCEPTED" in t for t in texts), texts
    assert any("Umbrella" in t and "PENDING" in t for t in texts), texts
    shot(browser, "05-invitations")
    click(browser, by_text(browser, "a", task["OpportunityId"]))          # the accepted referral's opportunity
    assert "AWS Referral" in css(browser, "p.facts").text
    click(browser, by_text(browser, "a", "Invitations & clock"))

    click(browser, by_text(browser, "button", "Expire"))
    assert "moved past the invitation's expiration date" in notice(browser)
    assert "from real time" in css(browser, "p.clock").text
    day = 86_400_000
    offset = console.raw(b"", method="GET", path="/_admin/clock")[2]["offsetMs"]
    assert 15 * day - 60_000 < offset <= 15 * day + 1_000          # its expiry, 15 days after sending
    umbrella = [i for i in c.list_engagement_invitations(
        Catalog="Sandbox", ParticipantType="RECEIVER")["EngagementInvitationSummaries"]
        if i["EngagementTitle"] == "Cold chain"]
    assert umbrella[0]["Status"] == "EXPIRED"

    css(browser, "#clock-advance").send_keys("P1D")
    click(browser, by_text(browser, "button", "Advance the clock"))
    assert "clock was moved" in notice(browser)
    assert console.raw(b"", method="GET", path="/_admin/clock")[2]["offsetMs"] == offset + day
    click(browser, by_text(browser, "button", "Return to real time"))
    assert "real time" in css(browser, "p.clock").text
    status, _, clock = console.raw(b"", method="GET", path="/_admin/clock")
    assert clock["mode"] == "real"


def test_activity_updates_live_and_a_fault_rule_throttles_the_next_call(console, browser):
    account = fresh()
    c = console.client(account=account)
    oid = c.create_opportunity(Catalog="Sandbox", **opportunity_input())["Id"]
    browser.get(console.url + "/_admin/ui/activity")
    c.list_solutions(Catalog="Sandbox")                  # after the page loaded: it must appear live
    wait_for(lambda: "ListSolutions" in text_of(browser, "table.calls"))
    assert account in text_of(browser, "table.calls")

    from selenium.webdriver.support.ui import Select
    Select(css(browser, "#fa-op")).select_by_visible_text("GetOpportunity")
    css(browser, "#fa-account").send_keys(account)
    Select(css(browser, "#fa-error")).select_by_visible_text("ThrottlingException")
    css(browser, "#fa-count").send_keys("1")
    click(browser, by_text(browser, "button", "Add fault rule"))
    assert "fault rule was added" in notice(browser)
    assert "GetOpportunity" in css(browser, "table.faults").text
    with pytest.raises(c.exceptions.ThrottlingException):
        c.get_opportunity(Catalog="Sandbox", Identifier=oid)
    assert c.get_opportunity(Catalog="Sandbox", Identifier=oid)["Id"] == oid   # count 1: used up
    wait_for(lambda: "ThrottlingException" in text_of(browser, "table.calls"))
    wait_for(lambda: "Opportunity Created" in text_of(browser, "table.events"))
    shot(browser, "06-activity")

    # A rule that stays, removed with its button.
    Select(css(browser, "#fa-op")).select_by_visible_text("ListSolutions")
    click(browser, by_text(browser, "button", "Add fault rule"))
    status, _, body = console.raw(b"", method="GET", path="/_admin/faults")
    assert [r["operation"] for r in body["faults"]] == ["ListSolutions"]
    rule = body["faults"][0]["id"]
    click(browser, css(browser, f'button[aria-label="Remove fault rule {rule}"]'))
    assert "fault rule was removed" in notice(browser)
    assert console.raw(b"", method="GET", path="/_admin/faults")[2]["faults"] == []


def test_the_console_asks_for_the_admin_token(browser):
    s = Server("--in-memory", "--admin-token", TOKEN).start()
    try:
        browser.delete_all_cookies()
        browser.get(s.url + "/_admin/ui/activity")
        assert "Enter that token" in css(browser, "main").text
        shot(browser, "07-token-prompt")
        css(browser, "#token").send_keys("not-the-token")
        click(browser, by_text(browser, "button", "Sign in"))
        assert "not the server's admin token" in css(browser, "p.error").text
        css(browser, "#token").send_keys(TOKEN)
        click(browser, by_text(browser, "button", "Sign in"))
        assert browser.current_url == s.url + "/_admin/ui/activity"
        assert TOKEN not in browser.current_url
        cookies = browser.get_cookies()
        assert len(cookies) == 1
        cookie = cookies[0]
        assert cookie["httpOnly"] and cookie["sameSite"] == "Strict" and TOKEN not in cookie["value"]
        click(browser, by_text(browser, "button", "Add fault rule"))      # a form works once signed in
        assert "fault rule was added" in notice(browser)
        status, _, _ = s.raw(b"", method="GET", path="/_admin/faults")
        assert status == 401                                      # the JSON API keeps its bearer token
        click(browser, by_text(browser, "button", "Sign out"))
        assert "Enter that token" in css(browser, "main").text
        browser.get(s.url + "/_admin/ui/")
        assert "Enter that token" in css(browser, "main").text
    finally:
        s.stop()
    assert TOKEN not in s.logs()


# --- raw HTTP: bad input, forgery, token, escaping ----------------------------------------

FORM = "application/x-www-form-urlencoded"


def form_token(server, headers=None):
    status, _, body = server.raw(b"", headers or {}, method="GET", path="/_admin/ui/activity")
    assert status == 200, status
    return re.search(r'name="csrf" value="([0-9a-f]+)"', body.decode()).group(1)


def post(server, path, fields, token=None, origin=True, headers=None, content_type=FORM):
    from urllib.parse import urlencode
    h = {"Content-Type": content_type}
    if origin:
        h["Origin"] = f"http://127.0.0.1:{server.port}"
    h.update(headers or {})
    if token is not None:
        fields = {**fields, "csrf": token}
    status, resp_headers, body = server.raw(urlencode(fields).encode(), h, path=path)
    text = body.decode() if isinstance(body, bytes) else json.dumps(body)
    return status, resp_headers, text


@pytest.fixture
def submitted(server, fresh_account):
    c = server.client(account=fresh_account)
    return c, fresh_account, create_submitted(c)


def scoped(account, catalog="Sandbox"):
    return f"/_admin/ui/accounts/{account}/catalogs/{catalog}"


def test_get_root_redirects_browsers_only(server):
    status, headers, _ = server.raw(b"", {"Accept": "text/html,application/xhtml+xml"}, method="GET")
    assert status == 303 and headers["location"] == "/_admin/ui/"
    status, headers, _ = server.raw(b"", {}, method="GET")
    assert status == 405 and headers["allow"] == "POST"                # API clients: as before
    status, headers, _ = server.raw(b"", {"Accept": "text/html", "X-Amz-Target": "AWSPartnerCentralSelling.ListSolutions"},
                                    method="GET")
    assert status == 405
    status, _, body = server.call("ListSolutions", {"Catalog": "Sandbox"}, {"Accept": "text/html"})
    assert status == 200 and "SolutionSummaries" in body


def test_review_buttons_refuse_bad_input_and_change_nothing(server, submitted):
    c, account, oid = submitted
    token = form_token(server)
    base = f"{scoped(account)}/opportunities/{oid}"
    cases = [
        (f"{base}/review", {"status": "Approvd"}, 400, "ReviewStatus must be one of"),
        (f"{base}/review", {}, 400, "status) is required"),
        (f"{scoped('12')}/opportunities/{oid}/review", {"status": "Approved"}, 400, "accountId must be 12 digits"),
        (f"{scoped(account, 'Nope')}/opportunities/{oid}/review", {"status": "Approved"}, 400, "catalog must be one of"),
        (f"{scoped(account)}/opportunities/O999999999/review", {"status": "Approved"}, 404, "O999999999"),
        (f"{base}/aws-stage", {"stage": "Qualified"}, 404, "No AWS opportunity"),
    ]
    for path, fields, want, needle in cases:
        status, headers, text = post(server, path, fields, token)
        assert status == want, (path, fields, status, text)
        assert headers["content-type"].startswith("text/html")
        assert needle in text, (needle, text)
    assert c.get_opportunity(Catalog="Sandbox", Identifier=oid)["LifeCycle"]["ReviewStatus"] == "Submitted"

    status, headers, _ = post(server, f"{base}/review", {"status": "Approved"}, token)
    assert status == 303 and headers["location"] == f"{base}?done=review"
    before = c.get_aws_opportunity_summary(Catalog="Sandbox", RelatedOpportunityIdentifier=oid)
    for path, fields, needle in [
        (f"{base}/aws-stage", {"stage": "Bogus"}, "Bogus"),
        (f"{base}/aws-stage", {}, "The AWS stage is required"),
        (f"{base}/aws-team", {"first_name": "Sam", "title": "Boss"}, "Boss"),
        (f"{base}/aws-team", {}, "needs at least a name"),
    ]:
        status, _, text = post(server, path, fields, token)
        assert status == 400 and needle in text, (fields, status, text)
    after = c.get_aws_opportunity_summary(Catalog="Sandbox", RelatedOpportunityIdentifier=oid)
    assert after.get("LifeCycle") == before.get("LifeCycle")
    assert after["OpportunityTeam"] == before["OpportunityTeam"]


def test_referral_clock_and_fault_forms_refuse_bad_input_and_change_nothing(server, fresh_account):
    c = server.client(account=fresh_account)
    token = form_token(server)
    good = {"account": fresh_account, "catalog": "Sandbox", "company": "Globex", "industry": "Manufacturing",
            "website": "https://globex.example.com", "country": "US", "title": "Plant analytics",
            "problem": "Sensor data sits unused in every plant.", "stage": "Prospect", "close": "2031-01-31",
            "sender": "aws"}
    for fields, needle in [
        ({**good, "account": "12345"}, "accountId must be 12 digits"),
        ({**good, "catalog": "Prod"}, "catalog must be one of"),
        ({k: v for k, v in good.items() if k != "company"}, "Customer company name is required"),
        ({**good, "stage": "Almost"}, "Almost"),
        ({**good, "sender": "someone"}, "SenderAwsAccountId"),
        ({**good, "close": "soon"}, "TargetCloseDate"),
    ]:
        status, _, text = post(server, "/_admin/ui/referrals", fields, token)
        assert status == 400 and needle in text, (fields, status, text)
    assert c.list_engagement_invitations(Catalog="Sandbox", ParticipantType="RECEIVER")["EngagementInvitationSummaries"] == []

    for fields, needle in [
        ({"action": "advance", "advance": "16 days"}, "advance"),
        ({"action": "advance"}, "duration to advance by is required"),
        ({"action": "set", "now": "tomorrow"}, "RFC 3339"),
        ({"action": "rewind"}, "action must be one of"),
    ]:
        status, _, text = post(server, "/_admin/ui/clock", fields, token)
        assert status == 400 and needle in text, (fields, status, text)
    assert server.raw(b"", method="GET", path="/_admin/clock")[2]["mode"] == "real"

    for fields, needle in [
        ({"operation": "GetOpportunity", "latencyMs": "slow"}, "Latency (ms) must be a whole number"),
        ({"operation": "GetOpportunity", "count": "-1"}, "Uses must be a whole number"),
        ({"operation": "GetOpportunity", "probability": "often"}, "Probability must be a number"),
        ({"operation": "NoSuchOperation"}, "NoSuchOperation"),
        ({"operation": "GetOpportunity", "error": "TeapotException"}, "TeapotException"),
        ({}, "The operation is required"),
        ({"operation": "GetOpportunity"}, "a rule needs an error"),
        ({"operation": "GetOpportunity", "error": "ThrottlingException", "accountId": "1"}, "accountId must be 12 digits"),
    ]:
        status, _, text = post(server, "/_admin/ui/faults", fields, token)
        assert status == 400 and needle in text, (fields, status, text)
    assert server.raw(b"", method="GET", path="/_admin/faults")[2]["faults"] == []

    status, _, text = post(server, "/_admin/ui/faults/f-nope/remove", {}, token)
    assert status == 404 and "no fault rule f-nope" in text
    status, _, text = post(server, f"{scoped(fresh_account)}/invitations/engi-0000000000000/expire", {}, token)
    assert status == 404


def test_console_pages_refuse_bad_queries(server, submitted):
    c, account, oid = submitted
    for path, want, needle in [
        ("/_admin/ui/?account=abc&catalog=Sandbox", 400, "accountId must be 12 digits"),
        (f"/_admin/ui/?account={account}&catalog=Moon", 400, "catalog must be one of"),
        (f"/_admin/ui/?account={account}&catalog=Sandbox&review=Maybe", 400, "review must be one of"),
        (f"/_admin/ui/?account={account}&catalog=Sandbox&stage=Done", 400, "stage must be one of"),
        (f"/_admin/ui/?account={account}&catalog=Sandbox&before=yesterday", 400, "before must be"),
        (f"{scoped(account)}/opportunities/O999999999", 404, "O999999999"),
        (f"{scoped('1234')}/opportunities/{oid}", 400, "accountId must be 12 digits"),
        ("/_admin/ui/invitations?account=x", 400, "accountId must be 12 digits"),
        ("/_admin/ui/no-such-page", 404, "no page GET /_admin/ui/no-such-page"),
    ]:
        status, headers, body = server.raw(b"", {}, method="GET", path=path)
        text = body.decode()
        assert status == want and needle in text, (path, status, text[:300])
        assert headers["content-type"].startswith("text/html")
    status, _, body = server.raw(b"", {}, method="GET",
                                 path=f"/_admin/ui/?account={account}&catalog=Sandbox&review=Submitted&q=O1")
    assert status == 200 and oid in body.decode()
    status, _, body = server.raw(b"", {}, method="GET",
                                 path=f"/_admin/ui/?account={account}&catalog=Sandbox&review=Approved")
    assert status == 200 and oid not in body.decode()
    status, _, body = server.raw(b"", {}, method="GET",
                                 path=f"/_admin/ui/?account={account}&catalog=Sandbox&q=%25")
    assert status == 200 and oid not in body.decode()         # % is searched for, not a wildcard


def test_forms_without_their_token_or_origin_are_refused(server, submitted):
    c, account, oid = submitted
    path = f"{scoped(account)}/opportunities/{oid}/review"
    token = form_token(server)
    for kwargs, want in [
        (dict(token=None), 403),                                          # no form token
        (dict(token="0" * 64), 403),                                      # a wrong one
        (dict(token=token, origin=False), 403),                           # neither Origin nor Referer
        (dict(token=token, origin=False, headers={"Origin": "http://evil.example"}), 403),
        (dict(token=token, origin=False, headers={"Referer": "http://evil.example/_admin/ui/"}), 403),
        (dict(token=token, content_type="application/json"), 415),
    ]:
        status, _, text = post(server, path, {"status": "Approved"}, **kwargs)
        assert status == want, (kwargs, status, text[:300])
    assert c.get_opportunity(Catalog="Sandbox", Identifier=oid)["LifeCycle"]["ReviewStatus"] == "Submitted"
    referer = {"Referer": f"http://127.0.0.1:{server.port}/_admin/ui/"}
    status, _, _ = post(server, path, {"status": "Approved"}, token=token, origin=False, headers=referer)
    assert status == 303
    assert c.get_opportunity(Catalog="Sandbox", Identifier=oid)["LifeCycle"]["ReviewStatus"] == "Approved"


def test_values_are_escaped_in_the_html(server, fresh_account):
    c = server.client(account=fresh_account)
    customer = opportunity_input()["Customer"]
    customer["Account"]["CompanyName"] = MARKUP
    oid = c.create_opportunity(Catalog="Sandbox", **opportunity_input(Customer=customer))["Id"]
    for path in (f"/_admin/ui/?account={fresh_account}&catalog=Sandbox",
                 f"/_admin/ui/?account={fresh_account}&catalog=Sandbox&part=list",
                 f"{scoped(fresh_account)}/opportunities/{oid}"):
        status, headers, body = server.raw(b"", {}, method="GET", path=path)
        text = body.decode()
        assert status == 200
        assert '<b id="pwn">' not in text and "<script>window" not in text
        assert "&lt;b id=&quot;pwn&quot;&gt;Evil&lt;/b&gt;&lt;script&gt;window.pwned=1&lt;/script&gt; &amp; Co" in text
        if "part=list" not in path:
            assert "script-src 'self'" in headers["content-security-policy"]


def test_assets_are_served_by_the_binary(server):
    for path, kind in (("/_admin/ui/assets/console.css", "text/css"),
                       ("/_admin/ui/assets/console.js", "text/javascript")):
        status, headers, body = server.raw(b"", {}, method="GET", path=path)
        assert status == 200 and headers["content-type"].startswith(kind) and len(body) > 500
    status, _, body = server.raw(b"", {}, method="GET", path="/_admin/ui/")
    assert b"http://" not in body and b"https://" not in body   # nothing fetched from elsewhere


def test_token_prompt_and_session_cookie_over_http():
    s = Server("--in-memory", "--admin-token", TOKEN).start()
    try:
        status, headers, body = s.raw(b"", {}, method="GET", path="/_admin/ui/invitations?account=111111111111")
        assert status == 401 and b'type="password"' in body and TOKEN.encode() not in body
        assert b'name="next" value="/_admin/ui/invitations?account=111111111111"' in body
        status, headers, body = s.raw(b"", {}, method="GET", path="/_admin/ui/assets/console.css")
        assert status == 200                                           # the prompt's stylesheet
        status, _, text = post(s, "/_admin/ui/login", {"token": "wrong", "next": "/_admin/ui/"})
        assert status == 401 and "not the server's admin token" in text
        status, _, _ = post(s, "/_admin/ui/login", {"token": TOKEN}, origin=False)
        assert status == 403                                           # a cross-site sign-in
        status, headers, _ = post(s, "/_admin/ui/login", {"token": TOKEN, "next": "https://evil.example/"})
        assert status == 303 and headers["location"] == "/_admin/ui/"
        cookie = headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/_admin/ui" in cookie
        assert TOKEN not in cookie
        session = cookie.split(";")[0]
        status, _, _ = s.raw(b"", {"Cookie": session}, method="GET", path="/_admin/ui/")
        assert status == 200
        status, _, _ = s.raw(b"", {"Cookie": session}, method="GET", path="/_admin/faults")
        assert status == 401                                           # the cookie is the console's only
        status, _, _ = s.raw(b"", {"Cookie": "pcl_console=" + "0" * 64}, method="GET", path="/_admin/ui/")
        assert status == 401
        status, _, _ = s.raw(b"", {"Authorization": f"Bearer {TOKEN}"}, method="GET", path="/_admin/ui/")
        assert status == 200
        token = form_token(s, {"Cookie": session})
        rule = {"operation": "ListSolutions", "error": "ThrottlingException"}
        status, _, _ = post(s, "/_admin/ui/faults", rule, token)
        assert status == 401                                           # a form without the session
        status, _, _ = post(s, "/_admin/ui/faults", rule, token, headers={"Cookie": session})
        assert status == 303
        status, _, body = s.raw(b"", {"Authorization": f"Bearer {TOKEN}"}, method="GET", path="/_admin/faults")
        assert [r["operation"] for r in body["faults"]] == ["ListSolutions"]
    finally:
        s.stop()
    assert TOKEN not in s.logs()


def test_oversized_garbage_and_wrong_method_requests_to_console_forms(server, submitted):
    import socket
    c, account, oid = submitted
    path = f"{scoped(account)}/opportunities/{oid}/review"
    token = form_token(server)
    # Declared larger than --max-body-bytes: refused before the body is read.
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as s:
        s.sendall(f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n"
                  f"Origin: http://127.0.0.1:{server.port}\r\nContent-Type: {FORM}\r\n"
                  "Content-Length: 7340032\r\n\r\n".encode())
        head = s.recv(4096).decode(errors="replace")
    assert head.startswith("HTTP/1.1 413"), head[:200]
    # Bytes that are no form at all (invalid UTF-8, stray separators) with the right token.
    body = b"\xff\xfe=%zz&&==&status=%C0%AF&csrf=" + token.encode()
    status, _, text = server.raw(body, {"Content-Type": FORM, "Origin": f"http://127.0.0.1:{server.port}"},
                                 path=path)
    assert status == 400 and b"ReviewStatus must be one of" in text
    status, _, _ = server.raw(b"", {}, method="PUT", path=path)
    assert status == 405
    status, _, _ = server.raw(b"", {}, method="DELETE", path="/_admin/ui/activity")
    assert status == 405
    assert c.get_opportunity(Catalog="Sandbox", Identifier=oid)["LifeCycle"]["ReviewStatus"] == "Submitted"
