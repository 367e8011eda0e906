//! aws-sdk-rust against the real binary: engagements (research api-rest.md §3, §5, §8
//! sequences 3 and 4). Partners co-sell one customer opportunity in an engagement (A submits,
//! invites B, AWS approves and B follows), a lead shared with a partner becomes its opportunity
//! in the same engagement, AWS prospects that lead, and a non-member sees none of it.

mod common;

use aws_sdk_partnercentralselling as pc;
use pc::primitives::DateTime;
use pc::types::{
    Account, AccountReceiver, Address, AwsSubmission, Contact, CountryCode, Customer,
    CustomerProjectsContext, EngagementContextDetails, EngagementContextPayload,
    EngagementContextType, EngagementCustomer, EngagementCustomerProjectDetails,
    EngagementInvitationPayloadType, Industry, Invitation, InvitationStatus, LeadContact,
    LeadContext, LeadCustomer, LeadInteraction, LeadInvitationCustomer, LeadInvitationInteraction,
    LeadInvitationPayload, OpportunityInvitationPayload, OpportunityOrigin, ParticipantType,
    Payload, PrimaryNeedFromAws, Project, ProjectDetails, ProspectingTaskStatus, ReasonCode,
    Receiver, ReceiverResponsibility, RelatedEntityType, ResourceType, ReviewStatus,
    SalesInvolvementType, SenderContact, Stage, TaskStatus, UpdateEngagementContextPayload,
    UpdateLeadContext, Visibility,
};

use common::{Binary, admin, client, customer, is_id, life_cycle, project, spend};

const CATALOG: &str = "Sandbox";
/// The partner that submits (sequence 3) or shares the lead (sequence 4).
const A: &str = "111111111111";
/// The partner A invites.
const B: &str = "222222222222";
/// A partner that is never a member.
const C: &str = "333333333333";
const SOLUTION: &str = "S-1234567";
const TITLE: &str = "Data platform";
const PROBLEM: &str = "Quarter-end reports take three days.";
const LEAD_COMPANY: &str = "Globex";
const LEAD_PROBLEM: &str = "Sensor data sits unused in every plant.";
/// A well-formed engagement id no engagement has.
const UNKNOWN_ENGAGEMENT: &str = "eng-zzzzzzzzzzzzzz";

fn engagement_arn(id: &str) -> String {
    format!("arn:aws:partnercentral:us-east-1::catalog/{CATALOG}/engagement/{id}")
}

async fn create_opportunity(c: &pc::Client) -> String {
    c.create_opportunity()
        .catalog(CATALOG)
        .client_token("create-opportunity")
        .customer(customer())
        .project(project(TITLE, PROBLEM))
        .life_cycle(life_cycle())
        .primary_needs_from_aws(PrimaryNeedFromAws::CoSellTechnicalConsultation)
        .send()
        .await
        .expect("an AWS-valid opportunity is created")
        .id
}

async fn associate_solution(c: &pc::Client, opportunity: &str) {
    c.associate_opportunity()
        .catalog(CATALOG)
        .opportunity_identifier(opportunity)
        .related_entity_type(RelatedEntityType::Solutions)
        .related_entity_identifier(SOLUTION)
        .send()
        .await
        .expect("the solution is associated");
}

/// Submits `opportunity` to AWS (StartEngagementFromOpportunityTask), which must complete.
async fn submit(c: &pc::Client, opportunity: &str) -> String {
    let task = c
        .start_engagement_from_opportunity_task()
        .catalog(CATALOG)
        .identifier(opportunity)
        .client_token(format!("submit-{opportunity}"))
        .aws_submission(
            AwsSubmission::builder()
                .involvement_type(SalesInvolvementType::CoSell)
                .visibility(Visibility::Full)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .expect("the submission task starts");
    assert_eq!(task.task_status(), Some(&TaskStatus::Complete), "{task:?}");
    assert_eq!(task.reason_code(), None, "{task:?}");
    assert_eq!(task.opportunity_id(), Some(opportunity));
    task.engagement_id()
        .expect("a completed submission names its engagement")
        .to_string()
}

async fn review_status(c: &pc::Client, opportunity: &str) -> Option<ReviewStatus> {
    c.get_opportunity()
        .catalog(CATALOG)
        .identifier(opportunity)
        .send()
        .await
        .expect("the owner reads its opportunity")
        .life_cycle()
        .and_then(|l| l.review_status())
        .cloned()
}

/// `(AccountId, CompanyName, WebsiteUrl)` of each member, as the caller lists them.
async fn members(c: &pc::Client, engagement: &str) -> Vec<(String, String, Option<String>)> {
    c.list_engagement_members()
        .catalog(CATALOG)
        .identifier(engagement)
        .send()
        .await
        .expect("a member lists the members")
        .engagement_member_list()
        .iter()
        .map(|m| {
            (
                m.account_id().unwrap_or_default().to_string(),
                m.company_name().unwrap_or_default().to_string(),
                m.website_url().map(str::to_string),
            )
        })
        .collect()
}

/// `(CreatedBy, ResourceId)` of each opportunity associated with `engagement`.
async fn associations(c: &pc::Client, engagement: &str) -> Vec<(String, String)> {
    let out = c
        .list_engagement_resource_associations()
        .catalog(CATALOG)
        .engagement_identifier(engagement)
        .send()
        .await
        .expect("a member lists the resource associations");
    out.engagement_resource_association_summaries()
        .iter()
        .map(|s| {
            assert_eq!(s.catalog(), CATALOG);
            assert_eq!(s.engagement_id(), Some(engagement));
            assert_eq!(s.resource_type(), Some(&ResourceType::Opportunity));
            (
                s.created_by().unwrap_or_default().to_string(),
                s.resource_id().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

fn receiver(account: &str, alias: &str) -> Receiver {
    Receiver::Account(
        AccountReceiver::builder()
            .aws_account_id(account)
            .alias(alias)
            .build()
            .unwrap(),
    )
}

fn lead_customer(company: &str) -> LeadCustomer {
    LeadCustomer::builder()
        .company_name(company)
        .industry("Manufacturing")
        .website_url("https://globex.example.com")
        .address(
            pc::types::LeadAddress::builder()
                .country_code("US")
                .city("Springfield")
                .build(),
        )
        .build()
        .unwrap()
}

fn lead_context() -> LeadContext {
    LeadContext::builder()
        .customer(lead_customer(LEAD_COMPANY))
        .qualification_status("Unqualified")
        .interactions(
            LeadInteraction::builder()
                .source_type("Event")
                .source_id("evt-42")
                .source_name("re:Invent booth")
                .usecase("Analytics")
                .interaction_date(DateTime::from_secs(1_767_225_600))
                .customer_action("Asked for a demo")
                .business_problem(LEAD_PROBLEM)
                .contact(
                    LeadContact::builder()
                        .business_title("Head of Operations")
                        .email("hank@globex.example.com")
                        .first_name("Hank")
                        .last_name("Scorpio")
                        .build()
                        .unwrap(),
                )
                .build(),
        )
        .build()
        .unwrap()
}

/// A Lead context update that qualifies the lead.
fn qualify(status: &str) -> UpdateEngagementContextPayload {
    UpdateEngagementContextPayload::Lead(
        UpdateLeadContext::builder()
            .qualification_status(status)
            .customer(lead_customer(LEAD_COMPANY))
            .build(),
    )
}

fn a_customer_project() -> EngagementContextPayload {
    EngagementContextPayload::CustomerProject(
        CustomerProjectsContext::builder()
            .customer(
                EngagementCustomer::builder()
                    .company_name("Initech")
                    .industry(Industry::FinancialServices)
                    .website_url("https://initech.example.com")
                    .country_code(CountryCode::Us)
                    .build()
                    .unwrap(),
            )
            .project(
                EngagementCustomerProjectDetails::builder()
                    .title("Intruder project")
                    .business_problem("A non-member tries to describe the project.")
                    .target_completion_date("2030-01-31")
                    .build()
                    .unwrap(),
            )
            .build(),
    )
}

#[tokio::test]
async fn partners_co_sell_one_opportunity_and_a_non_member_sees_nothing() {
    let server = Binary::start(&["--in-memory"]);
    let a = client(&server.url, A, "secret");
    let b = client(&server.url, B, "secret");
    let c = client(&server.url, C, "secret");

    // A submits its opportunity: an engagement with A as its only member, whose
    // CustomerProject context describes the opportunity.
    let oa = create_opportunity(&a).await;
    associate_solution(&a, &oa).await;
    let eng = submit(&a, &oa).await;
    assert!(is_id(&eng, "eng-", 14), "{eng}");
    assert_eq!(review_status(&a, &oa).await, Some(ReviewStatus::Submitted));
    let got = a
        .get_engagement()
        .catalog(CATALOG)
        .identifier(&eng)
        .send()
        .await
        .expect("A reads its engagement");
    assert_eq!(got.id(), Some(eng.as_str()));
    assert_eq!(got.arn(), Some(engagement_arn(&eng).as_str()));
    assert_eq!(got.title(), Some(TITLE));
    assert_eq!(got.description(), Some(PROBLEM));
    assert_eq!(got.created_by(), Some(A));
    assert_eq!(got.member_count(), Some(1));
    let contexts = got.contexts();
    assert_eq!(contexts.len(), 1, "{contexts:?}");
    assert_eq!(contexts[0].id(), Some("1"));
    assert_eq!(
        contexts[0].r#type(),
        &EngagementContextType::CustomerProject
    );
    let cp = contexts[0]
        .payload()
        .and_then(|p| p.as_customer_project().ok())
        .expect("a CustomerProject payload");
    let cp_customer = cp.customer().expect("the project's customer");
    assert_eq!(cp_customer.company_name(), "Acme Corp");
    assert_eq!(cp_customer.country_code(), &CountryCode::Us);
    assert_eq!(cp.project().map(|p| p.title()), Some(TITLE));
    assert_eq!(cp.project().map(|p| p.business_problem()), Some(PROBLEM));

    // A invites B with the opportunity.
    let invitation = Invitation::builder()
        .message("Join us on the Acme data platform.")
        .receiver(receiver(B, "Partner B"))
        .payload(Payload::OpportunityInvitation(
            OpportunityInvitationPayload::builder()
                .receiver_responsibilities(ReceiverResponsibility::ServicesPartner)
                .sender_contacts(
                    SenderContact::builder()
                        .email("alice@partner-a.example.com")
                        .first_name("Alice")
                        .business_title("Alliance lead")
                        .build()
                        .unwrap(),
                )
                .customer(
                    EngagementCustomer::builder()
                        .company_name("Acme Corp")
                        .industry(Industry::SoftwareInternet)
                        .website_url("https://acme.example.com")
                        .country_code(CountryCode::Us)
                        .build()
                        .unwrap(),
                )
                .project(
                    ProjectDetails::builder()
                        .title(TITLE)
                        .business_problem(PROBLEM)
                        .target_completion_date("2030-06-30")
                        .expected_customer_spend(spend())
                        .build()
                        .unwrap(),
                )
                .build()
                .unwrap(),
        ))
        .build()
        .unwrap();
    let sent = a
        .create_engagement_invitation()
        .catalog(CATALOG)
        .client_token("invite-b")
        .engagement_identifier(&eng)
        .invitation(invitation)
        .send()
        .await
        .expect("a member invites another partner");
    let inv = sent.id().to_string();
    assert!(is_id(&inv, "engi-", 13), "{inv}");
    assert_eq!(
        sent.arn(),
        format!("arn:aws:partnercentral:us-east-1::catalog/{CATALOG}/engagement-invitation/{inv}")
    );

    // B finds it and reads it.
    let listed = b
        .list_engagement_invitations()
        .catalog(CATALOG)
        .participant_type(ParticipantType::Receiver)
        .status(InvitationStatus::Pending)
        .send()
        .await
        .expect("B lists its invitations");
    let summaries = listed.engagement_invitation_summaries();
    assert_eq!(summaries.len(), 1, "{summaries:?}");
    let s = &summaries[0];
    assert_eq!(s.id(), inv);
    assert_eq!(s.engagement_id(), Some(eng.as_str()));
    assert_eq!(s.engagement_title(), Some(TITLE));
    assert_eq!(
        s.payload_type(),
        Some(&EngagementInvitationPayloadType::OpportunityInvitation)
    );
    assert_eq!(s.sender_aws_account_id(), Some(A));
    assert_eq!(s.participant_type(), Some(&ParticipantType::Receiver));
    let got = b
        .get_engagement_invitation()
        .catalog(CATALOG)
        .identifier(&inv)
        .send()
        .await
        .expect("B reads the invitation");
    assert_eq!(got.status(), Some(&InvitationStatus::Pending));
    assert_eq!(got.sender_aws_account_id(), Some(A));
    assert_eq!(got.engagement_id(), Some(eng.as_str()));
    assert_eq!(
        got.invitation_message(),
        Some("Join us on the Acme data platform.")
    );
    let existing: Vec<_> = got
        .existing_members()
        .iter()
        .map(|m| m.company_name())
        .collect();
    assert_eq!(existing, [Some(format!("Partner {A}").as_str())]);
    let payload = got
        .payload()
        .and_then(|p| p.as_opportunity_invitation().ok())
        .expect("the OpportunityInvitation payload as sent");
    assert_eq!(
        payload.receiver_responsibilities(),
        [ReceiverResponsibility::ServicesPartner]
    );
    assert_eq!(payload.project().map(|p| p.title()), Some(TITLE));
    assert_eq!(
        payload.customer().map(|c| c.website_url()),
        Some("https://acme.example.com")
    );

    // B accepts: its own opportunity, Submitted while A's is.
    let task = b
        .start_engagement_by_accepting_invitation_task()
        .catalog(CATALOG)
        .identifier(&inv)
        .client_token("accept-a")
        .send()
        .await
        .expect("B accepts");
    assert_eq!(task.task_status(), Some(&TaskStatus::Complete), "{task:?}");
    assert_eq!(task.engagement_invitation_id(), Some(inv.as_str()));
    let ob = task
        .opportunity_id()
        .expect("the accept task names B's opportunity")
        .to_string();
    assert_ne!(ob, oa);
    let opp = b
        .get_opportunity()
        .catalog(CATALOG)
        .identifier(&ob)
        .send()
        .await
        .expect("B reads its new opportunity");
    let life = opp.life_cycle().expect("a life cycle");
    assert_eq!(life.review_status(), Some(&ReviewStatus::Submitted));
    assert_eq!(life.stage(), Some(&Stage::Prospect));
    assert_eq!(life.target_close_date(), Some("2030-06-30"));
    assert_eq!(opp.project().and_then(|p| p.title()), Some(TITLE));
    assert_eq!(
        opp.project().and_then(|p| p.customer_business_problem()),
        Some(PROBLEM)
    );
    assert_eq!(
        opp.customer()
            .and_then(|c| c.account())
            .map(|a| a.company_name()),
        Some("Acme Corp")
    );
    let err = b
        .get_aws_opportunity_summary()
        .catalog(CATALOG)
        .related_opportunity_identifier(&ob)
        .send()
        .await
        .expect_err("no AWS summary before AWS approves");
    assert!(
        err.into_service_error().is_resource_not_found_exception(),
        "GetAwsOpportunitySummary of a Submitted opportunity"
    );

    // AWS approves A's opportunity; B's follows it.
    let (status, body) = admin(
        &server.url,
        "POST",
        &format!("/accounts/{A}/catalogs/{CATALOG}/opportunities/{oa}/review"),
        r#"{"ReviewStatus":"Approved"}"#,
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(review_status(&a, &oa).await, Some(ReviewStatus::Approved));
    assert_eq!(review_status(&b, &ob).await, Some(ReviewStatus::Approved));
    let summary = b
        .get_aws_opportunity_summary()
        .catalog(CATALOG)
        .related_opportunity_identifier(&ob)
        .send()
        .await
        .expect("B's approved opportunity has its AWS summary");
    assert_eq!(summary.catalog(), CATALOG);
    assert_eq!(summary.related_opportunity_id(), Some(ob.as_str()));
    assert_eq!(summary.origin(), Some(&OpportunityOrigin::PartnerReferral));

    // Both members see the same members (AWS joined on approval) and both opportunities.
    let expected_members = vec![
        (A.to_string(), format!("Partner {A}"), None),
        (B.to_string(), format!("Partner {B}"), None),
        (
            "aws".to_string(),
            "AWS".to_string(),
            Some("www.aws.com".to_string()),
        ),
    ];
    assert_eq!(members(&a, &eng).await, expected_members);
    assert_eq!(members(&b, &eng).await, expected_members);
    // By ARN too.
    assert_eq!(members(&b, &engagement_arn(&eng)).await, expected_members);
    let expected_associations = vec![(A.to_string(), oa.clone()), (B.to_string(), ob.clone())];
    assert_eq!(associations(&a, &eng).await, expected_associations);
    assert_eq!(associations(&b, &eng).await, expected_associations);
    let from_b = b
        .get_engagement()
        .catalog(CATALOG)
        .identifier(engagement_arn(&eng))
        .send()
        .await
        .expect("B, now a member, reads the engagement by ARN");
    assert_eq!(from_b.member_count(), Some(3));
    assert_eq!(from_b.created_by(), Some(A));
    let listed = a
        .list_engagements()
        .catalog(CATALOG)
        .send()
        .await
        .expect("A lists its engagements");
    let list = listed.engagement_summary_list();
    assert_eq!(list.len(), 1, "{list:?}");
    assert_eq!(list[0].id(), Some(eng.as_str()));
    assert_eq!(list[0].member_count(), Some(3));
    assert_eq!(
        list[0].context_types(),
        [EngagementContextType::CustomerProject]
    );

    // C is no member: AccessDeniedException from every operation on the engagement.
    let err = c
        .get_engagement()
        .catalog(CATALOG)
        .identifier(&eng)
        .send()
        .await
        .expect_err("C cannot read the engagement");
    assert!(
        err.into_service_error().is_access_denied_exception(),
        "GetEngagement by a non-member"
    );
    let err = c
        .list_engagement_members()
        .catalog(CATALOG)
        .identifier(&eng)
        .send()
        .await
        .expect_err("C cannot list the members");
    assert!(
        err.into_service_error().is_access_denied_exception(),
        "ListEngagementMembers by a non-member"
    );
    let err = c
        .create_engagement_context()
        .catalog(CATALOG)
        .engagement_identifier(&eng)
        .client_token("c-context")
        .r#type(EngagementContextType::CustomerProject)
        .payload(a_customer_project())
        .send()
        .await
        .expect_err("C cannot add a context");
    assert!(
        err.into_service_error().is_access_denied_exception(),
        "CreateEngagementContext by a non-member"
    );
    let err = c
        .update_engagement_context()
        .catalog(CATALOG)
        .engagement_identifier(&eng)
        .context_identifier("1")
        .engagement_last_modified_at(
            from_b
                .modified_at()
                .cloned()
                .expect("the engagement's ModifiedAt"),
        )
        .r#type(EngagementContextType::CustomerProject)
        .payload(UpdateEngagementContextPayload::CustomerProject(
            a_customer_project()
                .as_customer_project()
                .cloned()
                .expect("a CustomerProject payload"),
        ))
        .send()
        .await
        .expect_err("C cannot update a context");
    assert!(
        err.into_service_error().is_access_denied_exception(),
        "UpdateEngagementContext by a non-member"
    );
    let err = c
        .start_opportunity_from_engagement_task()
        .catalog(CATALOG)
        .identifier(&eng)
        .context_identifier("1")
        .client_token("c-convert")
        .send()
        .await
        .expect_err("C cannot convert a context");
    assert!(
        err.into_service_error().is_access_denied_exception(),
        "StartOpportunityFromEngagementTask by a non-member"
    );
    // Nothing C tried changed the engagement.
    let after = a
        .get_engagement()
        .catalog(CATALOG)
        .identifier(&eng)
        .send()
        .await
        .unwrap();
    assert_eq!(after.contexts().len(), 1);
    assert_eq!(after.modified_at(), from_b.modified_at());

    // An engagement that does not exist is not found, for members and others alike.
    for who in [&a, &c] {
        let err = who
            .get_engagement()
            .catalog(CATALOG)
            .identifier(UNKNOWN_ENGAGEMENT)
            .send()
            .await
            .expect_err("no such engagement");
        assert!(
            err.into_service_error().is_resource_not_found_exception(),
            "GetEngagement of an unknown id"
        );
    }
    let err = c
        .list_engagement_members()
        .catalog(CATALOG)
        .identifier(UNKNOWN_ENGAGEMENT)
        .send()
        .await
        .expect_err("no such engagement");
    assert!(
        err.into_service_error().is_resource_not_found_exception(),
        "ListEngagementMembers of an unknown id"
    );

    // C lists nothing.
    let listed = c
        .list_engagements()
        .catalog(CATALOG)
        .send()
        .await
        .expect("C lists its engagements");
    assert!(
        listed.engagement_summary_list().is_empty(),
        "{:?}",
        listed.engagement_summary_list()
    );
    let err = c
        .list_engagement_resource_associations()
        .catalog(CATALOG)
        .engagement_identifier(&eng)
        .send()
        .await
        .expect_err("C cannot list the engagement's associations");
    assert!(
        err.into_service_error().is_access_denied_exception(),
        "ListEngagementResourceAssociations of a non-member"
    );
    let listed = c
        .list_engagement_resource_associations()
        .catalog(CATALOG)
        .send()
        .await
        .expect("C lists its resource associations");
    assert!(
        listed
            .engagement_resource_association_summaries()
            .is_empty(),
        "{listed:?}"
    );
}

#[tokio::test]
async fn a_shared_lead_is_qualified_converted_submitted_in_its_engagement_and_prospected() {
    let server = Binary::start(&["--in-memory"]);
    let a = client(&server.url, A, "secret");
    let b = client(&server.url, B, "secret");

    // A creates an engagement around a lead: context "1", A its only member.
    let created = a
        .create_engagement()
        .catalog(CATALOG)
        .client_token("lead-engagement")
        .title("Globex plant analytics")
        .description("A lead from the re:Invent booth.")
        .contexts(
            EngagementContextDetails::builder()
                .r#type(EngagementContextType::Lead)
                .payload(EngagementContextPayload::Lead(lead_context()))
                .build()
                .unwrap(),
        )
        .send()
        .await
        .expect("A creates a lead engagement");
    let eng = created.id().expect("an engagement id").to_string();
    assert!(is_id(&eng, "eng-", 14), "{eng}");
    assert_eq!(created.arn(), Some(engagement_arn(&eng).as_str()));
    let created_at = created.modified_at().cloned().expect("ModifiedAt");
    let replay = a
        .create_engagement()
        .catalog(CATALOG)
        .client_token("lead-engagement")
        .title("Globex plant analytics")
        .description("A lead from the re:Invent booth.")
        .contexts(
            EngagementContextDetails::builder()
                .r#type(EngagementContextType::Lead)
                .payload(EngagementContextPayload::Lead(lead_context()))
                .build()
                .unwrap(),
        )
        .send()
        .await
        .expect("the same client token replays");
    assert_eq!(replay.id(), Some(eng.as_str()));

    // A shares the lead with B, who accepts it.
    let sent = a
        .create_engagement_invitation()
        .catalog(CATALOG)
        .client_token("lead-to-b")
        .engagement_identifier(&eng)
        .invitation(
            Invitation::builder()
                .message("A lead for you.")
                .receiver(receiver(B, "Partner B"))
                .payload(Payload::LeadInvitation(
                    LeadInvitationPayload::builder()
                        .customer(
                            LeadInvitationCustomer::builder()
                                .company_name(LEAD_COMPANY)
                                .country_code("US")
                                .industry("Manufacturing")
                                .website_url("https://globex.example.com")
                                .build()
                                .unwrap(),
                        )
                        .interaction(
                            LeadInvitationInteraction::builder()
                                .source_type("Event")
                                .source_id("evt-42")
                                .source_name("re:Invent booth")
                                .usecase("Analytics")
                                .contact_business_title("Head of Operations")
                                .build()
                                .unwrap(),
                        )
                        .build(),
                ))
                .build()
                .unwrap(),
        )
        .send()
        .await
        .expect("A shares the lead");
    let inv = sent.id().to_string();
    let got = b
        .get_engagement_invitation()
        .catalog(CATALOG)
        .identifier(&inv)
        .send()
        .await
        .expect("B reads the lead invitation");
    assert_eq!(
        got.payload_type(),
        Some(&EngagementInvitationPayloadType::LeadInvitation)
    );
    assert_eq!(
        got.payload()
            .and_then(|p| p.as_lead_invitation().ok())
            .and_then(|l| l.customer())
            .map(|c| c.company_name()),
        Some(LEAD_COMPANY)
    );
    b.accept_engagement_invitation()
        .catalog(CATALOG)
        .identifier(&inv)
        .send()
        .await
        .expect("B accepts the lead invitation");

    // B reads the lead: context "1", two members, modified by B's joining.
    let got = b
        .get_engagement()
        .catalog(CATALOG)
        .identifier(&eng)
        .send()
        .await
        .expect("B, now a member, reads the engagement");
    assert_eq!(got.member_count(), Some(2));
    assert_eq!(got.created_by(), Some(A));
    assert_eq!(got.created_at(), Some(&created_at));
    assert_eq!(got.modified_by(), Some(B));
    assert_eq!(got.title(), Some("Globex plant analytics"));
    let contexts = got.contexts();
    assert_eq!(contexts.len(), 1, "{contexts:?}");
    assert_eq!(contexts[0].id(), Some("1"));
    assert_eq!(contexts[0].r#type(), &EngagementContextType::Lead);
    let lead = contexts[0]
        .payload()
        .and_then(|p| p.as_lead().ok())
        .expect("a Lead payload");
    assert_eq!(
        lead.customer().map(|c| c.company_name()),
        Some(LEAD_COMPANY)
    );
    assert_eq!(lead.qualification_status(), "Unqualified");
    let interaction = &lead.interactions()[0];
    assert_eq!(
        interaction.contact().map(|c| c.email()),
        Some("hank@globex.example.com")
    );
    assert_eq!(
        interaction.interaction_date(),
        Some(&DateTime::from_secs(1_767_225_600))
    );
    let read_at = got.modified_at().cloned().expect("ModifiedAt");
    assert!(read_at >= created_at, "{read_at:?} before {created_at:?}");

    // B qualifies the lead with the SDK's own DateTime from GetEngagement.
    let update = |last_modified: DateTime, status: &str| {
        b.update_engagement_context()
            .catalog(CATALOG)
            .engagement_identifier(&eng)
            .context_identifier("1")
            .engagement_last_modified_at(last_modified)
            .r#type(EngagementContextType::Lead)
            .payload(qualify(status))
    };
    let updated = update(read_at, "Qualified")
        .send()
        .await
        .expect("B qualifies the lead");
    assert_eq!(updated.engagement_id(), eng);
    assert_eq!(updated.engagement_arn(), engagement_arn(&eng));
    assert_eq!(updated.context_id(), "1");
    let qualified_at = *updated.engagement_last_modified_at();
    assert!(qualified_at > read_at, "{qualified_at:?} after {read_at:?}");
    let err = update(read_at, "Disqualified")
        .send()
        .await
        .expect_err("the old EngagementLastModifiedAt is stale");
    assert!(
        err.into_service_error().is_conflict_exception(),
        "UpdateEngagementContext with a stale EngagementLastModifiedAt"
    );
    let got = b
        .get_engagement()
        .catalog(CATALOG)
        .identifier(&eng)
        .send()
        .await
        .unwrap();
    assert_eq!(got.modified_at(), Some(&qualified_at));
    assert_eq!(got.modified_by(), Some(B));
    let lead = got.contexts()[0]
        .payload()
        .and_then(|p| p.as_lead().ok())
        .expect("a Lead payload");
    assert_eq!(lead.qualification_status(), "Qualified");
    assert_eq!(lead.interactions().len(), 1);
    // The answer's value round-trips; the service compares at millisecond precision, so the
    // same instant with 0.4 ms more (what a microsecond client may send) still matches.
    let finer =
        DateTime::from_secs_and_nanos(qualified_at.secs(), qualified_at.subsec_nanos() + 400_000);
    assert_eq!(
        qualified_at.subsec_nanos() % 1_000_000,
        0,
        "{qualified_at:?}"
    );
    let again = update(finer, "Qualified")
        .send()
        .await
        .expect("the same millisecond is the same version");
    let last = *again.engagement_last_modified_at();
    assert!(last > qualified_at, "{last:?} after {qualified_at:?}");

    // B converts the lead: a draft opportunity and the CustomerProject context "2".
    let today = chrono::Utc::now().date_naive();
    let converted = b
        .start_opportunity_from_engagement_task()
        .catalog(CATALOG)
        .identifier(engagement_arn(&eng))
        .context_identifier("1")
        .client_token("convert-1")
        .send()
        .await
        .expect("B converts the lead");
    assert_eq!(
        converted.task_status(),
        Some(&TaskStatus::Complete),
        "{converted:?}"
    );
    assert_eq!(converted.reason_code(), None);
    assert_eq!(converted.context_id(), Some("2"));
    assert_eq!(converted.engagement_id(), Some(eng.as_str()));
    let task_id = converted.task_id().expect("a task id").to_string();
    assert!(is_id(&task_id, "task-", 13), "{task_id}");
    assert_eq!(
        converted.task_arn(),
        Some(
            format!(
                "arn:aws:partnercentral:us-east-1::catalog/{CATALOG}/\
                 opportunity-from-engagement-task/{task_id}"
            )
            .as_str()
        )
    );
    assert!(
        converted
            .resource_snapshot_job_id()
            .is_some_and(|j| is_id(j, "job-", 13)),
        "{converted:?}"
    );
    let ob = converted
        .opportunity_id()
        .expect("the converted opportunity")
        .to_string();
    let opp = b
        .get_opportunity()
        .catalog(CATALOG)
        .identifier(&ob)
        .send()
        .await
        .expect("B reads the converted opportunity");
    let project = opp.project().expect("a project");
    assert_eq!(project.title(), Some("Converted from Lead"));
    assert_eq!(project.customer_business_problem(), Some(LEAD_PROBLEM));
    assert!(project.expected_customer_spend().is_empty());
    let life = opp.life_cycle().expect("a life cycle");
    assert_eq!(life.review_status(), Some(&ReviewStatus::PendingSubmission));
    assert_eq!(life.stage(), Some(&Stage::Prospect));
    let target = life.target_close_date().unwrap_or_default().to_string();
    let plus_90 = |d: chrono::NaiveDate| (d + chrono::Duration::days(90)).to_string();
    assert!(
        [plus_90(today), plus_90(chrono::Utc::now().date_naive())].contains(&target),
        "TargetCloseDate {target} is not 90 days after {today}"
    );
    let account = opp
        .customer()
        .and_then(|c| c.account())
        .expect("the lead's customer");
    assert_eq!(account.company_name(), LEAD_COMPANY);
    assert_eq!(account.industry(), Some(&Industry::Manufacturing));
    assert_eq!(account.website_url(), Some("https://globex.example.com"));
    assert_eq!(
        account.address().and_then(|a| a.country_code()),
        Some(&CountryCode::Us)
    );
    assert!(opp.customer().is_some_and(|c| c.contacts().is_empty()));
    assert_eq!(
        opp.opportunity_type(),
        Some(&pc::types::OpportunityType::NetNewBusiness)
    );
    assert_eq!(
        opp.marketing().and_then(|m| m.source()),
        Some(&pc::types::MarketingSource::None)
    );
    assert_eq!(
        opp.national_security(),
        Some(&pc::types::NationalSecurity::No)
    );
    assert!(opp.primary_needs_from_aws().is_empty());

    // A lead converts once.
    let second = b
        .start_opportunity_from_engagement_task()
        .catalog(CATALOG)
        .identifier(&eng)
        .context_identifier("1")
        .client_token("convert-2")
        .send()
        .await
        .expect("a refused conversion is a FAILED task, not an exception");
    assert_eq!(
        second.task_status(),
        Some(&TaskStatus::Failed),
        "{second:?}"
    );
    assert_eq!(second.reason_code(), Some(&ReasonCode::EngagementConflict));
    assert_eq!(second.opportunity_id(), None);
    assert!(
        second.message().is_some_and(|m| m.contains(&eng)),
        "{second:?}"
    );

    // B completes the opportunity as AWS requires and submits it: the same engagement.
    let opp = b
        .get_opportunity()
        .catalog(CATALOG)
        .identifier(&ob)
        .send()
        .await
        .unwrap();
    b.update_opportunity()
        .catalog(CATALOG)
        .identifier(&ob)
        .last_modified_date(*opp.last_modified_date())
        .customer(lead_opportunity_customer())
        .project(project_for_lead())
        .life_cycle(life_cycle())
        .primary_needs_from_aws(PrimaryNeedFromAws::CoSellTechnicalConsultation)
        .send()
        .await
        .expect("B completes the converted opportunity");
    associate_solution(&b, &ob).await;
    let submitted_in = submit(&b, &ob).await;
    assert_eq!(
        submitted_in, eng,
        "the submission reuses the lead's engagement"
    );
    assert_eq!(review_status(&b, &ob).await, Some(ReviewStatus::Submitted));

    // The engagement: the lead, the project, B's opportunity.
    let got = b
        .get_engagement()
        .catalog(CATALOG)
        .identifier(&eng)
        .send()
        .await
        .unwrap();
    let kinds: Vec<_> = got
        .contexts()
        .iter()
        .map(|c| (c.id().unwrap_or_default(), c.r#type().clone()))
        .collect();
    assert_eq!(
        kinds,
        [
            ("1", EngagementContextType::Lead),
            ("2", EngagementContextType::CustomerProject)
        ]
    );
    assert_eq!(
        associations(&b, &eng).await,
        vec![(B.to_string(), ob.clone())]
    );
    // A is a member without a resource (a snapshot) of its own in this engagement: the model
    // lists associations only "in engagements where the caller is a member and has at least one
    // snapshot", so A sees none.
    assert_eq!(associations(&a, &eng).await, vec![]);

    // ListOpportunityFromEngagementTasks: B's two tasks, by filter; A started none.
    let tasks = b
        .list_opportunity_from_engagement_tasks()
        .catalog(CATALOG)
        .engagement_identifier(&eng)
        .send()
        .await
        .expect("B lists its conversion tasks");
    let all = tasks.task_summaries();
    assert_eq!(all.len(), 2, "{all:?}");
    let done = b
        .list_opportunity_from_engagement_tasks()
        .catalog(CATALOG)
        .task_status(TaskStatus::Complete)
        .send()
        .await
        .unwrap();
    let done = done.task_summaries();
    assert_eq!(done.len(), 1, "{done:?}");
    assert_eq!(done[0].task_id(), Some(task_id.as_str()));
    assert_eq!(done[0].opportunity_id(), Some(ob.as_str()));
    assert_eq!(done[0].engagement_id(), Some(eng.as_str()));
    assert_eq!(done[0].context_id(), Some("2"));
    assert_eq!(
        done[0].resource_snapshot_job_id(),
        converted.resource_snapshot_job_id()
    );
    assert_eq!(done[0].start_time(), converted.start_time());
    let by_opportunity = b
        .list_opportunity_from_engagement_tasks()
        .catalog(CATALOG)
        .opportunity_identifier(&ob)
        .send()
        .await
        .unwrap();
    assert_eq!(
        by_opportunity
            .task_summaries()
            .iter()
            .map(|t| t.task_id())
            .collect::<Vec<_>>(),
        [Some(task_id.as_str())]
    );
    let of_a = a
        .list_opportunity_from_engagement_tasks()
        .catalog(CATALOG)
        .send()
        .await
        .unwrap();
    assert!(of_a.task_summaries().is_empty(), "{of_a:?}");

    // Prospecting: AWS enriches the lead; the result is context "3".
    let started = b
        .start_prospecting_from_engagement_task()
        .catalog(CATALOG)
        .identifiers(&eng)
        .task_name("Enrich Globex")
        .client_token("prospect-1")
        .send()
        .await
        .expect("B starts prospecting");
    assert_eq!(started.task_status(), &ProspectingTaskStatus::Completed);
    assert_eq!(started.task_name(), "Enrich Globex");
    assert_eq!(started.identifiers(), std::slice::from_ref(&eng));
    assert_eq!(started.reason_code(), None);
    let prospect_id = started.task_id().expect("a task id").to_string();
    assert!(is_id(&prospect_id, "task-", 14), "{prospect_id}");
    assert_eq!(
        started.task_arn(),
        Some(
            format!(
                "arn:aws:partnercentral:us-east-1::catalog/{CATALOG}/\
                 prospecting-from-engagement-task/{prospect_id}"
            )
            .as_str()
        )
    );
    let replayed = b
        .start_prospecting_from_engagement_task()
        .catalog(CATALOG)
        .identifiers(&eng)
        .task_name("Enrich Globex")
        .client_token("prospect-1")
        .send()
        .await
        .expect("the same client token replays");
    assert_eq!(replayed.task_id(), Some(prospect_id.as_str()));

    let task = b
        .get_prospecting_from_engagement_task()
        .catalog(CATALOG)
        .task_identifier(&prospect_id)
        .send()
        .await
        .expect("B reads its prospecting task");
    assert_eq!(task.task_id(), prospect_id);
    assert_eq!(task.task_name(), "Enrich Globex");
    assert_eq!(task.start_time(), started.start_time());
    let ended = task.end_time().expect("a finished task has an EndTime");
    assert!(ended >= task.start_time());
    let results = task.engagements();
    assert_eq!(results.len(), 1, "{results:?}");
    assert_eq!(results[0].engagement_identifier(), eng);
    assert_eq!(results[0].status(), &ProspectingTaskStatus::Completed);
    assert_eq!(
        results[0].engagement_context_id(),
        Some("ctx-00000000000003")
    );
    assert_eq!(results[0].reason_code(), None);
    assert_eq!(results[0].message(), None);

    let got = b
        .get_engagement()
        .catalog(CATALOG)
        .identifier(&eng)
        .send()
        .await
        .unwrap();
    let contexts = got.contexts();
    assert_eq!(contexts.len(), 3, "{contexts:?}");
    assert_eq!(contexts[2].id(), Some("3"));
    assert_eq!(
        contexts[2].r#type(),
        &EngagementContextType::ProspectingResult
    );
    let aws = contexts[2]
        .payload()
        .and_then(|p| p.as_prospecting_result().ok())
        .and_then(|r| r.aws())
        .expect("a ProspectingResult with AWS's findings");
    assert_eq!(aws.task_id(), Some(prospect_id.as_str()));
    assert_eq!(aws.task_name(), Some("Enrich Globex"));
    assert_eq!(aws.start_time(), Some(task.start_time()));
    assert!(aws.customer().is_some(), "{aws:?}");
    assert!(aws.insights().is_some(), "{aws:?}");
    let listed = b.list_engagements().catalog(CATALOG).send().await.unwrap();
    assert_eq!(
        listed.engagement_summary_list()[0].context_types(),
        [
            EngagementContextType::Lead,
            EngagementContextType::CustomerProject,
            EngagementContextType::ProspectingResult
        ]
    );

    // A second task over the lead and an unknown engagement: one of each outcome. (It starts a
    // few milliseconds later, so that the listing's newest-first order is certain.)
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let mixed = b
        .start_prospecting_from_engagement_task()
        .catalog(CATALOG)
        .identifiers(&eng)
        .identifiers(UNKNOWN_ENGAGEMENT)
        .task_name("Enrich all")
        .client_token("prospect-2")
        .send()
        .await
        .expect("a task over an unknown engagement still runs");
    assert_eq!(mixed.task_status(), &ProspectingTaskStatus::Completed);
    let mixed_id = mixed.task_id().expect("a task id").to_string();
    let task = b
        .get_prospecting_from_engagement_task()
        .catalog(CATALOG)
        .task_identifier(&mixed_id)
        .send()
        .await
        .unwrap();
    let outcomes: Vec<_> = task
        .engagements()
        .iter()
        .map(|e| (e.engagement_identifier(), e.status().clone()))
        .collect();
    assert_eq!(
        outcomes,
        [
            (eng.as_str(), ProspectingTaskStatus::Completed),
            (UNKNOWN_ENGAGEMENT, ProspectingTaskStatus::Failed)
        ]
    );
    assert_eq!(
        task.engagements()[0].engagement_context_id(),
        Some("ctx-00000000000003"),
        "a new result replaces the earlier one"
    );
    assert_eq!(task.engagements()[1].engagement_context_id(), None);
    assert_eq!(
        task.engagements()[1].reason_code(),
        Some("EngagementNotFound")
    );

    let summaries = b
        .list_prospecting_from_engagement_tasks()
        .catalog(CATALOG)
        .send()
        .await
        .expect("B lists its prospecting tasks");
    let counts: Vec<_> = summaries
        .task_summaries()
        .iter()
        .map(|s| {
            assert!(s.end_time().is_some(), "{s:?}");
            (
                s.task_id(),
                s.total_engagement_count(),
                s.completed_engagement_count(),
                s.failed_engagement_count(),
            )
        })
        .collect();
    // Newest first.
    assert_eq!(
        counts,
        [
            (mixed_id.as_str(), 2, 1, 1),
            (prospect_id.as_str(), 1, 1, 0)
        ]
    );
    let of_a = a
        .list_prospecting_from_engagement_tasks()
        .catalog(CATALOG)
        .send()
        .await
        .unwrap();
    assert!(of_a.task_summaries().is_empty(), "{of_a:?}");
}

/// What AWS requires of the converted lead's project before submission.
fn project_for_lead() -> Project {
    project("Converted from Lead", LEAD_PROBLEM)
}

/// The lead's customer as AWS requires it of an opportunity (a contact, the full address).
fn lead_opportunity_customer() -> Customer {
    Customer::builder()
        .account(
            Account::builder()
                .company_name(LEAD_COMPANY)
                .industry(Industry::Manufacturing)
                .website_url("https://globex.example.com")
                .address(
                    Address::builder()
                        .country_code(CountryCode::Us)
                        .state_or_region("Illinois")
                        .postal_code("62701")
                        .city("Springfield")
                        .build(),
                )
                .build()
                .unwrap(),
        )
        .contacts(
            Contact::builder()
                .email("hank@globex.example.com")
                .first_name("Hank")
                .last_name("Scorpio")
                .build(),
        )
        .build()
}
