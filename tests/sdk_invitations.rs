//! aws-sdk-rust against the real binary: engagement invitations (issue 9). An AWS referral
//! made in the Sandbox catalog becomes a PENDING invitation the partner lists, reads and
//! accepts into its pipeline; a rejected or expired invitation can no longer be accepted;
//! nobody but its parties sees it.

mod common;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_sdk_partnercentralselling as pc;
use pc::operation::start_engagement_by_accepting_invitation_task::StartEngagementByAcceptingInvitationTaskError as StartTaskError;
use pc::primitives::DateTime;
use pc::types::{
    Account, Address, Contact, CountryCode, Customer, EngagementInvitationPayloadType,
    ExpectedCustomerSpend, Industry, InvitationStatus, LifeCycle, OpportunityOrigin,
    ParticipantType, PaymentFrequency, Project, ReviewStatus, Stage, TaskStatus,
};
use serde_json::Value;

use common::{Binary, admin, client};

const RECEIVER: &str = "111111111111";
const THIRD: &str = "222222222222";
const PARTNER_SENDER: &str = "333333333333";
const DAY_MS: i64 = 86_400_000;
const TITLE: &str = "Data platform migration";
const PROBLEM: &str = "The customer runs out of capacity every quarter end.";

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

fn ms(d: &DateTime) -> i64 {
    d.to_millis().expect("a representable timestamp")
}

/// `prefix` followed by exactly `n` characters of `[0-9a-z]`.
fn is_id(value: &str, prefix: &str, n: usize) -> bool {
    value.strip_prefix(prefix).is_some_and(|rest| {
        rest.len() == n
            && rest
                .chars()
                .all(|c| c.is_ascii_digit() || c.is_ascii_lowercase())
    })
}

fn invitation_arn(catalog: &str, id: &str) -> String {
    format!("arn:aws:partnercentral:us-east-1::catalog/{catalog}/engagement-invitation/{id}")
}

/// The full customer and project an AWS referral carries (as tests/python/conftest.py's
/// `opportunity_input`), including what the receiver sees only after accepting.
fn customer() -> Customer {
    Customer::builder()
        .account(
            Account::builder()
                .company_name("Acme Corp")
                .industry(Industry::SoftwareInternet)
                .website_url("https://acme.example.com")
                .address(
                    Address::builder()
                        .country_code(CountryCode::Us)
                        .postal_code("98101")
                        .city("Seattle")
                        .build(),
                )
                .build()
                .unwrap(),
        )
        .contacts(
            Contact::builder()
                .email("ann@acme.example.com")
                .first_name("Ann")
                .last_name("Lee")
                .business_title("CTO")
                .phone("+12065550100")
                .build(),
        )
        .build()
}

fn project(title: &str) -> Project {
    Project::builder()
        .title(title)
        .customer_business_problem(PROBLEM)
        .expected_customer_spend(
            ExpectedCustomerSpend::builder()
                .amount("5000")
                .currency_code("USD".into())
                .frequency(PaymentFrequency::Monthly)
                .target_company("AWS")
                .build()
                .unwrap(),
        )
        .build()
}

/// AWS refers an opportunity to the caller (Sandbox simulation). Returns the reserved
/// opportunity id and the caller's clock before and after the call.
async fn refer(c: &pc::Client, title: &str) -> (String, i64, i64) {
    let before = now_ms();
    let out = c
        .create_opportunity()
        .catalog("Sandbox")
        .origin(OpportunityOrigin::AwsReferral)
        .client_token(format!("referral-{title}"))
        .customer(customer())
        .project(project(title))
        .life_cycle(
            LifeCycle::builder()
                .stage(Stage::Prospect)
                .next_steps("Schedule a discovery call")
                .target_close_date("2029-06-30")
                .build(),
        )
        .send()
        .await
        .expect("an AWS referral is accepted in the Sandbox catalog");
    let after = now_ms();
    assert!(out.id.starts_with('O'), "{}", out.id);
    (out.id, before, after)
}

/// The caller's PENDING received invitations, newest first.
async fn pending(c: &pc::Client) -> Vec<pc::types::EngagementInvitationSummary> {
    c.list_engagement_invitations()
        .catalog("Sandbox")
        .participant_type(ParticipantType::Receiver)
        .status(InvitationStatus::Pending)
        .send()
        .await
        .expect("listing invitations succeeds")
        .engagement_invitation_summaries()
        .to_vec()
}

async fn invitation_status(c: &pc::Client, id: &str) -> Option<InvitationStatus> {
    c.get_engagement_invitation()
        .catalog("Sandbox")
        .identifier(id)
        .send()
        .await
        .expect("the receiver reads its invitation")
        .status()
        .cloned()
}

fn events(url: &str) -> Vec<Value> {
    let (status, body) = admin(url, "GET", "/events", "");
    assert_eq!(status, 200, "{body}");
    let doc: Value = serde_json::from_str(&body).expect("the event list is JSON");
    doc["events"].as_array().cloned().unwrap_or_default()
}

fn clock(url: &str, method: &str, body: &str) -> Value {
    let (status, text) = admin(url, method, "/clock", body);
    assert_eq!(status, 200, "{method} /_admin/clock {body}: {text}");
    serde_json::from_str(&text).expect("the clock answers JSON")
}

#[tokio::test]
async fn an_aws_referral_is_listed_read_and_accepted_into_the_pipeline() {
    let server = Binary::start(&["--in-memory"]);
    let c = client(&server.url, RECEIVER, "secret");
    let (id, before, after) = refer(&c, TITLE).await;

    // Nothing is in the pipeline before acceptance.
    let err = c
        .get_opportunity()
        .catalog("Sandbox")
        .identifier(&id)
        .send()
        .await
        .expect_err("a referral is no opportunity before acceptance");
    assert!(
        err.as_service_error()
            .is_some_and(|e| e.is_resource_not_found_exception()),
        "{err:?}"
    );
    let listed = c
        .list_opportunities()
        .catalog("Sandbox")
        .send()
        .await
        .unwrap();
    assert!(
        listed
            .opportunity_summaries()
            .iter()
            .all(|s| s.id() != Some(id.as_str())),
        "the referral is listed before acceptance"
    );

    // ListEngagementInvitations: one PENDING invitation from AWS.
    let summaries = pending(&c).await;
    assert_eq!(summaries.len(), 1, "{summaries:?}");
    let s = &summaries[0];
    let inv = s.id().to_string();
    assert!(is_id(&inv, "engi-", 13), "{inv}");
    let arn = invitation_arn("Sandbox", &inv);
    assert_eq!(s.arn(), Some(arn.as_str()));
    assert_eq!(s.catalog(), "Sandbox");
    assert_eq!(
        s.payload_type(),
        Some(&EngagementInvitationPayloadType::OpportunityInvitation)
    );
    assert_eq!(s.status(), Some(&InvitationStatus::Pending));
    assert_eq!(s.sender_aws_account_id(), Some("aws"));
    assert_eq!(s.sender_company_name(), Some("AWS"));
    assert_eq!(s.participant_type(), Some(&ParticipantType::Receiver));
    assert_eq!(s.engagement_title(), Some(TITLE));
    let engagement = s.engagement_id().expect("an engagement id").to_string();
    assert!(is_id(&engagement, "eng-", 14), "{engagement}");
    assert_eq!(
        s.receiver()
            .and_then(|r| r.as_account().ok())
            .map(|a| a.aws_account_id()),
        Some(RECEIVER)
    );
    let listed_date = ms(s.invitation_date().expect("an invitation date"));
    assert!(
        (before..=after).contains(&listed_date),
        "InvitationDate {listed_date} outside the referral call [{before}, {after}]"
    );
    assert_eq!(
        ms(s.expiration_date().expect("an expiration date")) - listed_date,
        15 * DAY_MS
    );

    // GetEngagementInvitation by ARN: typed members, redacted customer.
    let got = c
        .get_engagement_invitation()
        .catalog("Sandbox")
        .identifier(&arn)
        .send()
        .await
        .expect("the receiver reads the invitation by ARN");
    assert_eq!(got.id(), inv);
    assert_eq!(got.arn(), Some(arn.as_str()));
    assert_eq!(got.catalog(), "Sandbox");
    assert_eq!(got.status(), Some(&InvitationStatus::Pending));
    assert_eq!(got.engagement_id(), Some(engagement.as_str()));
    assert_eq!(got.engagement_title(), Some(TITLE));
    assert_eq!(got.engagement_description(), Some(PROBLEM));
    assert_eq!(got.sender_aws_account_id(), Some("aws"));
    assert_eq!(got.sender_company_name(), Some("AWS"));
    assert_eq!(got.rejection_reason(), None);
    assert!(got.invitation_message().is_some_and(|m| !m.is_empty()));
    let invited = ms(got.invitation_date().expect("an invitation date"));
    assert_eq!(invited, listed_date);
    assert_eq!(
        ms(got.expiration_date().expect("an expiration date")),
        invited + 15 * DAY_MS,
        "ExpirationDate = InvitationDate + 15 days"
    );
    let members = got.existing_members();
    assert_eq!(members.len(), 1, "{members:?}");
    assert_eq!(members[0].company_name(), Some("AWS"));
    assert_eq!(members[0].website_url(), Some("www.aws.com"));
    let payload = got
        .payload()
        .and_then(|p| p.as_opportunity_invitation().ok())
        .expect("an OpportunityInvitation payload");
    let cust = payload.customer().expect("the payload names the customer");
    assert_eq!(cust.company_name(), "Acme Corp");
    assert_eq!(cust.country_code(), &CountryCode::Us);
    assert_eq!(cust.industry(), &Industry::SoftwareInternet);
    assert_eq!(cust.website_url(), "https://acme.example.com");
    let proj = payload.project().expect("the payload names the project");
    assert_eq!(proj.title(), TITLE);
    assert_eq!(proj.business_problem(), PROBLEM);
    assert_eq!(proj.expected_customer_spend().len(), 1);
    assert_eq!(proj.expected_customer_spend()[0].amount(), "5000");
    // The same invitation by its bare id.
    let by_id = c
        .get_engagement_invitation()
        .catalog("Sandbox")
        .identifier(&inv)
        .send()
        .await
        .unwrap();
    assert_eq!(by_id.arn(), Some(arn.as_str()));

    // Nobody else sees it: a third account, or the other catalog.
    let third = client(&server.url, THIRD, "secret");
    let err = third
        .get_engagement_invitation()
        .catalog("Sandbox")
        .identifier(&inv)
        .send()
        .await
        .expect_err("a third account cannot read the invitation");
    assert!(
        err.as_service_error()
            .is_some_and(|e| e.is_resource_not_found_exception()),
        "{err:?}"
    );
    let err = third
        .start_engagement_by_accepting_invitation_task()
        .catalog("Sandbox")
        .identifier(&inv)
        .client_token("third-party-accept")
        .send()
        .await
        .expect_err("a third account cannot accept the invitation");
    assert!(
        err.as_service_error()
            .is_some_and(|e| e.is_resource_not_found_exception()),
        "{err:?}"
    );
    assert!(
        pending(&third).await.is_empty(),
        "the third account lists nothing"
    );
    let err = c
        .get_engagement_invitation()
        .catalog("AWS")
        .identifier(&inv)
        .send()
        .await
        .expect_err("the invitation is not in the AWS catalog");
    assert!(
        err.as_service_error()
            .is_some_and(|e| e.is_resource_not_found_exception()),
        "{err:?}"
    );

    // Accept through the task: COMPLETE at once, the opportunity keeps the referral's id.
    tokio::time::sleep(Duration::from_millis(20)).await;
    let task = c
        .start_engagement_by_accepting_invitation_task()
        .catalog("Sandbox")
        .identifier(&arn)
        .client_token("accept-1")
        .send()
        .await
        .expect("the receiver accepts the referral");
    assert_eq!(task.task_status(), Some(&TaskStatus::Complete));
    assert_eq!(task.opportunity_id(), Some(id.as_str()));
    assert_eq!(
        task.engagement_invitation_id(),
        Some(inv.as_str()),
        "the bare id although an ARN was sent"
    );
    let task_id = task.task_id().expect("a task id").to_string();
    assert!(is_id(&task_id, "task-", 13), "{task_id}");
    assert_eq!(
        task.task_arn(),
        Some(
            format!(
                "arn:aws:partnercentral:us-east-1::catalog/Sandbox/\
                 engagement-by-accepting-invitation-task/{task_id}"
            )
            .as_str()
        )
    );
    assert!(
        task.resource_snapshot_job_id()
            .is_some_and(|j| is_id(j, "job-", 13)),
        "{:?}",
        task.resource_snapshot_job_id()
    );
    assert!(task.start_time().is_some());
    assert_eq!(task.reason_code(), None);

    // GetOpportunity: approved, full customer data, created when AWS referred it.
    let opp = c
        .get_opportunity()
        .catalog("Sandbox")
        .identifier(&id)
        .send()
        .await
        .expect("the accepted referral is an opportunity");
    let life = opp.life_cycle().expect("a life cycle");
    assert_eq!(life.review_status(), Some(&ReviewStatus::Approved));
    assert_eq!(life.stage(), Some(&Stage::Prospect));
    let account = opp
        .customer()
        .and_then(|c| c.account())
        .expect("a customer account");
    assert_eq!(account.company_name(), "Acme Corp");
    let address = account.address().expect("the address is revealed");
    assert_eq!(address.city(), Some("Seattle"));
    assert_eq!(address.postal_code(), Some("98101"));
    let contacts = opp.customer().map(|c| c.contacts()).unwrap_or_default();
    assert_eq!(contacts.len(), 1, "{contacts:?}");
    assert_eq!(contacts[0].email(), Some("ann@acme.example.com"));
    let created = ms(opp.created_date());
    assert!(
        (before..=after).contains(&created),
        "CreatedDate {created} is not the referral time [{before}, {after}]"
    );
    assert!(
        ms(opp.last_modified_date()) > created,
        "LastModifiedDate is the acceptance time, after CreatedDate"
    );
    assert_eq!(opp.project().and_then(|p| p.title()), Some(TITLE));

    // GetAwsOpportunitySummary answers at once; it carries the origin.
    let summary = c
        .get_aws_opportunity_summary()
        .catalog("Sandbox")
        .related_opportunity_identifier(&id)
        .send()
        .await
        .expect("the AWS summary of an accepted referral exists at once");
    assert_eq!(summary.related_opportunity_id(), Some(id.as_str()));
    assert_eq!(summary.origin(), Some(&OpportunityOrigin::AwsReferral));

    // ListEngagementByAcceptingInvitationTasks: the one task, by every filter.
    let tasks = c
        .list_engagement_by_accepting_invitation_tasks()
        .catalog("Sandbox")
        .send()
        .await
        .unwrap();
    let list = tasks.task_summaries();
    assert_eq!(list.len(), 1, "{list:?}");
    assert_eq!(list[0].task_id(), Some(task_id.as_str()));
    assert_eq!(list[0].task_status(), Some(&TaskStatus::Complete));
    assert_eq!(list[0].opportunity_id(), Some(id.as_str()));
    assert_eq!(list[0].engagement_invitation_id(), Some(inv.as_str()));
    assert_eq!(tasks.next_token(), None);
    let by_opportunity = c
        .list_engagement_by_accepting_invitation_tasks()
        .catalog("Sandbox")
        .opportunity_identifier(&id)
        .engagement_invitation_identifier(&inv)
        .task_status(TaskStatus::Complete)
        .send()
        .await
        .unwrap();
    assert_eq!(by_opportunity.task_summaries().len(), 1);
    let none = c
        .list_engagement_by_accepting_invitation_tasks()
        .catalog("Sandbox")
        .task_status(TaskStatus::Failed)
        .send()
        .await
        .unwrap();
    assert!(none.task_summaries().is_empty(), "{none:?}");
    let theirs = third
        .list_engagement_by_accepting_invitation_tasks()
        .catalog("Sandbox")
        .send()
        .await
        .unwrap();
    assert!(
        theirs.task_summaries().is_empty(),
        "tasks are private: {theirs:?}"
    );

    // The invitation is ACCEPTED now; no longer pending.
    assert_eq!(
        invitation_status(&c, &inv).await,
        Some(InvitationStatus::Accepted)
    );
    assert!(pending(&c).await.is_empty());

    // Starting again answers the same task; still one opportunity.
    let again = c
        .start_engagement_by_accepting_invitation_task()
        .catalog("Sandbox")
        .identifier(&inv)
        .client_token("accept-2")
        .send()
        .await
        .expect("a repeated start answers the existing task");
    assert_eq!(again.task_id(), Some(task_id.as_str()));
    assert_eq!(again.task_status(), Some(&TaskStatus::Complete));
    assert_eq!(again.opportunity_id(), Some(id.as_str()));
    let listed = c
        .list_opportunities()
        .catalog("Sandbox")
        .send()
        .await
        .unwrap();
    assert_eq!(
        listed
            .opportunity_summaries()
            .iter()
            .filter(|s| s.id() == Some(id.as_str()))
            .count(),
        1
    );
    // The third account still has no opportunity of that id.
    let err = third
        .get_opportunity()
        .catalog("Sandbox")
        .identifier(&id)
        .send()
        .await
        .expect_err("the opportunity is the receiver's alone");
    assert!(
        err.as_service_error()
            .is_some_and(|e| e.is_resource_not_found_exception())
    );

    // A second referral: newest first; reusing the first task's token on it conflicts.
    let (second, _, _) = refer(&c, "Analytics modernisation").await;
    let all = c
        .list_engagement_invitations()
        .catalog("Sandbox")
        .participant_type(ParticipantType::Receiver)
        .send()
        .await
        .unwrap();
    let ids: Vec<&str> = all
        .engagement_invitation_summaries()
        .iter()
        .map(|s| s.id())
        .collect();
    assert_eq!(ids.len(), 2, "{ids:?}");
    assert_eq!(ids[1], inv, "default order is InvitationDate DESCENDING");
    let newer = ids[0].to_string();
    let err = c
        .start_engagement_by_accepting_invitation_task()
        .catalog("Sandbox")
        .identifier(&newer)
        .client_token("accept-1")
        .send()
        .await
        .expect_err("the same client token with another body conflicts");
    assert!(
        err.as_service_error()
            .is_some_and(|e| e.is_conflict_exception()),
        "{err:?}"
    );
    assert_eq!(
        invitation_status(&c, &newer).await,
        Some(InvitationStatus::Pending)
    );
    let err = c
        .get_opportunity()
        .catalog("Sandbox")
        .identifier(&second)
        .send()
        .await
        .expect_err("the second referral is still no opportunity");
    assert!(
        err.as_service_error()
            .is_some_and(|e| e.is_resource_not_found_exception())
    );
}

#[tokio::test]
async fn a_rejected_referral_cannot_be_accepted_later() {
    let server = Binary::start(&["--in-memory"]);
    let c = client(&server.url, RECEIVER, "secret");
    let (id, _, _) = refer(&c, TITLE).await;
    let inv = pending(&c).await[0].id().to_string();

    c.reject_engagement_invitation()
        .catalog("Sandbox")
        .identifier(invitation_arn("Sandbox", &inv))
        .rejection_reason("Customer problem unclear")
        .send()
        .await
        .expect("the receiver rejects the referral");

    let got = c
        .get_engagement_invitation()
        .catalog("Sandbox")
        .identifier(&inv)
        .send()
        .await
        .unwrap();
    assert_eq!(got.status(), Some(&InvitationStatus::Rejected));
    assert_eq!(got.rejection_reason(), Some("Customer problem unclear"));
    assert!(pending(&c).await.is_empty());
    let rejected = c
        .list_engagement_invitations()
        .catalog("Sandbox")
        .participant_type(ParticipantType::Receiver)
        .status(InvitationStatus::Rejected)
        .send()
        .await
        .unwrap();
    assert_eq!(
        rejected
            .engagement_invitation_summaries()
            .iter()
            .map(|s| s.id())
            .collect::<Vec<_>>(),
        vec![inv.as_str()]
    );

    let err = c
        .start_engagement_by_accepting_invitation_task()
        .catalog("Sandbox")
        .identifier(&inv)
        .client_token("accept-after-reject")
        .send()
        .await
        .expect_err("a rejected invitation cannot be accepted");
    match err.into_service_error() {
        StartTaskError::ConflictException(e) => {
            let message = e.message().unwrap_or_default();
            assert!(
                message.contains("REJECTED") || message.contains(&inv),
                "{message}"
            );
        }
        other => panic!("expected ConflictException, got {other:?}"),
    }
    let err = c
        .accept_engagement_invitation()
        .catalog("Sandbox")
        .identifier(&inv)
        .send()
        .await
        .expect_err("AcceptEngagementInvitation refuses it too");
    assert!(
        err.as_service_error()
            .is_some_and(|e| e.is_conflict_exception()),
        "{err:?}"
    );
    let err = c
        .reject_engagement_invitation()
        .catalog("Sandbox")
        .identifier(&inv)
        .send()
        .await
        .expect_err("a second rejection conflicts");
    assert!(
        err.as_service_error()
            .is_some_and(|e| e.is_conflict_exception()),
        "{err:?}"
    );

    // The referral never reaches the pipeline and no task was recorded.
    let err = c
        .get_opportunity()
        .catalog("Sandbox")
        .identifier(&id)
        .send()
        .await
        .expect_err("a rejected referral is no opportunity");
    assert!(
        err.as_service_error()
            .is_some_and(|e| e.is_resource_not_found_exception())
    );
    let tasks = c
        .list_engagement_by_accepting_invitation_tasks()
        .catalog("Sandbox")
        .send()
        .await
        .unwrap();
    assert!(tasks.task_summaries().is_empty(), "{tasks:?}");
}

#[tokio::test]
async fn an_unanswered_referral_expires_after_fifteen_days_on_the_control_plane_clock() {
    let server = Binary::start(&["--in-memory"]);
    let c = client(&server.url, RECEIVER, "secret");
    let (id, _, _) = refer(&c, TITLE).await;
    let inv = pending(&c).await[0].id().to_string();

    let real = clock(&server.url, "GET", "");
    assert_eq!(real["mode"], "real", "{real}");
    assert_eq!(real["offsetMs"], 0, "{real}");

    // Fourteen days on it is still pending.
    let moved = clock(&server.url, "POST", r#"{"advance": "P14D"}"#);
    assert_eq!(moved["mode"], "offset", "{moved}");
    assert_eq!(moved["offsetMs"], 14 * DAY_MS, "{moved}");
    assert_eq!(
        invitation_status(&c, &inv).await,
        Some(InvitationStatus::Pending)
    );

    // Sixteen days: EXPIRED, on Get and on List.
    let moved = clock(&server.url, "POST", r#"{"advance": "P2D"}"#);
    assert_eq!(moved["offsetMs"], 16 * DAY_MS, "{moved}");
    let got = c
        .get_engagement_invitation()
        .catalog("Sandbox")
        .identifier(&inv)
        .send()
        .await
        .unwrap();
    assert_eq!(got.status(), Some(&InvitationStatus::Expired));
    assert_eq!(
        ms(got.expiration_date().unwrap()) - ms(got.invitation_date().unwrap()),
        15 * DAY_MS,
        "expiry keeps the dates"
    );
    assert!(pending(&c).await.is_empty());
    let expired = c
        .list_engagement_invitations()
        .catalog("Sandbox")
        .participant_type(ParticipantType::Receiver)
        .status(InvitationStatus::Expired)
        .send()
        .await
        .unwrap();
    let summaries = expired.engagement_invitation_summaries();
    assert_eq!(summaries.len(), 1, "{summaries:?}");
    assert_eq!(summaries[0].id(), inv);
    assert_eq!(summaries[0].status(), Some(&InvitationStatus::Expired));

    // Too late to answer it.
    let err = c
        .start_engagement_by_accepting_invitation_task()
        .catalog("Sandbox")
        .identifier(&inv)
        .client_token("accept-after-expiry")
        .send()
        .await
        .expect_err("an expired invitation cannot be accepted");
    match err.into_service_error() {
        StartTaskError::ConflictException(e) => {
            let message = e.message().unwrap_or_default();
            assert!(
                message.contains("EXPIRED") || message.contains(&inv),
                "{message}"
            );
        }
        other => panic!("expected ConflictException, got {other:?}"),
    }
    let err = c
        .reject_engagement_invitation()
        .catalog("Sandbox")
        .identifier(&inv)
        .rejection_reason("Other")
        .send()
        .await
        .expect_err("an expired invitation cannot be rejected");
    assert!(
        err.as_service_error()
            .is_some_and(|e| e.is_conflict_exception()),
        "{err:?}"
    );
    let err = c
        .get_opportunity()
        .catalog("Sandbox")
        .identifier(&id)
        .send()
        .await
        .expect_err("an expired referral is no opportunity");
    assert!(
        err.as_service_error()
            .is_some_and(|e| e.is_resource_not_found_exception())
    );

    // Exactly one Expired event, to the receiver; the background settle adds none.
    tokio::time::sleep(Duration::from_millis(1_200)).await;
    let expired_events: Vec<Value> = events(&server.url)
        .into_iter()
        .filter(|e| e["detail-type"] == "Engagement Invitation Expired")
        .collect();
    assert_eq!(expired_events.len(), 1, "{expired_events:?}");
    let e = &expired_events[0];
    assert_eq!(e["account"], RECEIVER);
    assert_eq!(e["resources"][0], invitation_arn("Sandbox", &inv).as_str());
    assert_eq!(e["detail"]["engagementInvitation"]["id"], inv.as_str());
    assert_eq!(
        e["detail"]["engagementInvitation"]["participantType"],
        "RECEIVER"
    );

    // A new referral after the jump is dated by the moved clock, and DELETE returns to real time.
    let (_, before, _) = refer(&c, "Analytics modernisation").await;
    let newest = pending(&c).await;
    assert_eq!(newest.len(), 1);
    let dated = ms(newest[0].invitation_date().unwrap());
    assert!(
        dated >= before + 16 * DAY_MS - 1_000,
        "InvitationDate {dated} does not follow the clock (real {before})"
    );
    let back = clock(&server.url, "DELETE", "");
    assert_eq!(back["mode"], "real", "{back}");
    assert_eq!(back["offsetMs"], 0, "{back}");
}

#[tokio::test]
async fn only_the_receiver_may_answer_a_partner_sent_referral() {
    let server = Binary::start(&["--in-memory"]);
    let body = serde_json::json!({
        "Opportunity": {
            "Customer": {"Account": {"CompanyName": "Acme Corp", "Industry": "Software and Internet",
                                     "WebsiteUrl": "https://acme.example.com",
                                     "Address": {"CountryCode": "US", "City": "Seattle"}}},
            "Project": {"Title": TITLE, "CustomerBusinessProblem": PROBLEM},
            "LifeCycle": {"Stage": "Prospect", "TargetCloseDate": "2029-06-30"}
        },
        "SenderAwsAccountId": PARTNER_SENDER,
        "SenderCompanyName": "Globex Partners"
    });
    let (status, text) = admin(
        &server.url,
        "POST",
        &format!("/accounts/{RECEIVER}/catalogs/Sandbox/invitations"),
        &body.to_string(),
    );
    assert_eq!(status, 200, "{text}");
    let sent: Value = serde_json::from_str(&text).unwrap();
    let inv = sent["InvitationId"]
        .as_str()
        .expect("an InvitationId")
        .to_string();
    assert!(is_id(&inv, "engi-", 13), "{inv}");
    assert_eq!(sent["PayloadType"], "OpportunityInvitation");

    let receiver = client(&server.url, RECEIVER, "secret");
    let sender = client(&server.url, PARTNER_SENDER, "secret");
    let got = receiver
        .get_engagement_invitation()
        .catalog("Sandbox")
        .identifier(&inv)
        .send()
        .await
        .unwrap();
    assert_eq!(got.sender_aws_account_id(), Some(PARTNER_SENDER));
    assert_eq!(got.sender_company_name(), Some("Globex Partners"));
    assert_eq!(got.status(), Some(&InvitationStatus::Pending));

    // The sender reads it and lists it as SENDER, never as RECEIVER.
    let theirs = sender
        .get_engagement_invitation()
        .catalog("Sandbox")
        .identifier(&inv)
        .send()
        .await
        .expect("the sender reads its invitation");
    assert_eq!(theirs.status(), Some(&InvitationStatus::Pending));
    let as_sender = sender
        .list_engagement_invitations()
        .catalog("Sandbox")
        .participant_type(ParticipantType::Sender)
        .send()
        .await
        .unwrap();
    let s = as_sender.engagement_invitation_summaries();
    assert_eq!(s.len(), 1, "{s:?}");
    assert_eq!(s[0].id(), inv);
    assert_eq!(s[0].participant_type(), Some(&ParticipantType::Sender));
    assert!(pending(&sender).await.is_empty());

    // The sender cannot answer it.
    let err = sender
        .start_engagement_by_accepting_invitation_task()
        .catalog("Sandbox")
        .identifier(&inv)
        .client_token("sender-accept")
        .send()
        .await
        .expect_err("the sender cannot accept its own invitation");
    assert!(
        err.as_service_error()
            .is_some_and(|e| e.is_access_denied_exception()),
        "{err:?}"
    );
    let err = sender
        .reject_engagement_invitation()
        .catalog("Sandbox")
        .identifier(&inv)
        .send()
        .await
        .expect_err("the sender cannot reject its own invitation");
    assert!(
        err.as_service_error()
            .is_some_and(|e| e.is_access_denied_exception()),
        "{err:?}"
    );
    assert_eq!(
        invitation_status(&receiver, &inv).await,
        Some(InvitationStatus::Pending)
    );

    // A third account does not see it at all.
    let third = client(&server.url, THIRD, "secret");
    let err = third
        .reject_engagement_invitation()
        .catalog("Sandbox")
        .identifier(&inv)
        .send()
        .await
        .expect_err("a third account cannot reject it");
    assert!(
        err.as_service_error()
            .is_some_and(|e| e.is_resource_not_found_exception()),
        "{err:?}"
    );
}

#[tokio::test]
async fn with_a_task_delay_the_accept_task_is_polled_from_in_progress_to_complete() {
    let server = Binary::start(&["--in-memory", "--task-delay-ms", "400"]);
    let c = client(&server.url, RECEIVER, "secret");
    let (id, _, _) = refer(&c, TITLE).await;
    let inv = pending(&c).await[0].id().to_string();

    let task = c
        .start_engagement_by_accepting_invitation_task()
        .catalog("Sandbox")
        .identifier(&inv)
        .client_token("delayed-accept")
        .send()
        .await
        .unwrap();
    assert_eq!(task.task_status(), Some(&TaskStatus::InProgress));
    assert_eq!(task.opportunity_id(), None);
    let task_id = task.task_id().expect("a task id").to_string();
    assert_eq!(
        invitation_status(&c, &inv).await,
        Some(InvitationStatus::Pending)
    );
    let err = c
        .reject_engagement_invitation()
        .catalog("Sandbox")
        .identifier(&inv)
        .send()
        .await
        .expect_err("an invitation being accepted cannot be rejected");
    assert!(
        err.as_service_error()
            .is_some_and(|e| e.is_conflict_exception()),
        "{err:?}"
    );

    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    let done = loop {
        let list = c
            .list_engagement_by_accepting_invitation_tasks()
            .catalog("Sandbox")
            .task_identifier(&task_id)
            .send()
            .await
            .unwrap();
        let s = list.task_summaries();
        assert_eq!(s.len(), 1, "{s:?}");
        if s[0].task_status() == Some(&TaskStatus::Complete) {
            break s[0].clone();
        }
        assert_eq!(s[0].task_status(), Some(&TaskStatus::InProgress));
        assert!(
            std::time::Instant::now() < deadline,
            "the task is still IN_PROGRESS after 5 s"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(done.opportunity_id(), Some(id.as_str()));
    assert_eq!(
        invitation_status(&c, &inv).await,
        Some(InvitationStatus::Accepted)
    );
    let again = c
        .start_engagement_by_accepting_invitation_task()
        .catalog("Sandbox")
        .identifier(&inv)
        .client_token("delayed-accept")
        .send()
        .await
        .unwrap();
    assert_eq!(again.task_id(), Some(task_id.as_str()));
    assert_eq!(again.task_status(), Some(&TaskStatus::Complete));
    let opp = c
        .get_opportunity()
        .catalog("Sandbox")
        .identifier(&id)
        .send()
        .await
        .unwrap();
    assert_eq!(
        opp.life_cycle().and_then(|l| l.review_status()),
        Some(&ReviewStatus::Approved)
    );
}
