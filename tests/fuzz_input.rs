//! Property tests over the request decoder and the model validator: whatever bytes or JSON
//! arrive, they answer a decision (a value, a serialization error, or a list of violations
//! naming members that exist) and never panic. CI runs `PROPTEST_CASES` cases per property
//! (1,000 by default here); RELIABILITY.md records a longer run.

use partnercentral_local::model::validate::{InputError, validate};
use partnercentral_local::model::{Model, ShapeKind};
use partnercentral_local::protocol::{decode::decode, decode_body};
use proptest::prelude::*;
use serde_json::{Map, Value, json};

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000)
}

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| json!(f)),
        ".{0,40}".prop_map(Value::String),
        prop::sample::select(vec![
            "AWS",
            "Sandbox",
            "O1234567",
            "S-1234567",
            "Co-Sell",
            "Approved",
            "USD"
        ])
        .prop_map(|s| Value::String(s.to_string())),
    ];
    leaf.prop_recursive(5, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
            prop::collection::btree_map(
                prop::sample::select(vec![
                    "Catalog",
                    "Identifier",
                    "Customer",
                    "Account",
                    "CompanyName",
                    "Contacts",
                    "Email",
                    "LifeCycle",
                    "Stage",
                    "ReviewStatus",
                    "Project",
                    "ExpectedCustomerSpend",
                    "Amount",
                    "MaxResults",
                    "NextToken",
                    "Sort",
                    "SortBy",
                    "SortOrder",
                    "ClientToken",
                    "x",
                ])
                .prop_map(str::to_string),
                inner,
                0..8
            )
            .prop_map(|m| Value::Object(m.into_iter().collect::<Map<String, Value>>())),
        ]
    })
}

fn top_members(model: &Model, shape: usize) -> Vec<String> {
    match &model.shape(shape).kind {
        ShapeKind::Structure { members, .. } => members.iter().map(|m| m.name.clone()).collect(),
        _ => vec![],
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    #[test]
    fn the_decoder_decides_on_any_bytes(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let model = Model::get();
        let op = model.operation("ListOpportunities").unwrap();
        match decode_body(model, op, &bytes) {
            Ok((v, _)) => prop_assert!(v.is_object()),
            Err(e) => prop_assert!(!e.message.is_empty()),
        }
    }

    #[test]
    fn the_decoder_round_trips_any_object(value in arb_json()) {
        let body = json!({"Payload": value});
        let bytes = serde_json::to_vec(&body).unwrap();
        prop_assert_eq!(decode(Model::get(), None, &bytes).unwrap().value, body);
    }

    #[test]
    fn the_validator_decides_on_any_input_of_any_operation(value in arb_json()) {
        let model = Model::get();
        for op in model.operations.values() {
            let Some(shape) = op.input else { continue };
            let input = match &value {
                Value::Object(_) => value.clone(),
                other => json!({"Catalog": "AWS", "Identifier": other}),
            };
            match validate(model, shape, &input) {
                Ok(()) => {}
                Err(InputError::Serialization(m)) => prop_assert!(!m.is_empty()),
                Err(InputError::Invalid(violations, _)) => {
                    prop_assert!(!violations.is_empty());
                    let members = top_members(model, shape);
                    for v in violations {
                        let head = v.field.split(['.', '[']).next().unwrap_or("");
                        prop_assert!(members.iter().any(|m| m == head), "{} in {}", v.field, op.name);
                        prop_assert!(!v.message.is_empty());
                    }
                }
            }
        }
    }

    #[test]
    fn mutating_a_valid_create_request_never_panics(path in 0usize..12, replacement in arb_json()) {
        let model = Model::get();
        let shape = model.operation("CreateOpportunity").and_then(|o| o.input).unwrap();
        let mut body = json!({"Catalog": "AWS", "ClientToken": "t",
            "Customer": {"Account": {"CompanyName": "Acme", "Address": {"CountryCode": "US"}},
                         "Contacts": [{"Email": "a@b.example.com"}]},
            "Project": {"Title": "T", "ExpectedCustomerSpend": [{"Amount": "1", "CurrencyCode": "USD",
                        "Frequency": "Monthly", "TargetCompany": "AWS"}]},
            "LifeCycle": {"Stage": "Prospect"}});
        prop_assert!(validate(model, shape, &body).is_ok());
        let targets = ["/Catalog", "/ClientToken", "/Customer", "/Customer/Account", "/Customer/Account/CompanyName",
                       "/Customer/Account/Address/CountryCode", "/Customer/Contacts", "/Customer/Contacts/0/Email",
                       "/Project/ExpectedCustomerSpend/0/Amount", "/Project/ExpectedCustomerSpend", "/LifeCycle/Stage",
                       "/Project/Title"];
        if let Some(slot) = body.pointer_mut(targets[path]) {
            *slot = replacement;
        }
        let _ = validate(model, shape, &body);
    }
}
