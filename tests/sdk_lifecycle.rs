//! aws-sdk-rust against the real binary: the whole flow from create to the AWS summary,
//! and the typed errors a Rust integration sees.

mod common;

use aws_sdk_partnercentralselling as pc;
use pc::error::ProvideErrorMetadata;
use pc::types::{
    Account, Address, AwsSubmission, Contact, CountryCode, Customer, DeliveryModel,
    ExpectedCustomerSpend, Industry, LifeCycle, PaymentFrequency, PrimaryNeedFromAws, Project,
    RelatedEntityType, ReviewStatus, SalesActivity, SalesInvolvementType, Stage,
    ValidationExceptionErrorCode, ValidationExceptionReason, Visibility,
};

use common::{Binary, client};

/// The customer of an opportunity AWS accepts; `website` false leaves out what AWS requires.
fn customer(website: bool) -> Customer {
    let account = Account::builder()
        .company_name("Acme Corp")
        .industry(Industry::SoftwareInternet)
        .set_website_url(website.then(|| "https://acme.example.com".to_string()))
        .address(
            Address::builder()
                .country_code(CountryCode::Us)
                .state_or_region("Washington")
                .postal_code("98101")
                .build(),
        )
        .build()
        .unwrap();
    Customer::builder()
        .account(account)
        .contacts(
            Contact::builder()
                .email("ann@acme.example.com")
                .first_name("Ann")
                .build(),
        )
        .build()
}

fn project() -> Project {
    Project::builder()
        .title("Data platform")
        .customer_business_problem("Quarter-end reports take three days.")
        .customer_use_case("Migration / Database Migration")
        .delivery_models(DeliveryModel::SaasOrPaas)
        .sales_activities(SalesActivity::InitializedDiscussionsWithCustomer)
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

async fn create(c: &pc::Client, catalog: &str) -> String {
    c.create_opportunity()
        .catalog(catalog)
        .customer(customer(true))
        .project(project())
        .life_cycle(
            LifeCycle::builder()
                .stage(Stage::Prospect)
                .next_steps("Discovery call")
                // AWS refuses a target close date that is not in the future.
                .target_close_date("2030-06-30")
                .build(),
        )
        .primary_needs_from_aws(PrimaryNeedFromAws::CoSellTechnicalConsultation)
        .send()
        .await
        .expect("create succeeds")
        .id
}

#[tokio::test]
async fn summary_is_not_found_until_aws_approves_then_mirrors_the_opportunity() {
    let server = Binary::start(&["--in-memory"]);
    let c = client(&server.url, "111111111111", "secret");
    let id = create(&c, "Sandbox").await;

    c.associate_opportunity()
        .catalog("Sandbox")
        .opportunity_identifier(&id)
        .related_entity_type(RelatedEntityType::Solutions)
        .related_entity_identifier("S-1234567")
        .send()
        .await
        .unwrap();
    let task = c
        .start_engagement_from_opportunity_task()
        .catalog("Sandbox")
        .identifier(&id)
        .aws_submission(
            AwsSubmission::builder()
                .involvement_type(SalesInvolvementType::CoSell)
                .visibility(Visibility::Full)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(task.task_status().map(|s| s.as_str()), Some("COMPLETE"));

    let err = c
        .get_aws_opportunity_summary()
        .catalog("Sandbox")
        .related_opportunity_identifier(&id)
        .send()
        .await
        .unwrap_err();
    assert!(
        err.as_service_error()
            .is_some_and(|e| e.is_resource_not_found_exception())
    );

    let opp = c
        .get_opportunity()
        .catalog("Sandbox")
        .identifier(&id)
        .send()
        .await
        .unwrap();
    assert_eq!(
        opp.life_cycle().and_then(|l| l.review_status()),
        Some(&ReviewStatus::Submitted)
    );
    c.update_opportunity()
        .catalog("Sandbox")
        .identifier(&id)
        .last_modified_date(opp.last_modified_date)
        .set_customer(opp.customer.clone())
        .set_project(opp.project.clone())
        .life_cycle(
            LifeCycle::builder()
                .stage(Stage::Prospect)
                .next_steps("Discovery call")
                // AWS refuses a target close date that is not in the future.
                .target_close_date("2030-06-30")
                .review_status(ReviewStatus::Approved)
                .build(),
        )
        .send()
        .await
        .unwrap();

    let s = c
        .get_aws_opportunity_summary()
        .catalog("Sandbox")
        .related_opportunity_identifier(&id)
        .send()
        .await
        .unwrap();
    assert_eq!(s.catalog(), "Sandbox");
    assert_eq!(s.related_opportunity_id(), Some(id.as_str()));
    assert_eq!(s.involvement_type(), Some(&SalesInvolvementType::CoSell));
    assert_eq!(s.visibility(), Some(&Visibility::Full));
    // The summary's LifeCycle is AWS's own (captured 2026): none yet.
    assert!(s.life_cycle().is_none());
    assert_eq!(s.opportunity_team().len(), 1);
    assert_eq!(
        s.related_entity_ids().map(|r| r.solutions().to_vec()),
        Some(vec!["S-1234567".to_string()])
    );
    let contacts = s
        .customer()
        .map(|c| c.contacts().to_vec())
        .unwrap_or_default();
    assert_eq!(contacts[0].email(), Some("ann@acme.example.com"));
}

#[tokio::test]
async fn missing_required_member_is_a_typed_validation_exception() {
    // The Rust SDK sends requests without their required members; the server must refuse them.
    let server = Binary::start(&["--in-memory"]);
    let c = client(&server.url, "111111111111", "secret");
    let err = c.get_opportunity().catalog("AWS").send().await.unwrap_err();
    let v = match err.into_service_error() {
        pc::operation::get_opportunity::GetOpportunityError::ValidationException(v) => v,
        other => panic!("expected ValidationException, got {other:?}"),
    };
    assert_eq!(
        v.reason(),
        &ValidationExceptionReason::RequestValidationFailed
    );
    assert_eq!(v.error_list()[0].field_name(), Some("Identifier"));
    assert_eq!(
        v.error_list()[0].code(),
        &ValidationExceptionErrorCode::RequiredFieldMissing
    );
}

#[tokio::test]
async fn stale_update_is_a_typed_conflict_and_business_rules_are_validation_errors() {
    let server = Binary::start(&["--in-memory"]);
    let c = client(&server.url, "111111111111", "secret");
    let id = create(&c, "AWS").await;
    let opp = c
        .get_opportunity()
        .catalog("AWS")
        .identifier(&id)
        .send()
        .await
        .unwrap();
    let update = || {
        c.update_opportunity()
            .catalog("AWS")
            .identifier(&id)
            .last_modified_date(opp.last_modified_date)
            // Update replaces the whole record: send it all back, as AWS requires.
            .set_customer(opp.customer.clone())
            .set_project(opp.project.clone())
            .set_life_cycle(opp.life_cycle.clone())
            .set_primary_needs_from_aws(opp.primary_needs_from_aws.clone())
    };
    update().send().await.unwrap();
    let err = update().send().await.unwrap_err();
    assert!(
        err.as_service_error()
            .is_some_and(|e| e.is_conflict_exception()),
        "{err:?}"
    );

    let fresh = c
        .get_opportunity()
        .catalog("AWS")
        .identifier(&id)
        .send()
        .await
        .unwrap();
    let err = c
        .update_opportunity()
        .catalog("AWS")
        .identifier(&id)
        .last_modified_date(fresh.last_modified_date)
        .life_cycle(
            LifeCycle::builder()
                .review_status(ReviewStatus::Approved)
                .build(),
        )
        .send()
        .await
        .unwrap_err();
    let e = err.as_service_error().unwrap();
    // The review decision is AWS's in this catalog: that refusal comes first and alone.
    if let pc::operation::update_opportunity::UpdateOpportunityError::ValidationException(v) = e {
        let fields: Vec<_> = v
            .error_list()
            .iter()
            .filter_map(|x| x.field_name())
            .collect();
        assert_eq!(fields, ["lifeCycle.reviewStatus"]);
    }
    assert_eq!(e.code(), Some("ValidationException"));
    match e {
        pc::operation::update_opportunity::UpdateOpportunityError::ValidationException(v) => {
            assert_eq!(
                v.reason(),
                &ValidationExceptionReason::BusinessValidationFailed
            )
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn unknown_opportunity_is_a_typed_not_found() {
    let server = Binary::start(&["--in-memory"]);
    let c = client(&server.url, "111111111111", "secret");
    let err = c
        .get_opportunity()
        .catalog("AWS")
        .identifier("O42")
        .send()
        .await
        .unwrap_err();
    assert!(
        err.as_service_error()
            .is_some_and(|e| e.is_resource_not_found_exception())
    );
}

#[tokio::test]
async fn embedded_server_serves_the_sdk() {
    let server = partnercentral_local::start(partnercentral_local::Config::ephemeral())
        .await
        .unwrap();
    let c = client(&server.url(), "222222222222", "secret");
    let list = c.list_solutions().catalog("AWS").send().await.unwrap();
    assert_eq!(list.solution_summaries()[0].id(), "S-0059717");
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn aws_business_rules_are_one_typed_error_list_and_nothing_is_written() {
    let server = Binary::start(&["--in-memory"]);
    let c = client(&server.url, "111111111111", "secret");
    let err = c
        .create_opportunity()
        .catalog("Sandbox")
        .customer(customer(false))
        .project(project())
        .life_cycle(LifeCycle::builder().target_close_date("2020-01-01").build())
        .send()
        .await
        .unwrap_err();
    let pc::operation::create_opportunity::CreateOpportunityError::ValidationException(v) =
        err.into_service_error()
    else {
        panic!("expected a ValidationException");
    };
    assert_eq!(
        v.reason(),
        &ValidationExceptionReason::BusinessValidationFailed
    );
    let got: Vec<_> = v
        .error_list()
        .iter()
        .map(|e| (e.field_name().unwrap_or_default(), e.code().clone()))
        .collect();
    assert_eq!(
        got,
        [
            (
                "customer.account.websiteUrl",
                ValidationExceptionErrorCode::RequiredFieldMissing
            ),
            (
                "lifeCycle.targetCloseDate",
                ValidationExceptionErrorCode::InvalidValue
            ),
        ]
    );
    let listed = c
        .list_opportunities()
        .catalog("Sandbox")
        .send()
        .await
        .unwrap();
    assert!(listed.opportunity_summaries().is_empty());
}
