//! aws-sdk-rust against the real binary: resource snapshots, snapshot jobs, selling-system
//! settings and tags (research api-rest.md §4, §7, §8 sequence 5, §9).

mod common;

use aws_sdk_partnercentralselling as pc;
use pc::types::{
    AccountReceiver, AwsSubmission, CountryCode, EngagementCustomer, Industry, Invitation,
    LifeCycle, OpportunityInvitationPayload, Payload, PrimaryNeedFromAws, Project, ProjectDetails,
    Receiver, ReceiverResponsibility, RelatedEntityType, ResourceSnapshotJobStatus, ResourceType,
    SalesInvolvementType, SenderContact, SortBy, SortObject, SortOrder, Stage, Tag, TaskStatus,
    Visibility,
};

use common::{Binary, admin, client, customer, is_id, life_cycle, project, spend};

const CATALOG: &str = "Sandbox";
const A: &str = "111111111111";
const B: &str = "222222222222";
const C: &str = "333333333333";
const SOLUTION: &str = "S-1234567";
const VIEW: &str = "OpportunitySummaryView";
const AWS_VIEW: &str = "AwsOpportunitySummaryFullView";

fn tag(key: &str, value: &str) -> Tag {
    Tag::builder().key(key).value(value).build().unwrap()
}

/// `(Key, Value)` of each tag.
fn pairs(tags: &[Tag]) -> Vec<(String, String)> {
    tags.iter()
        .map(|t| (t.key().to_string(), t.value().to_string()))
        .collect()
}

fn opportunity_arn(account: &str, id: &str) -> String {
    format!("arn:aws:partnercentral:us-east-1:{account}:catalog/{CATALOG}/opportunity/{id}")
}

fn job_arn(account: &str, id: &str) -> String {
    format!(
        "arn:aws:partnercentral:us-east-1:{account}:catalog/{CATALOG}/resource-snapshot-job/{id}"
    )
}

fn snapshot_arn(engagement: &str, opportunity: &str, template: &str, revision: i32) -> String {
    format!(
        "arn:aws:partnercentral:us-east-1::catalog/{CATALOG}/engagement/{engagement}/resource/\
         Opportunity/{opportunity}/template/{template}/snapshot/{revision}"
    )
}

/// An AWS-valid opportunity of the caller, with `tags` at creation.
async fn create_opportunity(c: &pc::Client, token: &str, tags: Vec<Tag>) -> String {
    c.create_opportunity()
        .catalog(CATALOG)
        .client_token(token)
        .customer(customer())
        .project(project(
            "Data platform",
            "Quarter-end reports take three days.",
        ))
        .life_cycle(life_cycle())
        .primary_needs_from_aws(PrimaryNeedFromAws::CoSellTechnicalConsultation)
        .set_tags(if tags.is_empty() { None } else { Some(tags) })
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

/// Submits `opportunity` to AWS; answers `(engagement, snapshot job)` of the completed task.
async fn submit(c: &pc::Client, opportunity: &str) -> (String, String) {
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
    (
        task.engagement_id().expect("an engagement").to_string(),
        task.resource_snapshot_job_id()
            .expect("a snapshot job")
            .to_string(),
    )
}

/// AWS approves `opportunity` of `account` (control plane).
fn approve(server: &Binary, account: &str, opportunity: &str) {
    let (status, body) = admin(
        &server.url,
        "POST",
        &format!("/accounts/{account}/catalogs/{CATALOG}/opportunities/{opportunity}/review"),
        r#"{"ReviewStatus":"Approved"}"#,
    );
    assert_eq!(status, 200, "{body}");
}

/// UpdateOpportunity sending back the whole record, with `edit` applied to it.
async fn update(c: &pc::Client, id: &str, edit: impl FnOnce(&mut Project, &mut LifeCycle)) {
    let opp = c
        .get_opportunity()
        .catalog(CATALOG)
        .identifier(id)
        .send()
        .await
        .expect("the owner reads its opportunity");
    let mut project = opp.project.clone().expect("a project");
    let mut life = opp.life_cycle.clone().expect("a life cycle");
    edit(&mut project, &mut life);
    c.update_opportunity()
        .catalog(CATALOG)
        .identifier(id)
        .last_modified_date(opp.last_modified_date)
        .set_customer(opp.customer.clone())
        .project(project)
        .life_cycle(life)
        .set_primary_needs_from_aws(opp.primary_needs_from_aws.clone())
        .send()
        .await
        .expect("the owner updates its opportunity");
}

/// GetResourceSnapshot (latest without `revision`).
async fn snapshot(
    c: &pc::Client,
    engagement: &str,
    opportunity: &str,
    template: &str,
    revision: Option<i32>,
) -> Result<
    pc::operation::get_resource_snapshot::GetResourceSnapshotOutput,
    pc::operation::get_resource_snapshot::GetResourceSnapshotError,
> {
    c.get_resource_snapshot()
        .catalog(CATALOG)
        .engagement_identifier(engagement)
        .resource_type(ResourceType::Opportunity)
        .resource_identifier(opportunity)
        .resource_snapshot_template_identifier(template)
        .set_revision(revision)
        .send()
        .await
        .map_err(|e| e.into_service_error())
}

/// The latest revision of `opportunity`'s `template` snapshot in `engagement`.
async fn latest(c: &pc::Client, engagement: &str, opportunity: &str, template: &str) -> i32 {
    snapshot(c, engagement, opportunity, template, None)
        .await
        .expect("a snapshot exists")
        .revision()
        .expect("a revision")
}

async fn job(
    c: &pc::Client,
    id: &str,
) -> Result<
    pc::operation::get_resource_snapshot_job::GetResourceSnapshotJobOutput,
    pc::operation::get_resource_snapshot_job::GetResourceSnapshotJobError,
> {
    c.get_resource_snapshot_job()
        .catalog(CATALOG)
        .resource_snapshot_job_identifier(id)
        .send()
        .await
        .map_err(|e| e.into_service_error())
}

async fn job_status(c: &pc::Client, id: &str) -> ResourceSnapshotJobStatus {
    job(c, id)
        .await
        .expect("the owner reads its job")
        .status()
        .cloned()
        .expect("a status")
}

/// `(Id, EngagementId, Status)` of each job ListResourceSnapshotJobs answers.
async fn jobs(
    c: &pc::Client,
    engagement: Option<&str>,
    status: Option<ResourceSnapshotJobStatus>,
    order: Option<SortOrder>,
) -> Vec<(String, String, ResourceSnapshotJobStatus)> {
    let out = c
        .list_resource_snapshot_jobs()
        .catalog(CATALOG)
        .set_engagement_identifier(engagement.map(str::to_string))
        .set_status(status)
        .set_sort(order.map(|o| {
            SortObject::builder()
                .sort_by(SortBy::CreatedDate)
                .sort_order(o)
                .build()
        }))
        .send()
        .await
        .expect("the owner lists its jobs");
    out.resource_snapshot_job_summaries()
        .iter()
        .map(|s| {
            let id = s.id().expect("an id").to_string();
            assert_eq!(s.arn(), Some(job_arn(A, &id).as_str()));
            (
                id,
                s.engagement_id().expect("an engagement").to_string(),
                s.status().cloned().expect("a status"),
            )
        })
        .collect()
}

#[tokio::test]
async fn a_snapshot_job_follows_its_opportunity_while_running() {
    let server = Binary::start(&["--in-memory"]);
    let a = client(&server.url, A, "secret");

    // Submitting starts a Running OpportunitySummaryView job on the opportunity.
    let oa = create_opportunity(&a, "opp-a", vec![]).await;
    associate_solution(&a, &oa).await;
    let (e1, job1) = submit(&a, &oa).await;
    assert!(is_id(&job1, "job-", 13), "{job1}");
    let got = job(&a, &job1).await.expect("A reads the task's job");
    assert_eq!(got.catalog(), CATALOG);
    assert_eq!(got.id(), Some(job1.as_str()));
    assert_eq!(got.arn(), Some(job_arn(A, &job1).as_str()));
    assert_eq!(got.engagement_id(), Some(e1.as_str()));
    assert_eq!(got.resource_type(), Some(&ResourceType::Opportunity));
    assert_eq!(got.resource_id(), Some(oa.as_str()));
    assert_eq!(got.resource_arn(), Some(opportunity_arn(A, &oa).as_str()));
    assert_eq!(got.resource_snapshot_template_name(), Some(VIEW));
    assert_eq!(got.status(), Some(&ResourceSnapshotJobStatus::Running));
    assert!(got.created_at().is_some(), "{got:?}");
    assert!(got.last_successful_execution_date().is_some(), "{got:?}");
    assert_eq!(got.last_failure(), None);
    // Its first run took revision 1 in the task's engagement.
    assert_eq!(latest(&a, &e1, &oa, VIEW).await, 1);

    // Selling-system settings: nothing before a put, in either catalog.
    for catalog in [CATALOG, "AWS"] {
        let s = a
            .get_selling_system_settings()
            .catalog(catalog)
            .send()
            .await
            .expect("settings before any put");
        assert_eq!(s.catalog(), catalog);
        assert_eq!(s.resource_snapshot_job_role_arn(), None);
    }
    let role = format!("arn:aws:iam::{A}:role/PartnerCentralSnapshotJobRole");
    let put = a
        .put_selling_system_settings()
        .catalog(CATALOG)
        .resource_snapshot_job_role_identifier("PartnerCentralSnapshotJobRole")
        .send()
        .await
        .expect("a role name is accepted");
    assert_eq!(put.catalog(), CATALOG);
    assert_eq!(put.resource_snapshot_job_role_arn(), Some(role.as_str()));
    let s = a
        .get_selling_system_settings()
        .catalog(CATALOG)
        .send()
        .await
        .unwrap();
    assert_eq!(s.catalog(), CATALOG);
    assert_eq!(s.resource_snapshot_job_role_arn(), Some(role.as_str()));
    // The other catalog keeps its own (empty) settings.
    let s = a
        .get_selling_system_settings()
        .catalog("AWS")
        .send()
        .await
        .unwrap();
    assert_eq!(s.catalog(), "AWS");
    assert_eq!(s.resource_snapshot_job_role_arn(), None);
    // A full ARN of the caller's account is kept as sent; one of another account is refused.
    let own = format!("arn:aws:iam::{A}:role/OtherRole");
    let put = a
        .put_selling_system_settings()
        .catalog(CATALOG)
        .resource_snapshot_job_role_identifier(&own)
        .send()
        .await
        .expect("a role ARN of the caller's account");
    assert_eq!(put.resource_snapshot_job_role_arn(), Some(own.as_str()));
    let err = a
        .put_selling_system_settings()
        .catalog(CATALOG)
        .resource_snapshot_job_role_identifier(format!("arn:aws:iam::{B}:role/OtherRole"))
        .send()
        .await
        .expect_err("a role of another account")
        .into_service_error();
    assert!(err.is_validation_exception(), "{err:?}");
    let s = a
        .get_selling_system_settings()
        .catalog(CATALOG)
        .send()
        .await
        .unwrap();
    assert_eq!(s.resource_snapshot_job_role_arn(), Some(own.as_str()));

    // A second engagement of A's, and a job on another opportunity of A's in it. That
    // opportunity stays Pending Submission: a Submitted one refuses updates, and an approved
    // one refuses a new Project.Title.
    let e2 = a
        .create_engagement()
        .catalog(CATALOG)
        .client_token("second-engagement")
        .title("Acme follow-up")
        .description("Where A shares its follow-up opportunity.")
        .send()
        .await
        .expect("A creates an engagement")
        .id()
        .expect("an engagement id")
        .to_string();
    let o2 = create_opportunity(&a, "opp-two", vec![]).await;
    let create_job = || {
        a.create_resource_snapshot_job()
            .catalog(CATALOG)
            .client_token("job-two")
            .engagement_identifier(&e2)
            .resource_type(ResourceType::Opportunity)
            .resource_identifier(&o2)
            .resource_snapshot_template_identifier(VIEW)
            .tags(tag("Team", "Alliances"))
    };
    let created = create_job().send().await.expect("A creates a job");
    let job2 = created.id().expect("an id").to_string();
    assert!(is_id(&job2, "job-", 13), "{job2}");
    assert_eq!(created.arn(), Some(job_arn(A, &job2).as_str()));
    // The same client token replays the creation.
    let replay = create_job().send().await.expect("the same token replays");
    assert_eq!(replay.id(), Some(job2.as_str()));
    let got = job(&a, &job2).await.unwrap();
    assert_eq!(got.status(), Some(&ResourceSnapshotJobStatus::Stopped));
    assert_eq!(got.engagement_id(), Some(e2.as_str()));
    assert_eq!(got.resource_id(), Some(o2.as_str()));
    assert_eq!(got.resource_arn(), Some(opportunity_arn(A, &o2).as_str()));
    assert_eq!(got.last_successful_execution_date(), None);
    let tags = a
        .list_tags_for_resource()
        .resource_arn(job_arn(A, &job2))
        .send()
        .await
        .expect("the job's tags");
    assert_eq!(
        pairs(tags.tags()),
        [("Team".to_string(), "Alliances".to_string())]
    );
    // A stopped job has taken nothing yet.
    let err = snapshot(&a, &e2, &o2, VIEW, None)
        .await
        .expect_err("no snapshot before the job runs");
    assert!(err.is_resource_not_found_exception(), "{err:?}");
    // One job per (engagement, resource, template).
    let err = create_job()
        .client_token("job-two-again")
        .send()
        .await
        .expect_err("a duplicate job")
        .into_service_error();
    assert!(err.is_conflict_exception(), "{err:?}");

    // Starting runs the job at once: revision 1, which links o2 to e2.
    a.start_resource_snapshot_job()
        .catalog(CATALOG)
        .resource_snapshot_job_identifier(&job2)
        .send()
        .await
        .expect("A starts its job");
    let got = job(&a, &job2).await.unwrap();
    assert_eq!(got.status(), Some(&ResourceSnapshotJobStatus::Running));
    assert!(got.last_successful_execution_date().is_some(), "{got:?}");
    let first = snapshot(&a, &e2, &o2, VIEW, None).await.unwrap();
    assert_eq!(first.revision(), Some(1));
    assert_eq!(first.arn(), Some(snapshot_arn(&e2, &o2, VIEW, 1).as_str()));
    assert_eq!(first.created_by(), Some(A));
    assert_eq!(first.target_member_accounts(), [A]);
    let view = first
        .payload()
        .and_then(|p| p.as_opportunity_summary().ok())
        .expect("an OpportunitySummary payload");
    assert_eq!(
        view.lifecycle().and_then(|l| l.next_steps()),
        Some("Discovery call")
    );
    let linked = a
        .list_engagement_resource_associations()
        .catalog(CATALOG)
        .engagement_identifier(&e2)
        .send()
        .await
        .unwrap();
    let linked: Vec<_> = linked
        .engagement_resource_association_summaries()
        .iter()
        .map(|s| (s.created_by(), s.resource_id()))
        .collect();
    assert_eq!(linked, [(Some(A), Some(o2.as_str()))]);
    // Starting a running job again changes nothing.
    a.start_resource_snapshot_job()
        .catalog(CATALOG)
        .resource_snapshot_job_identifier(&job2)
        .send()
        .await
        .expect("starting a running job is a no-op");
    assert_eq!(latest(&a, &e2, &o2, VIEW).await, 1);

    // A change inside the view: revision 2, holding it.
    update(&a, &o2, |_, l| {
        l.next_steps = Some("Send the proposal".into())
    })
    .await;
    let second = snapshot(&a, &e2, &o2, VIEW, None).await.unwrap();
    assert_eq!(second.revision(), Some(2));
    assert_eq!(
        second
            .payload()
            .and_then(|p| p.as_opportunity_summary().ok())
            .and_then(|v| v.lifecycle())
            .and_then(|l| l.next_steps()),
        Some("Send the proposal")
    );
    // Revision 1 is unchanged.
    let again = snapshot(&a, &e2, &o2, VIEW, Some(1)).await.unwrap();
    assert_eq!(again.payload(), first.payload());
    // A change outside the view (the title): no revision.
    update(&a, &o2, |p, _| {
        p.title = Some("Data platform, phase 2".into())
    })
    .await;
    assert_eq!(latest(&a, &e2, &o2, VIEW).await, 2);
    let err = snapshot(&a, &e2, &o2, VIEW, Some(3))
        .await
        .expect_err("no revision 3");
    assert!(err.is_resource_not_found_exception(), "{err:?}");

    // A running job is not deleted.
    let err = a
        .delete_resource_snapshot_job()
        .catalog(CATALOG)
        .resource_snapshot_job_identifier(&job2)
        .send()
        .await
        .expect_err("a running job")
        .into_service_error();
    assert!(err.is_conflict_exception(), "{err:?}");
    assert_eq!(
        job_status(&a, &job2).await,
        ResourceSnapshotJobStatus::Running
    );

    // Stopped (twice: a no-op), it takes nothing.
    for _ in 0..2 {
        a.stop_resource_snapshot_job()
            .catalog(CATALOG)
            .resource_snapshot_job_identifier(&job2)
            .send()
            .await
            .expect("A stops its job");
        assert_eq!(
            job_status(&a, &job2).await,
            ResourceSnapshotJobStatus::Stopped
        );
    }
    update(&a, &o2, |p, _| {
        p.customer_use_case = Some("Storage & Backup".into())
    })
    .await;
    assert_eq!(latest(&a, &e2, &o2, VIEW).await, 2);
    // Started again, it catches up with what changed while it was stopped.
    a.start_resource_snapshot_job()
        .catalog(CATALOG)
        .resource_snapshot_job_identifier(&job2)
        .send()
        .await
        .unwrap();
    let third = snapshot(&a, &e2, &o2, VIEW, None).await.unwrap();
    assert_eq!(third.revision(), Some(3));
    assert_eq!(
        third
            .payload()
            .and_then(|p| p.as_opportunity_summary().ok())
            .and_then(|v| v.project())
            .and_then(|p| p.customer_use_case()),
        Some("Storage & Backup")
    );
    a.stop_resource_snapshot_job()
        .catalog(CATALOG)
        .resource_snapshot_job_identifier(&job2)
        .send()
        .await
        .unwrap();

    // Deleted once stopped: gone, with its tags; its snapshots stay.
    a.delete_resource_snapshot_job()
        .catalog(CATALOG)
        .resource_snapshot_job_identifier(&job2)
        .send()
        .await
        .expect("a stopped job is deleted");
    let err = job(&a, &job2).await.expect_err("a deleted job");
    assert!(err.is_resource_not_found_exception(), "{err:?}");
    let err = a
        .delete_resource_snapshot_job()
        .catalog(CATALOG)
        .resource_snapshot_job_identifier(&job2)
        .send()
        .await
        .expect_err("deleting twice")
        .into_service_error();
    assert!(err.is_resource_not_found_exception(), "{err:?}");
    let err = a
        .list_tags_for_resource()
        .resource_arn(job_arn(A, &job2))
        .send()
        .await
        .expect_err("a deleted job has no tags")
        .into_service_error();
    assert!(err.is_resource_not_found_exception(), "{err:?}");
    assert_eq!(latest(&a, &e2, &o2, VIEW).await, 3);

    // A third job (on the submitted opportunity, in e2), left stopped; then what remains.
    let job3 = a
        .create_resource_snapshot_job()
        .catalog(CATALOG)
        .client_token("job-three")
        .engagement_identifier(&e2)
        .resource_type(ResourceType::Opportunity)
        .resource_identifier(&oa)
        .resource_snapshot_template_identifier(VIEW)
        .send()
        .await
        .expect("A creates a third job")
        .id()
        .expect("an id")
        .to_string();
    let running = (job1.clone(), e1.clone(), ResourceSnapshotJobStatus::Running);
    let stopped = (job3.clone(), e2.clone(), ResourceSnapshotJobStatus::Stopped);
    assert_eq!(
        jobs(&a, None, None, Some(SortOrder::Ascending)).await,
        [running.clone(), stopped.clone()]
    );
    assert_eq!(
        jobs(&a, None, None, Some(SortOrder::Descending)).await,
        [stopped.clone(), running.clone()]
    );
    assert_eq!(
        jobs(&a, None, Some(ResourceSnapshotJobStatus::Running), None).await,
        std::slice::from_ref(&running)
    );
    assert_eq!(
        jobs(&a, None, Some(ResourceSnapshotJobStatus::Stopped), None).await,
        std::slice::from_ref(&stopped)
    );
    assert_eq!(
        jobs(&a, Some(&e2), None, None).await,
        std::slice::from_ref(&stopped)
    );
    assert_eq!(
        jobs(&a, Some(&e1), None, None).await,
        std::slice::from_ref(&running)
    );
    assert_eq!(
        jobs(
            &a,
            Some(&e1),
            Some(ResourceSnapshotJobStatus::Stopped),
            None
        )
        .await,
        []
    );
    // Jobs are their owner's: B lists none and reads none.
    let b = client(&server.url, B, "secret");
    let listed = b
        .list_resource_snapshot_jobs()
        .catalog(CATALOG)
        .send()
        .await
        .unwrap();
    assert!(listed.resource_snapshot_job_summaries().is_empty());
    let err = job(&b, &job1).await.expect_err("A's job, read by B");
    assert!(err.is_resource_not_found_exception(), "{err:?}");
}

fn invitation(to: &str) -> Invitation {
    Invitation::builder()
        .message("Join us on the Acme data platform.")
        .receiver(Receiver::Account(
            AccountReceiver::builder()
                .aws_account_id(to)
                .alias("Partner B")
                .build()
                .unwrap(),
        ))
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
                        .title("Data platform")
                        .business_problem("Quarter-end reports take three days.")
                        .target_completion_date("2030-06-30")
                        .expected_customer_spend(spend())
                        .build()
                        .unwrap(),
                )
                .build()
                .unwrap(),
        ))
        .build()
        .unwrap()
}

/// `(CreatedBy, ResourceId, Template, Revision)` of each snapshot `c` lists in `engagement`.
async fn snapshots(
    c: &pc::Client,
    engagement: &str,
    created_by: Option<&str>,
) -> Result<
    Vec<(String, String, String, i32)>,
    pc::operation::list_resource_snapshots::ListResourceSnapshotsError,
> {
    let out = c
        .list_resource_snapshots()
        .catalog(CATALOG)
        .engagement_identifier(engagement)
        .set_created_by(created_by.map(str::to_string))
        .send()
        .await
        .map_err(|e| e.into_service_error())?;
    Ok(out
        .resource_snapshot_summaries()
        .iter()
        .map(|s| {
            let resource = s.resource_id().expect("a resource").to_string();
            let template = s.resource_snapshot_template_name().expect("a template");
            let revision = s.revision().expect("a revision");
            assert_eq!(s.resource_type(), Some(&ResourceType::Opportunity));
            assert_eq!(
                s.arn(),
                Some(snapshot_arn(engagement, &resource, template, revision).as_str())
            );
            (
                s.created_by().expect("a creator").to_string(),
                resource,
                template.to_string(),
                revision,
            )
        })
        .collect())
}

/// CreateResourceSnapshot of the caller's `opportunity` (OpportunitySummaryView): `(Arn, Revision)`.
async fn explicit_snapshot(
    c: &pc::Client,
    token: &str,
    engagement: &str,
    opportunity: &str,
) -> (String, i32) {
    let out = c
        .create_resource_snapshot()
        .catalog(CATALOG)
        .client_token(token)
        .engagement_identifier(engagement)
        .resource_type(ResourceType::Opportunity)
        .resource_identifier(opportunity)
        .resource_snapshot_template_identifier(VIEW)
        .send()
        .await
        .expect("the owner takes a snapshot");
    (
        out.arn().expect("an ARN").to_string(),
        out.revision().expect("a revision"),
    )
}

#[tokio::test]
async fn members_read_shared_snapshots_and_only_the_owner_reads_aws_view() {
    let server = Binary::start(&["--in-memory"]);
    let a = client(&server.url, A, "secret");
    let b = client(&server.url, B, "secret");
    let c = client(&server.url, C, "secret");

    // A submits (revision 1 of its view, Submitted), invites B, B accepts (B's own job and
    // revision 1 of B's opportunity), AWS approves A's (revision 2 of A's view, Approved, and
    // AWS's own view of A's opportunity; B's opportunity follows the approval).
    let oa = create_opportunity(&a, "opp-a", vec![]).await;
    associate_solution(&a, &oa).await;
    let (eng, _) = submit(&a, &oa).await;
    let inv = a
        .create_engagement_invitation()
        .catalog(CATALOG)
        .client_token("invite-b")
        .engagement_identifier(&eng)
        .invitation(invitation(B))
        .send()
        .await
        .expect("A invites B")
        .id()
        .to_string();
    let task = b
        .start_engagement_by_accepting_invitation_task()
        .catalog(CATALOG)
        .identifier(&inv)
        .client_token("accept-a")
        .send()
        .await
        .expect("B accepts");
    assert_eq!(task.task_status(), Some(&TaskStatus::Complete), "{task:?}");
    let ob = task.opportunity_id().expect("B's opportunity").to_string();
    let job_b = task
        .resource_snapshot_job_id()
        .expect("the accept task starts B's job")
        .to_string();
    assert_eq!(
        job_status(&b, &job_b).await,
        ResourceSnapshotJobStatus::Running
    );
    approve(&server, A, &oa);

    let view_of = |who: &str, opp: &str, revision: i32| {
        (who.to_string(), opp.to_string(), VIEW.to_string(), revision)
    };
    let aws_of_a = ("aws".to_string(), oa.clone(), AWS_VIEW.to_string(), 1);
    let aws_of_b = ("aws".to_string(), ob.clone(), AWS_VIEW.to_string(), 1);
    // B lists A's shared snapshots, every revision (members read them whenever they joined).
    assert_eq!(
        snapshots(&b, &eng, Some(A)).await.unwrap(),
        [view_of(A, &oa, 1), view_of(A, &oa, 2)]
    );
    // ... and AWS's view of its own approved opportunity, never of A's.
    assert_eq!(
        snapshots(&b, &eng, None).await.unwrap(),
        [
            view_of(A, &oa, 1),
            view_of(A, &oa, 2),
            aws_of_b.clone(),
            view_of(B, &ob, 1),
            view_of(B, &ob, 2),
        ]
    );
    // A also lists AWS's view of its own opportunity.
    assert_eq!(
        snapshots(&a, &eng, None).await.unwrap(),
        [
            aws_of_a.clone(),
            view_of(A, &oa, 1),
            view_of(A, &oa, 2),
            view_of(B, &ob, 1),
            view_of(B, &ob, 2),
        ]
    );
    assert_eq!(snapshots(&a, &eng, Some("aws")).await.unwrap(), [aws_of_a]);
    assert_eq!(snapshots(&b, &eng, Some("aws")).await.unwrap(), [aws_of_b]);

    // B reads A's latest revision: A's customer, approved, shared with every member.
    let latest_a = snapshot(&b, &eng, &oa, VIEW, None)
        .await
        .expect("B reads A's latest snapshot");
    assert_eq!(latest_a.catalog(), CATALOG);
    assert_eq!(latest_a.revision(), Some(2));
    assert_eq!(
        latest_a.arn(),
        Some(snapshot_arn(&eng, &oa, VIEW, 2).as_str())
    );
    assert_eq!(latest_a.created_by(), Some(A));
    assert!(latest_a.created_at().is_some());
    assert_eq!(latest_a.engagement_id(), Some(eng.as_str()));
    assert_eq!(latest_a.resource_type(), Some(&ResourceType::Opportunity));
    assert_eq!(latest_a.resource_id(), Some(oa.as_str()));
    assert_eq!(latest_a.resource_snapshot_template_name(), Some(VIEW));
    assert_eq!(latest_a.target_member_accounts(), [A, B, "aws"]);
    let summary = latest_a
        .payload()
        .and_then(|p| p.as_opportunity_summary().ok())
        .expect("an OpportunitySummary payload");
    let account = summary
        .customer()
        .and_then(|c| c.account())
        .expect("the customer's account");
    assert_eq!(account.company_name(), "Acme Corp");
    assert_eq!(account.website_url(), Some("https://acme.example.com"));
    assert_eq!(
        summary.customer().map(|c| c.contacts().len()),
        Some(1),
        "{summary:?}"
    );
    let life = summary.lifecycle().expect("a life cycle");
    assert_eq!(
        life.review_status(),
        Some(&pc::types::ReviewStatus::Approved)
    );
    assert_eq!(life.stage(), Some(&Stage::Prospect));
    assert_eq!(life.next_steps(), Some("Discovery call"));
    assert_eq!(life.target_close_date(), Some("2030-06-30"));
    assert_eq!(
        summary.project().and_then(|p| p.customer_use_case()),
        Some("Migration / Database Migration")
    );
    assert_eq!(
        summary.primary_needs_from_aws(),
        [PrimaryNeedFromAws::CoSellTechnicalConsultation]
    );
    assert_eq!(
        summary.related_entity_identifiers().map(|r| r.solutions()),
        Some([SOLUTION.to_string()].as_slice())
    );
    // And revision 1 by number: what A submitted, when A was the only member.
    let first = snapshot(&b, &eng, &oa, VIEW, Some(1))
        .await
        .expect("B reads A's revision 1");
    assert_eq!(first.revision(), Some(1));
    assert_eq!(first.target_member_accounts(), [A]);
    assert_eq!(
        first
            .payload()
            .and_then(|p| p.as_opportunity_summary().ok())
            .and_then(|v| v.lifecycle())
            .and_then(|l| l.review_status()),
        Some(&pc::types::ReviewStatus::Submitted)
    );

    // AWS's view of A's opportunity: A reads it, B is denied.
    let aws = snapshot(&a, &eng, &oa, AWS_VIEW, None)
        .await
        .expect("A reads AWS's view of its opportunity");
    assert_eq!(aws.revision(), Some(1));
    assert_eq!(aws.created_by(), Some("aws"));
    assert_eq!(aws.target_member_accounts(), [A]);
    assert_eq!(
        aws.arn(),
        Some(snapshot_arn(&eng, &oa, AWS_VIEW, 1).as_str())
    );
    let full = aws
        .payload()
        .and_then(|p| p.as_aws_opportunity_summary_full_view().ok())
        .expect("an AwsOpportunitySummaryFullView payload");
    assert_eq!(full.related_opportunity_id(), Some(oa.as_str()));
    assert_eq!(
        full.origin(),
        Some(&pc::types::OpportunityOrigin::PartnerReferral)
    );
    assert_eq!(full.involvement_type(), Some(&SalesInvolvementType::CoSell));
    assert_eq!(full.visibility(), Some(&Visibility::Full));
    assert_eq!(
        full.related_entity_ids().map(|r| r.solutions()),
        Some([SOLUTION.to_string()].as_slice())
    );
    for r in [None, Some(1)] {
        let err = snapshot(&b, &eng, &oa, AWS_VIEW, r)
            .await
            .expect_err("AWS's view is its owner's");
        assert!(err.is_access_denied_exception(), "{err:?}");
    }
    // B's opportunity was approved with A's: AWS produced its own view of it, for B alone.
    let aws_view = snapshot(&b, &eng, &ob, AWS_VIEW, None)
        .await
        .expect("B reads AWS's view of its approved opportunity");
    assert_eq!(aws_view.created_by(), Some("aws"));
    assert_eq!(aws_view.target_member_accounts(), [B.to_string()]);
    let err = snapshot(&a, &eng, &ob, AWS_VIEW, None)
        .await
        .expect_err("A may not read AWS's view of B's opportunity");
    assert!(err.is_access_denied_exception(), "{err:?}");

    // C is no member: denied, whatever it asks.
    let err = snapshots(&c, &eng, None)
        .await
        .expect_err("C lists nothing");
    assert!(err.is_access_denied_exception(), "{err:?}");
    for (opp, template, revision) in [(&oa, VIEW, None), (&oa, VIEW, Some(1)), (&ob, VIEW, None)] {
        let err = snapshot(&c, &eng, opp, template, revision)
            .await
            .expect_err("C reads nothing");
        assert!(err.is_access_denied_exception(), "{err:?}");
    }
    let err = c
        .create_resource_snapshot()
        .catalog(CATALOG)
        .client_token("c-snapshot")
        .engagement_identifier(&eng)
        .resource_type(ResourceType::Opportunity)
        .resource_identifier(&oa)
        .resource_snapshot_template_identifier(VIEW)
        .send()
        .await
        .expect_err("C snapshots nothing")
        .into_service_error();
    assert!(err.is_access_denied_exception(), "{err:?}");

    // What does not exist is not found.
    let err = snapshot(&b, &eng, &oa, VIEW, Some(3))
        .await
        .expect_err("no revision 3");
    assert!(err.is_resource_not_found_exception(), "{err:?}");
    let err = snapshot(&a, "eng-zzzzzzzzzzzzzz", &oa, VIEW, None)
        .await
        .expect_err("no such engagement");
    assert!(err.is_resource_not_found_exception(), "{err:?}");
    // A member snapshots only its own opportunity.
    let err = b
        .create_resource_snapshot()
        .catalog(CATALOG)
        .client_token("b-snapshots-a")
        .engagement_identifier(&eng)
        .resource_type(ResourceType::Opportunity)
        .resource_identifier(&oa)
        .resource_snapshot_template_identifier(VIEW)
        .send()
        .await
        .expect_err("B snapshots A's opportunity")
        .into_service_error();
    assert!(err.is_resource_not_found_exception(), "{err:?}");

    // Templates: an unknown name and AWS's own view are refused to partners.
    for template in ["Bogus", AWS_VIEW] {
        let err = a
            .create_resource_snapshot()
            .catalog(CATALOG)
            .client_token(format!("snapshot-{template}"))
            .engagement_identifier(&eng)
            .resource_type(ResourceType::Opportunity)
            .resource_identifier(&oa)
            .resource_snapshot_template_identifier(template)
            .send()
            .await
            .expect_err("a template partners may not snapshot")
            .into_service_error();
        assert!(err.is_validation_exception(), "{template}: {err:?}");
        let err = a
            .create_resource_snapshot_job()
            .catalog(CATALOG)
            .client_token(format!("job-{template}"))
            .engagement_identifier(&eng)
            .resource_type(ResourceType::Opportunity)
            .resource_identifier(&oa)
            .resource_snapshot_template_identifier(template)
            .send()
            .await
            .expect_err("a template partners may not follow")
            .into_service_error();
        assert!(err.is_validation_exception(), "{template}: {err:?}");
    }
    // A name that is no template is a ValidationException on reads too (research §9).
    let err = snapshot(&a, &eng, &oa, "Bogus", None)
        .await
        .expect_err("an unknown template is refused");
    assert!(err.is_validation_exception(), "{err:?}");
    let err = a
        .list_resource_snapshots()
        .catalog(CATALOG)
        .engagement_identifier(&eng)
        .resource_snapshot_template_identifier("Bogus")
        .send()
        .await
        .expect_err("an unknown template filter is refused")
        .into_service_error();
    assert!(err.is_validation_exception(), "{err:?}");

    // An explicit snapshot is a new revision even when nothing changed.
    let (arn, revision) = explicit_snapshot(&a, "explicit-1", &eng, &oa).await;
    assert_eq!(
        (arn.as_str(), revision),
        (snapshot_arn(&eng, &oa, VIEW, 3).as_str(), 3)
    );
    let (arn, revision) = explicit_snapshot(&a, "explicit-2", &eng, &oa).await;
    assert_eq!(
        (arn.as_str(), revision),
        (snapshot_arn(&eng, &oa, VIEW, 4).as_str(), 4)
    );
    // The same client token replays the first.
    assert_eq!(explicit_snapshot(&a, "explicit-1", &eng, &oa).await.1, 3);
    let fourth = snapshot(&b, &eng, &oa, VIEW, None).await.unwrap();
    assert_eq!(fourth.revision(), Some(4));
    assert_eq!(fourth.payload(), latest_a.payload());
    assert_eq!(
        snapshots(&b, &eng, Some(A)).await.unwrap(),
        (1..=4).map(|r| view_of(A, &oa, r)).collect::<Vec<_>>()
    );
}

#[tokio::test]
async fn tags_on_opportunities_and_jobs() {
    let server = Binary::start(&["--in-memory"]);
    let a = client(&server.url, A, "secret");
    let b = client(&server.url, B, "secret");
    let list = |c: &pc::Client, arn: String| {
        let req = c.list_tags_for_resource().resource_arn(arn);
        async move {
            req.send()
                .await
                .map(|o| pairs(o.tags()))
                .map_err(|e| e.into_service_error())
        }
    };
    let kv = |items: &[(&str, &str)]| {
        items
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect::<Vec<_>>()
    };

    // Tags given at creation land on the opportunity.
    let oa = create_opportunity(
        &a,
        "tagged",
        vec![tag("Stage", "Pilot"), tag("Owner", "Alice")],
    )
    .await;
    let opp = opportunity_arn(A, &oa);
    assert_eq!(
        list(&a, opp.clone()).await.unwrap(),
        kv(&[("Stage", "Pilot"), ("Owner", "Alice")])
    );
    // Tag adds and replaces, Untag removes (a key it does not carry is ignored).
    a.tag_resource()
        .resource_arn(&opp)
        .tags(tag("Owner", "Bob"))
        .tags(tag("Region", "West"))
        .send()
        .await
        .expect("A tags its opportunity");
    assert_eq!(
        list(&a, opp.clone()).await.unwrap(),
        kv(&[("Stage", "Pilot"), ("Owner", "Bob"), ("Region", "West")])
    );
    a.untag_resource()
        .resource_arn(&opp)
        .tag_keys("Stage")
        .tag_keys("Missing")
        .send()
        .await
        .expect("A untags its opportunity");
    assert_eq!(
        list(&a, opp.clone()).await.unwrap(),
        kv(&[("Owner", "Bob"), ("Region", "West")])
    );
    // An untagged opportunity lists none.
    let plain = create_opportunity(&a, "untagged", vec![]).await;
    assert_eq!(list(&a, opportunity_arn(A, &plain)).await.unwrap(), []);

    // A job's tags, from creation on.
    let eng = a
        .create_engagement()
        .catalog(CATALOG)
        .client_token("tag-engagement")
        .title("Tagging")
        .description("An engagement for a tagged job.")
        .send()
        .await
        .unwrap()
        .id()
        .expect("an engagement id")
        .to_string();
    let job = a
        .create_resource_snapshot_job()
        .catalog(CATALOG)
        .client_token("tagged-job")
        .engagement_identifier(&eng)
        .resource_type(ResourceType::Opportunity)
        .resource_identifier(&oa)
        .resource_snapshot_template_identifier(VIEW)
        .tags(tag("Team", "Alliances"))
        .send()
        .await
        .expect("a tagged job")
        .id()
        .expect("an id")
        .to_string();
    let job = job_arn(A, &job);
    assert_eq!(
        list(&a, job.clone()).await.unwrap(),
        kv(&[("Team", "Alliances")])
    );
    a.tag_resource()
        .resource_arn(&job)
        .tags(tag("CostCenter", "42"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        list(&a, job.clone()).await.unwrap(),
        kv(&[("Team", "Alliances"), ("CostCenter", "42")])
    );
    a.untag_resource()
        .resource_arn(&job)
        .tag_keys("Team")
        .tag_keys("CostCenter")
        .send()
        .await
        .unwrap();
    assert_eq!(list(&a, job.clone()).await.unwrap(), []);
    // The opportunity's tags are its own.
    assert_eq!(
        list(&a, opp.clone()).await.unwrap(),
        kv(&[("Owner", "Bob"), ("Region", "West")])
    );

    // Reserved keys are refused, on a resource and at creation; nothing changes.
    for key in ["aws:team", "AWS:Team"] {
        let err = a
            .tag_resource()
            .resource_arn(&opp)
            .tags(tag(key, "x"))
            .send()
            .await
            .expect_err("a reserved key")
            .into_service_error();
        assert!(err.is_validation_exception(), "{key}: {err:?}");
    }
    let err = a
        .create_opportunity()
        .catalog(CATALOG)
        .client_token("reserved-tag")
        .customer(customer())
        .project(project(
            "Data platform",
            "Quarter-end reports take three days.",
        ))
        .life_cycle(life_cycle())
        .primary_needs_from_aws(PrimaryNeedFromAws::CoSellTechnicalConsultation)
        .tags(tag("aws:team", "x"))
        .send()
        .await
        .expect_err("a reserved key at creation")
        .into_service_error();
    assert!(err.is_validation_exception(), "{err:?}");
    assert_eq!(
        list(&a, opp.clone()).await.unwrap(),
        kv(&[("Owner", "Bob"), ("Region", "West")])
    );

    // Another account's resources are denied; B's own view of A's tags too.
    let err = b
        .tag_resource()
        .resource_arn(&opp)
        .tags(tag("Owner", "Mallory"))
        .send()
        .await
        .expect_err("B tags A's opportunity")
        .into_service_error();
    assert!(err.is_access_denied_exception(), "{err:?}");
    let err = b
        .untag_resource()
        .resource_arn(&opp)
        .tag_keys("Owner")
        .send()
        .await
        .expect_err("B untags A's opportunity")
        .into_service_error();
    assert!(err.is_access_denied_exception(), "{err:?}");
    let err = list(&b, opp.clone()).await.expect_err("B lists A's tags");
    assert!(err.is_access_denied_exception(), "{err:?}");
    assert_eq!(
        list(&a, opp.clone()).await.unwrap(),
        kv(&[("Owner", "Bob"), ("Region", "West")])
    );

    // A well-formed ARN of nothing is not found; an engagement (no account) is not taggable.
    let missing = opportunity_arn(A, "O9999999");
    let err = a
        .tag_resource()
        .resource_arn(&missing)
        .tags(tag("Owner", "Bob"))
        .send()
        .await
        .expect_err("a missing opportunity")
        .into_service_error();
    assert!(err.is_resource_not_found_exception(), "{err:?}");
    let err = list(&a, missing).await.expect_err("a missing opportunity");
    assert!(err.is_resource_not_found_exception(), "{err:?}");
    let err = list(&a, job_arn(A, "job-zzzzzzzzzzzzz"))
        .await
        .expect_err("a missing job");
    assert!(err.is_resource_not_found_exception(), "{err:?}");
    let err = a
        .tag_resource()
        .resource_arn(format!(
            "arn:aws:partnercentral:us-east-1::catalog/{CATALOG}/engagement/{eng}"
        ))
        .tags(tag("Owner", "Bob"))
        .send()
        .await
        .expect_err("an engagement ARN")
        .into_service_error();
    assert!(err.is_validation_exception(), "{err:?}");
}
