//! aws-sdk-rust against faults and AWS-side changes made through the control plane.

mod common;

use aws_sdk_partnercentralselling::error::ProvideErrorMetadata;
use aws_sdk_partnercentralselling::types::AwsOpportunityStage;

use common::{Binary, admin, client, retrying_client};

#[tokio::test]
async fn a_retrying_sdk_rides_out_exactly_the_promised_throttling() {
    let server = Binary::start(&["--in-memory"]);
    let rule = r#"{"operation": "ListSolutions", "error": "ThrottlingException", "count": 2}"#;
    assert_eq!(admin(&server.url, "POST", "/faults", rule).0, 200);
    let c = retrying_client(&server.url, "111111111111");
    let out = c.list_solutions().catalog("AWS").send().await.unwrap();
    assert_eq!(out.solution_summaries()[0].id(), "S-0059717");
    let (_, faults) = admin(&server.url, "GET", "/faults", "");
    assert_eq!(faults, r#"{"faults":[]}"#, "both failures were used");

    assert_eq!(admin(&server.url, "POST", "/faults", rule).0, 200);
    let no_retry = client(&server.url, "111111111111", "secret");
    let err = no_retry
        .list_solutions()
        .catalog("AWS")
        .send()
        .await
        .unwrap_err();
    assert!(
        err.as_service_error()
            .is_some_and(|e| e.is_throttling_exception())
    );
    assert_eq!(
        err.as_service_error().and_then(|e| e.code()),
        Some("ThrottlingException")
    );
}

#[tokio::test]
async fn the_sdk_reads_what_aws_wrote_through_the_control_plane() {
    let server = Binary::start(&["--in-memory"]);
    let doc = r#"{"Origin": "AWS Referral", "InvolvementType": "Co-Sell",
                  "LifeCycle": {"Stage": "Seller Engaged", "NextSteps": "Kick-off"},
                  "Insights": {"EngagementScore": "Medium", "OpportunityQuality": {"Score": 87, "Trend": "Up"}},
                  "CosellMotion": "Partner Led"}"#;
    let (status, body) = admin(
        &server.url,
        "PUT",
        "/accounts/111111111111/catalogs/Sandbox/aws-opportunities/O77",
        doc,
    );
    assert_eq!(status, 200, "{body}");
    let c = client(&server.url, "111111111111", "secret");
    let s = c
        .get_aws_opportunity_summary()
        .catalog("Sandbox")
        .related_opportunity_identifier("O77")
        .send()
        .await
        .unwrap();
    let life = s.life_cycle().unwrap();
    assert_eq!(life.stage(), Some(&AwsOpportunityStage::SellerEngaged));
    assert_eq!(life.next_steps_history()[0].value(), "Kick-off");
    assert_eq!(
        s.insights()
            .and_then(|i| i.opportunity_quality())
            .and_then(|q| q.score()),
        Some(87)
    );
    assert_eq!(s.cosell_motion(), Some("Partner Led"));
}
