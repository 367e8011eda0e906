//! THE business rule table: one row per rule, in the order of AWS's data model (create,
//! update, submission, association). To change what AWS checks, change a row. The ids are
//! those of `business-rules.md` in the project's research; README's "Business rules" list is
//! tested against this table.
//!
//! Row: `id`, `field` (the request member, PascalCase), `steps`, `code`, `rule` (in words),
//! `message` (AWS's exact text where it is known), `source`, `check`.

use chrono::{Datelike, NaiveDate};

use super::values::{
    NO_POSTAL_CODE, NO_SUPPORT_NEEDED, US_STATES, is_customer_use_case, matches_postal_format,
    postal_format,
};
use super::{Facts, Rule, Source, Step, Verdict};
use crate::model::validate::Code;

const CREATE_UPDATE: &[Step] = &[Step::Create, Step::Update];
const UPDATE: &[Step] = &[Step::Update];
const CREATE: &[Step] = &[Step::Create];
const SUBMIT: &[Step] = &[Step::Submit];
const ASSOCIATE: &[Step] = &[Step::Associate];

use Code::{
    ActionNotPermitted as NOT_PERMITTED, InvalidEnumValue as ENUM, InvalidResourceState as STATE,
    InvalidStringFormat as FORMAT, InvalidValue as VALUE, RequiredFieldMissing as REQUIRED,
};
use Source::{Captured, Documented, Inferred, Legacy};

fn fail_if(violated: bool) -> Verdict {
    if violated {
        Verdict::Fail
    } else {
        Verdict::Pass
    }
}

fn date(f: &Facts, path: &str) -> Option<NaiveDate> {
    f.text(path)
        .and_then(|s| NaiveDate::parse_from_str(s.get(..10).unwrap_or(s), "%Y-%m-%d").ok())
}

fn stage<'a>(f: &Facts<'a>) -> Option<&'a str> {
    f.text("LifeCycle.Stage")
}

fn co_sell(f: &Facts) -> bool {
    f.subject.involvement == Some("Co-Sell")
}

fn needs<'a>(f: &Facts<'a>) -> Vec<&'a str> {
    f.strings("PrimaryNeedsFromAws")
}

fn wants_no_support(f: &Facts) -> bool {
    needs(f).contains(&NO_SUPPORT_NEEDED)
}

fn wants_co_sell(f: &Facts) -> bool {
    needs(f).iter().any(|n| n.starts_with("Co-Sell"))
}

fn has_real_solution(f: &Facts) -> bool {
    let listed = |k: &str| f.subject.related.get(k).is_some_and(|v| !v.is_empty());
    listed("Solutions") || listed("AwsMarketplaceOffers")
}

fn marketing_activity(f: &Facts) -> bool {
    f.is("Marketing.Source", "Marketing Activity")
}

fn marketing_none(f: &Facts) -> bool {
    f.is("Marketing.Source", "None")
}

fn us(f: &Facts) -> bool {
    f.is("Customer.Account.Address.CountryCode", "US")
}

fn launched(f: &Facts) -> bool {
    stage(f) == Some("Launched")
}

fn pending_submission(f: &Facts) -> bool {
    f.subject
        .previous
        .and_then(|p| p.get("LifeCycle"))
        .and_then(|lc| lc.get("ReviewStatus"))
        .and_then(|s| s.as_str())
        .is_none_or(|s| s == "Pending Submission")
}

/// No postal code needed: a country without them, or national security in the US; or one
/// was given.
fn postal_code_exempt(f: &Facts, country: &str) -> bool {
    NO_POSTAL_CODE.contains(&country)
        || (f.national_security() && country == "US")
        || f.has("Customer.Account.Address.PostalCode")
}

fn spend_missing(f: &Facts, member: &str) -> bool {
    f.spend()
        .iter()
        .any(|e| e.get(member).is_none_or(|v| !super::present(v)))
}

/// Every rule, in the order of AWS's data model.
pub static RULES: &[Rule] = &[
    // ------------------------------------------------------------ create and update
    Rule {
        id: "C2",
        field: "Customer.Account.CompanyName",
        steps: CREATE_UPDATE,
        code: REQUIRED,
        rule: "required",
        message: "Field Customer.Account.CompanyName is required.",
        source: Documented,
        check: |f| fail_if(!f.has("Customer.Account.CompanyName")),
    },
    Rule {
        id: "C2",
        field: "Customer.Account.Industry",
        steps: CREATE_UPDATE,
        code: REQUIRED,
        rule: "required",
        message: "Field Customer.Account.Industry is required.",
        source: Documented,
        check: |f| fail_if(!f.has("Customer.Account.Industry")),
    },
    Rule {
        id: "C2",
        field: "Customer.Account.WebsiteUrl",
        steps: CREATE_UPDATE,
        code: REQUIRED,
        rule: "required unless NationalSecurity is Yes",
        message: "Field Customer.Account.WebsiteUrl is required.",
        source: Captured,
        check: |f| fail_if(!f.national_security() && !f.has("Customer.Account.WebsiteUrl")),
    },
    Rule {
        id: "C2",
        field: "Customer.Account.Address.CountryCode",
        steps: CREATE_UPDATE,
        code: REQUIRED,
        rule: "required",
        message: "Field Customer.Account.Address.CountryCode is required.",
        source: Documented,
        check: |f| fail_if(!f.has("Customer.Account.Address.CountryCode")),
    },
    Rule {
        id: "C2",
        field: "LifeCycle.TargetCloseDate",
        steps: CREATE_UPDATE,
        code: REQUIRED,
        rule: "required",
        message: "Field LifeCycle.TargetCloseDate is required.",
        source: Documented,
        check: |f| fail_if(!f.has("LifeCycle.TargetCloseDate")),
    },
    Rule {
        id: "C2",
        field: "Project.Title",
        steps: CREATE_UPDATE,
        code: REQUIRED,
        rule: "required",
        message: "Field Project.Title is required.",
        source: Documented,
        check: |f| fail_if(!f.has("Project.Title")),
    },
    Rule {
        id: "C2",
        field: "Project.CustomerBusinessProblem",
        steps: CREATE_UPDATE,
        code: REQUIRED,
        rule: "required",
        message: "Field Project.CustomerBusinessProblem is required.",
        source: Documented,
        check: |f| fail_if(!f.has("Project.CustomerBusinessProblem")),
    },
    Rule {
        id: "C2",
        field: "Project.ExpectedCustomerSpend.Amount",
        steps: CREATE_UPDATE,
        code: REQUIRED,
        rule: "at least one spend entry; each with an Amount unless it has an EstimationUrl",
        message: "Field Project.ExpectedCustomerSpend.Amount is required.",
        source: Documented,
        check: |f| {
            fail_if(
                f.spend().is_empty()
                    || f.spend().iter().any(|e| {
                        e.get("Amount").is_none_or(|v| !super::present(v))
                            && e.get("EstimationUrl").is_none_or(|v| !super::present(v))
                    }),
            )
        },
    },
    Rule {
        id: "C2",
        field: "Project.ExpectedCustomerSpend.CurrencyCode",
        steps: CREATE_UPDATE,
        code: REQUIRED,
        rule: "required in every spend entry",
        message: "Field Project.ExpectedCustomerSpend.CurrencyCode is required.",
        source: Documented,
        check: |f| fail_if(spend_missing(f, "CurrencyCode")),
    },
    Rule {
        id: "C2",
        field: "Project.ExpectedCustomerSpend.Frequency",
        steps: CREATE_UPDATE,
        code: REQUIRED,
        rule: "required in every spend entry",
        message: "Field Project.ExpectedCustomerSpend.Frequency is required.",
        source: Documented,
        check: |f| fail_if(spend_missing(f, "Frequency")),
    },
    Rule {
        id: "C2",
        field: "Project.ExpectedCustomerSpend.TargetCompany",
        steps: CREATE_UPDATE,
        code: REQUIRED,
        rule: "required in every spend entry",
        message: "Project.ExpectedCustomerSpend.TargetCompany is required.",
        source: Documented,
        check: |f| fail_if(spend_missing(f, "TargetCompany")),
    },
    Rule {
        id: "C3",
        field: "Customer.Account.Address.PostalCode",
        steps: CREATE_UPDATE,
        code: REQUIRED,
        rule: "required, except in the 59 countries without postal codes and for NationalSecurity Yes in the US",
        message: "Field Customer.Account.Address.PostalCode is required for country",
        source: Documented,
        check: |f| match f.text("Customer.Account.Address.CountryCode") {
            Some(country) if !postal_code_exempt(f, country) => Verdict::FailWith(format!(
                "Field Customer.Account.Address.PostalCode is required for country {country}."
            )),
            _ => Verdict::Pass,
        },
    },
    Rule {
        id: "C4",
        field: "Customer.Account.Address.StateOrRegion",
        steps: CREATE_UPDATE,
        code: REQUIRED,
        rule: "required when CountryCode is US (unless NationalSecurity is Yes)",
        message: "Field Customer.Account.Address.StateOrRegion is required when Customer.Account.Address.CountryCode is 'US'",
        source: Captured,
        check: |f| {
            fail_if(
                us(f) && !f.national_security() && !f.has("Customer.Account.Address.StateOrRegion"),
            )
        },
    },
    Rule {
        id: "C4",
        field: "Customer.Account.Address.StateOrRegion",
        steps: CREATE_UPDATE,
        code: ENUM,
        rule: "in the US, one of AWS's US states and territories",
        message: "Field Customer.Account.Address.StateOrRegion must be one of the allowed US states or territories.",
        source: Captured,
        check: |f| match f.text("Customer.Account.Address.StateOrRegion") {
            Some(state) if us(f) => fail_if(!US_STATES.contains(&state)),
            _ => Verdict::Pass,
        },
    },
    Rule {
        id: "C5",
        field: "Customer.Account.OtherIndustry",
        steps: CREATE_UPDATE,
        code: REQUIRED,
        rule: "required when Industry is Other",
        message: "Field Customer.Account.OtherIndustry is required when Customer.Account.Industry is 'Other'.",
        source: Documented,
        check: |f| {
            fail_if(
                f.is("Customer.Account.Industry", "Other")
                    && !f.has("Customer.Account.OtherIndustry"),
            )
        },
    },
    Rule {
        id: "C6",
        field: "Customer.Account.Industry",
        steps: CREATE_UPDATE,
        code: VALUE,
        rule: "Government when NationalSecurity is Yes",
        message: "When National Security is 'Yes' - Industry MUST be Government",
        source: Documented,
        check: |f| {
            fail_if(
                f.national_security()
                    && f.has("Customer.Account.Industry")
                    && !f.is("Customer.Account.Industry", "Government"),
            )
        },
    },
    Rule {
        id: "C6",
        field: "PrimaryNeedsFromAws",
        steps: CREATE_UPDATE,
        code: VALUE,
        rule: "not 'Do Not Need Support from AWS Sales Rep' when NationalSecurity is Yes",
        message: "When National Security is 'Yes' - PrimaryNeedsFromAws MUST NOT Be Donot Need Support from Aws AND Visibility MUST be Full",
        source: Documented,
        check: |f| fail_if(f.national_security() && wants_no_support(f)),
    },
    Rule {
        id: "C7",
        field: "LifeCycle.TargetCloseDate",
        steps: CREATE_UPDATE,
        code: VALUE,
        rule: "after today (the emulator's clock) when set or changed",
        message: "Invalid Data: Target Close Date should be a future date",
        source: Captured,
        check: |f| match date(f, "LifeCycle.TargetCloseDate") {
            Some(d) if f.changed("LifeCycle.TargetCloseDate") => fail_if(d <= f.today),
            _ => Verdict::Pass,
        },
    },
    Rule {
        id: "C7",
        field: "LifeCycle.TargetCloseDate",
        steps: CREATE_UPDATE,
        code: VALUE,
        rule: "at most 60 years ahead",
        message: "Invalid date selection. Please select a date within an acceptable range.\u{201c}",
        source: Documented,
        check: |f| match date(f, "LifeCycle.TargetCloseDate") {
            Some(d) => {
                let limit = f
                    .today
                    .with_year(f.today.year() + 60)
                    .unwrap_or(NaiveDate::MAX);
                fail_if(d > limit)
            }
            None => Verdict::Pass,
        },
    },
    Rule {
        id: "C8",
        field: "Project.CustomerBusinessProblem",
        steps: CREATE_UPDATE,
        code: VALUE,
        rule: "at least 20 characters",
        message: "Field Project.CustomerBusinessProblem does not meet minimum length requirement of 20 characters.",
        source: Captured,
        check: |f| match f.text("Project.CustomerBusinessProblem") {
            Some(p) => fail_if(p.chars().count() < 20),
            None => Verdict::Pass,
        },
    },
    Rule {
        id: "C9",
        field: "Project.ExpectedCustomerSpend.Amount",
        steps: CREATE_UPDATE,
        code: VALUE,
        rule: "greater than 0 and at most 10^15",
        message: "Please provide a value in (?:(?:[1-9](\\\\.\\\\d+)?|\\d{2,15}(\\\\.\\\\d+)?|1000000000000000(\\\\.\\\\d+)?)|0\\\\.(?!0+$)\\\\d+) format for project.expectedCustomerSpend.amount",
        source: Documented,
        check: |f| {
            fail_if(f.spend().iter().any(|e| {
                e.get("Amount")
                    .and_then(|v| v.as_str())
                    .filter(|s| !s.is_empty())
                    .is_some_and(|s| {
                        s.parse::<f64>()
                            .map_or(true, |n| n <= 0.0 || n > 1_000_000_000_000_000.0)
                    })
            }))
        },
    },
    Rule {
        id: "C10",
        field: "Project.ExpectedCustomerSpend.CurrencyCode",
        steps: CREATE_UPDATE,
        code: VALUE,
        rule: "USD or EUR",
        message: "Field Project.ExpectedCustomerSpend.CurrencyCode must be one of the following values: USD; EUR.",
        source: Documented,
        check: |f| {
            fail_if(f.spend().iter().any(|e| {
                e.get("CurrencyCode")
                    .and_then(|v| v.as_str())
                    .is_some_and(|c| c != "USD" && c != "EUR")
            }))
        },
    },
    Rule {
        id: "C10",
        field: "Project.ExpectedCustomerSpend.CurrencyCode",
        steps: CREATE_UPDATE,
        code: VALUE,
        rule: "EUR when Project.AwsPartition is aws-eusc",
        message: "ESC cloud partition requires EUR currency",
        source: Captured,
        check: |f| {
            fail_if(
                f.is("Project.AwsPartition", "aws-eusc")
                    && f.spend().iter().any(|e| {
                        e.get("CurrencyCode")
                            .and_then(|v| v.as_str())
                            .is_some_and(|c| c != "EUR")
                    }),
            )
        },
    },
    Rule {
        id: "C12",
        field: "Marketing.AwsFundingUsed",
        steps: CREATE_UPDATE,
        code: REQUIRED,
        rule: "required when Source is Marketing Activity",
        message: "marketing.awsFundingUsed is required when marketing.source is Yes",
        source: Documented,
        check: |f| fail_if(marketing_activity(f) && !f.has("Marketing.AwsFundingUsed")),
    },
    Rule {
        id: "C12",
        field: "Marketing.Channels",
        steps: CREATE_UPDATE,
        code: REQUIRED,
        rule: "required when Source is Marketing Activity",
        message: "Field Marketing.Channels is required when Marketing.Source is 'Marketing Activity'.",
        source: Documented,
        check: |f| fail_if(marketing_activity(f) && !f.has("Marketing.Channels")),
    },
    Rule {
        id: "C12",
        field: "Marketing.CampaignName",
        steps: CREATE_UPDATE,
        code: VALUE,
        rule: "empty when Source is None",
        message: "Field Marketing.CampaignName must be null when Marketing.Source is 'None'.",
        source: Documented,
        check: |f| fail_if(marketing_none(f) && f.has("Marketing.CampaignName")),
    },
    Rule {
        id: "C12",
        field: "Marketing.Channels",
        steps: CREATE_UPDATE,
        code: VALUE,
        rule: "empty when Source is None",
        message: "Field Marketing.Channels must be null when Marketing.Source is 'None'.",
        source: Documented,
        check: |f| fail_if(marketing_none(f) && f.has("Marketing.Channels")),
    },
    Rule {
        id: "C12",
        field: "Marketing.AwsFundingUsed",
        steps: CREATE_UPDATE,
        code: VALUE,
        rule: "AwsFundingUsed and UseCases empty when Source is None",
        message: "marketing.useCases , marketing.campaignName , marketing.awsFundingUsed cannot have values if marketing.source is set to No",
        source: Documented,
        check: |f| {
            fail_if(
                marketing_none(f)
                    && (f.has("Marketing.AwsFundingUsed") || f.has("Marketing.UseCases")),
            )
        },
    },
    Rule {
        id: "C12",
        field: "Marketing.UseCases",
        steps: CREATE_UPDATE,
        code: VALUE,
        rule: "empty when AwsFundingUsed is No",
        message: "Field Marketing.UseCases must be empty when Marketing.AwsFundingUsed is 'No'.",
        source: Documented,
        check: |f| fail_if(f.is("Marketing.AwsFundingUsed", "No") && f.has("Marketing.UseCases")),
    },
    Rule {
        id: "C13",
        field: "Project.OtherCompetitorNames",
        steps: CREATE_UPDATE,
        code: REQUIRED,
        rule: "required when CompetitorName is *Other",
        message: "Field Project.OtherCompetitorNames is required when Project.CompetitorNames contains 'Other'.",
        source: Documented,
        check: |f| {
            fail_if(
                f.is("Project.CompetitorName", "*Other") && !f.has("Project.OtherCompetitorNames"),
            )
        },
    },
    Rule {
        id: "C13",
        field: "Project.OtherCompetitorNames",
        steps: CREATE_UPDATE,
        code: VALUE,
        rule: "only allowed when CompetitorName is *Other",
        message: "Field Project.OtherCompetitorNames is only allowed when Project.CompetitorName is '*Other'.",
        source: Documented,
        check: |f| {
            fail_if(
                !f.is("Project.CompetitorName", "*Other") && f.has("Project.OtherCompetitorNames"),
            )
        },
    },
    Rule {
        id: "C14",
        field: "Project.RelatedOpportunityIdentifier",
        steps: CREATE_UPDATE,
        code: VALUE,
        rule: "an existing opportunity of the same partner",
        message: "Resource with Identifier {id} does not exist or is not accessible",
        source: Documented,
        check: |f| match (
            f.related_opportunity_exists,
            f.text("Project.RelatedOpportunityIdentifier"),
        ) {
            (Some(false), Some(id)) => Verdict::FailWith(format!(
                "Resource with Identifier {id} does not exist or is not accessible"
            )),
            _ => Verdict::Pass,
        },
    },
    Rule {
        id: "C16",
        field: "LifeCycle.ClosedLostReason",
        steps: CREATE_UPDATE,
        code: VALUE,
        rule: "only with Stage Closed Lost",
        message: "Closed Lost Reason is not acceptable until Opportunity has been 'Closed Lost'.",
        source: Legacy,
        check: |f| fail_if(f.has("LifeCycle.ClosedLostReason") && stage(f) != Some("Closed Lost")),
    },
    Rule {
        id: "C16",
        field: "LifeCycle.Stage",
        steps: CREATE,
        code: VALUE,
        rule: "an opportunity cannot be created Closed Lost",
        message: "An opportunity cannot be created in stage 'Closed Lost'.",
        source: Legacy,
        check: |f| fail_if(stage(f) == Some("Closed Lost")),
    },
    Rule {
        id: "C18",
        field: "Project.CustomerUseCase",
        steps: CREATE_UPDATE,
        code: ENUM,
        rule: "one of AWS's 39 customer use cases",
        message: "Field Project.CustomerUseCase must be one of the allowed customer use cases.",
        source: Captured,
        check: |f| match f.text("Project.CustomerUseCase") {
            Some(u) => fail_if(!is_customer_use_case(u)),
            None => Verdict::Pass,
        },
    },
    Rule {
        id: "C19",
        field: "PrimaryNeedsFromAws",
        steps: CREATE_UPDATE,
        code: VALUE,
        rule: "Co-Sell needs and 'Do Not Need Support from AWS Sales Rep' not together",
        message: "\"Do not need support from AWS Sales Rep\" and \"Co-Sell\" options cannot be selected at the same time for primary need from AWS",
        source: Documented,
        check: |f| fail_if(wants_no_support(f) && wants_co_sell(f)),
    },
    Rule {
        id: "C21",
        field: "SoftwareRevenue.ExpirationDate",
        steps: CREATE_UPDATE,
        code: VALUE,
        rule: "not before EffectiveDate",
        message: "Contract end date cannot be earlier than contract start date.",
        source: Legacy,
        check: |f| match (
            date(f, "SoftwareRevenue.EffectiveDate"),
            date(f, "SoftwareRevenue.ExpirationDate"),
        ) {
            (Some(from), Some(to)) => fail_if(to < from),
            _ => Verdict::Pass,
        },
    },
    // ------------------------------------------------------------ update
    Rule {
        id: "U4",
        field: "LifeCycle.Stage",
        steps: UPDATE,
        code: REQUIRED,
        rule: "required on update",
        message: "Stage must be one of the following values: Prospect; Qualified; Technical Validation; Business Validation; Committed; Launched; Closed Lost",
        source: Documented,
        check: |f| fail_if(!f.has("LifeCycle.Stage")),
    },
    Rule {
        id: "U5",
        field: "LifeCycle.Stage",
        steps: UPDATE,
        code: NOT_PERMITTED,
        rule: "cannot change while the review status is Pending Submission",
        message: "LifeCycle.Stage cannot change before the opportunity is submitted (review status 'Pending Submission').",
        source: Captured,
        check: |f| {
            fail_if(
                pending_submission(f) && f.has("LifeCycle.Stage") && f.changed("LifeCycle.Stage"),
            )
        },
    },
    Rule {
        id: "U6",
        field: "LifeCycle.ClosedLostReason",
        steps: UPDATE,
        code: REQUIRED,
        rule: "required when Stage is Closed Lost",
        message: "Field LifeCycle.ClosedLostReason is required when LifeCycle.Stage is 'Closed Lost'.",
        source: Documented,
        check: |f| fail_if(stage(f) == Some("Closed Lost") && !f.has("LifeCycle.ClosedLostReason")),
    },
    Rule {
        id: "U7",
        field: "RelatedEntityIdentifiers.Solutions",
        steps: CREATE_UPDATE,
        code: VALUE,
        rule: "Committed or Launched need an associated solution or Marketplace offer",
        message: "Solution offered cannot be 'Other' when Opportunity stage is Committed or Launched",
        source: Documented,
        check: |f| {
            fail_if(matches!(stage(f), Some("Committed" | "Launched")) && !has_real_solution(f))
        },
    },
    Rule {
        id: "U8",
        field: "Customer.Account.AwsAccountId",
        steps: UPDATE,
        code: REQUIRED,
        rule: "Launched: consulting partners give the customer's AWS account",
        message: "Field Customer.Account.AwsAccountId is required when stage is 'Launched'.",
        source: Documented,
        check: |f| {
            fail_if(
                launched(f)
                    && f.profile.partner_type == "Consulting"
                    && !f.has("Customer.Account.AwsAccountId"),
            )
        },
    },
    Rule {
        id: "U8",
        field: "SoftwareRevenue.DeliveryModel",
        steps: UPDATE,
        code: REQUIRED,
        rule: "Launched, special programs (SRRP, ISV Accelerate): required",
        message: "Field SoftwareRevenue.DeliveryModel is required for special program opportunities when stage is 'Launched'.",
        source: Documented,
        check: |f| {
            fail_if(
                launched(f)
                    && f.profile.special_program()
                    && !f.has("SoftwareRevenue.DeliveryModel"),
            )
        },
    },
    Rule {
        id: "U8",
        field: "SoftwareRevenue.Value.Amount",
        steps: UPDATE,
        code: REQUIRED,
        rule: "Launched, special programs: required",
        message: "Field SoftwareRevenue.Value.Amount is required for special program opportunities when stage is 'Launched'.",
        source: Documented,
        check: |f| {
            fail_if(
                launched(f)
                    && f.profile.special_program()
                    && !f.has("SoftwareRevenue.Value.Amount"),
            )
        },
    },
    Rule {
        id: "U8",
        field: "SoftwareRevenue.Value.CurrencyCode",
        steps: UPDATE,
        code: REQUIRED,
        rule: "Launched, special programs: required",
        message: "Field SoftwareRevenue.Value.CurrencyCode is required for special program opportunities when stage is 'Launched'.",
        source: Documented,
        check: |f| {
            fail_if(
                launched(f)
                    && f.profile.special_program()
                    && !f.has("SoftwareRevenue.Value.CurrencyCode"),
            )
        },
    },
    Rule {
        id: "U8",
        field: "SoftwareRevenue.EffectiveDate",
        steps: UPDATE,
        code: REQUIRED,
        rule: "Launched, special programs: required",
        message: "Field SoftwareRevenue.EffectiveDate is required for special program opportunities when stage is 'Launched'.",
        source: Documented,
        check: |f| {
            fail_if(
                launched(f)
                    && f.profile.special_program()
                    && !f.has("SoftwareRevenue.EffectiveDate"),
            )
        },
    },
    Rule {
        id: "U8",
        field: "SoftwareRevenue.ExpirationDate",
        steps: UPDATE,
        code: REQUIRED,
        rule: "Launched, special programs: required",
        message: "Field SoftwareRevenue.ExpirationDate is required for special program opportunities when stage is 'Launched'.",
        source: Documented,
        check: |f| {
            fail_if(
                launched(f)
                    && f.profile.special_program()
                    && !f.has("SoftwareRevenue.ExpirationDate"),
            )
        },
    },
    Rule {
        id: "U11",
        field: "PrimaryNeedsFromAws",
        steps: UPDATE,
        code: NOT_PERMITTED,
        rule: "after submission, co-sell needs cannot go back to 'Do Not Need Support from AWS Sales Rep'",
        message: "PrimaryNeedsFromAws can only change from 'Do Not Need Support from AWS Sales Rep' to Co-Sell after submission.",
        source: Documented,
        check: |f| {
            let was_co_sell = f
                .subject
                .previous
                .and_then(|p| p.get("PrimaryNeedsFromAws"))
                .and_then(|v| v.as_array())
                .is_some_and(|l| {
                    l.iter()
                        .filter_map(|v| v.as_str())
                        .any(|n| n.starts_with("Co-Sell"))
                });
            fail_if(!pending_submission(f) && was_co_sell && wants_no_support(f))
        },
    },
    // ------------------------------------------------------------ submission
    Rule {
        id: "S2",
        field: "RelatedEntityIdentifiers.Solutions",
        steps: SUBMIT,
        code: REQUIRED,
        rule: "an associated solution, or Project.OtherSolutionDescription",
        message: "Field RelatedEntityIdentifiers.Solutions is required for opportunity submission.",
        source: Captured,
        check: |f| {
            fail_if(
                f.subject
                    .related
                    .get("Solutions")
                    .is_none_or(|s| s.is_empty())
                    && !f.has("Project.OtherSolutionDescription"),
            )
        },
    },
    Rule {
        id: "S3",
        field: "Project.CustomerUseCase",
        steps: SUBMIT,
        code: REQUIRED,
        rule: "required for submission",
        message: "Field Project.CustomerUseCase is required for opportunity submission.",
        source: Documented,
        check: |f| fail_if(!f.has("Project.CustomerUseCase")),
    },
    Rule {
        id: "S3",
        field: "Project.DeliveryModels",
        steps: SUBMIT,
        code: REQUIRED,
        rule: "required for submission",
        message: "Field Project.DeliveryModels is required for opportunity submission.",
        source: Documented,
        check: |f| fail_if(!f.has("Project.DeliveryModels")),
    },
    Rule {
        id: "S3",
        field: "PrimaryNeedsFromAws",
        steps: SUBMIT,
        code: REQUIRED,
        rule: "required for a Co-Sell submission",
        message: "primaryNeedsFromAws is required",
        source: Captured,
        check: |f| fail_if(co_sell(f) && !f.has("PrimaryNeedsFromAws")),
    },
    Rule {
        id: "S3",
        field: "Project.SalesActivities",
        steps: SUBMIT,
        code: REQUIRED,
        rule: "required for a Co-Sell submission",
        message: "project.salesActivities is required",
        source: Captured,
        check: |f| fail_if(co_sell(f) && !f.has("Project.SalesActivities")),
    },
    Rule {
        id: "S4",
        field: "LifeCycle.NextSteps",
        steps: SUBMIT,
        code: REQUIRED,
        rule: "required for a Co-Sell submission",
        message: "Field LifeCycle.NextSteps is required for Co-Sell opportunities.",
        source: Documented,
        check: |f| fail_if(co_sell(f) && !f.has("LifeCycle.NextSteps")),
    },
    Rule {
        id: "S5",
        field: "PrimaryNeedsFromAws",
        steps: SUBMIT,
        code: NOT_PERMITTED,
        rule: "Co-Sell cannot be submitted with 'Do Not Need Support from AWS Sales Rep'",
        message: "You cannot perform Submit action. Cannot submit opportunity with InvolvementType Co-Sell when PrimaryNeedsFromAws Is Do Not Need Support from AWS Sales Rep",
        source: Documented,
        check: |f| fail_if(co_sell(f) && wants_no_support(f)),
    },
    Rule {
        id: "S5",
        field: "PrimaryNeedsFromAws",
        steps: SUBMIT,
        code: NOT_PERMITTED,
        rule: "For Visibility Only cannot be submitted with Co-Sell needs",
        message: "Cannot perform Submit action. Cannot submit opportunity with InvolvementType For Visibility Only when PrimaryNeedsFromAws Is Co-Sell",
        source: Documented,
        check: |f| {
            fail_if(f.subject.involvement == Some("For Visibility Only") && wants_co_sell(f))
        },
    },
    Rule {
        id: "S6",
        field: "PrimaryNeedsFromAws",
        steps: SUBMIT,
        code: VALUE,
        rule: "Limited visibility only For Visibility Only",
        message: "Cannot set visibility to limited on a Co-Sell opportunity",
        source: Captured,
        check: |f| fail_if(co_sell(f) && f.subject.visibility == Some("Limited")),
    },
    Rule {
        id: "S6",
        field: "Visibility",
        steps: SUBMIT,
        code: NOT_PERMITTED,
        rule: "Limited visibility needs a For Visibility Only submission by an eligible partner",
        message: "You cannot perform Submit action. Opportunity cannot be submitted or updated to Limited Visibility",
        source: Captured,
        check: |f| {
            fail_if(
                f.subject.visibility == Some("Limited")
                    && (co_sell(f) || !f.profile.limited_visibility_eligible),
            )
        },
    },
    Rule {
        id: "C6",
        field: "Visibility",
        steps: SUBMIT,
        code: VALUE,
        rule: "Full when NationalSecurity is Yes",
        message: "When National Security is 'Yes' - PrimaryNeedsFromAws MUST NOT Be Donot Need Support from Aws AND Visibility MUST be Full",
        source: Documented,
        check: |f| fail_if(f.national_security() && f.subject.visibility == Some("Limited")),
    },
    Rule {
        id: "S7",
        field: "Customer.Account.Address.PostalCode",
        steps: SUBMIT,
        code: FORMAT,
        rule: "in the country's format (AWS's postal code table)",
        message: "The postal code is invalid for country {Country}, {Country} postal code must be in {FORMAT} format.",
        source: Documented,
        check: |f| {
            let country = f.text("Customer.Account.Address.CountryCode");
            let code = f.text("Customer.Account.Address.PostalCode");
            match (country.and_then(postal_format), code) {
                (Some((name, format)), Some(code)) if !matches_postal_format(format, code) => {
                    Verdict::FailWith(format!(
                        "The postal code is invalid for country {name}, {name} postal code must be in {format} format."
                    ))
                }
                _ => Verdict::Pass,
            }
        },
    },
    Rule {
        id: "S8",
        field: "LifeCycle.Stage",
        steps: SUBMIT,
        code: STATE,
        rule: "a Closed Lost opportunity cannot be submitted",
        message: "A 'Closed Lost' opportunity cannot be submitted.",
        source: Inferred,
        check: |f| fail_if(stage(f) == Some("Closed Lost")),
    },
    Rule {
        id: "S9",
        field: "LifeCycle.TargetCloseDate",
        steps: SUBMIT,
        code: VALUE,
        rule: "still after today at submission",
        message: "Invalid Data: Target Close Date should be a future date",
        source: Captured,
        check: |f| match date(f, "LifeCycle.TargetCloseDate") {
            Some(d) => fail_if(d <= f.today),
            None => Verdict::Pass,
        },
    },
    // ------------------------------------------------------------ association
    Rule {
        id: "R2",
        field: "RelatedEntityIdentifiers.AWSMarketplaceOffers",
        steps: ASSOCIATE,
        code: STATE,
        rule: "no Marketplace offer (dis)association when Closed Lost",
        message: "Cannot associate/disassociate offers when opportunity is in 'Closed Lost'.",
        source: Documented,
        check: |f| {
            fail_if(
                stage(f) == Some("Closed Lost")
                    && f.subject.entity_type == Some("AwsMarketplaceOffers"),
            )
        },
    },
];
