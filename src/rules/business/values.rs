//! Value lists AWS checks on its side that the service model does not carry as enums, and
//! the postal-code formats per country (AWS's `PostalCodeValidations.csv`, keyed by ISO code
//! here because the API takes codes while AWS's message names the country).

/// The value AWS accepts and returns in `PrimaryNeedsFromAws` besides the model's `Co-Sell`
/// values (and sets after a For Visibility Only submission).
pub const NO_SUPPORT_NEEDED: &str = "Do Not Need Support from AWS Sales Rep";

/// `Customer.Account.Address.StateOrRegion` values for `US`.
pub const US_STATES: &[&str] = &[
    "AFO/FPO",
    "Alabama",
    "Alaska",
    "American Samoa",
    "APO/AE",
    "Arizona",
    "Arkansas",
    "California",
    "Colorado",
    "Connecticut",
    "Delaware",
    "Dist. of Columbia",
    "Federated States of Micronesia",
    "Florida",
    "FPO, AP",
    "Georgia",
    "Guam",
    "Hawaii",
    "Idaho",
    "Illinois",
    "Indiana",
    "Iowa",
    "Kansas",
    "Kentucky",
    "Louisiana",
    "Maine",
    "Marshall Islands",
    "Maryland",
    "Massachusetts",
    "Michigan",
    "Minnesota",
    "Mississippi",
    "Missouri",
    "Montana",
    "Nebraska",
    "Nevada",
    "New Hampshire",
    "New Jersey",
    "New Mexico",
    "New York",
    "North Carolina",
    "North Dakota",
    "Northern Mariana Islands",
    "Ohio",
    "Oklahoma",
    "Oregon",
    "Palau",
    "Pennsylvania",
    "Puerto Rico",
    "Rhode Island",
    "South Carolina",
    "South Dakota",
    "Tennessee",
    "Texas",
    "Utah",
    "Vermont",
    "Virginia",
    "Virgin Islands",
    "Washington",
    "West Virginia",
    "Wisconsin",
    "Wyoming",
];

/// `Project.CustomerUseCase` values (AWS's data model; spaces around `/` optional).
pub const CUSTOMER_USE_CASES: &[&str] = &[
    "AI Machine Learning and Analytics",
    "Archiving",
    "Big Data: Data Warehouse / Data Integration / ETL / Data Lake / BI",
    "Blockchain",
    "Business Applications: Mainframe Modernization",
    "Business Applications & Contact Center",
    "Business Applications & SAP Production",
    "Centralized Operations Management",
    "Cloud Management Tools",
    "Cloud Management Tools & DevOps with Continuous Integration & Continuous Delivery (CICD)",
    "Configuration, Compliance & Auditing",
    "Connected Services",
    "Containers & Serverless",
    "Content Delivery & Edge Services",
    "Database",
    "Edge Computing / End User Computing",
    "Energy",
    "Enterprise Governance & Controls",
    "Enterprise Resource Planning",
    "Financial Services",
    "Healthcare and Life Sciences",
    "High Performance Computing",
    "Hybrid Application Platform",
    "Industrial Software",
    "IOT",
    "Manufacturing, Supply Chain and Operations",
    "Media & High performance computing (HPC)",
    "Migration / Database Migration",
    "Monitoring, logging and performance",
    "Monitoring & Observability",
    "Networking",
    "Outpost",
    "SAP",
    "Security & Compliance",
    "Storage & Backup",
    "Training",
    "VMC",
    "VMWare",
    "Web development & DevOps",
];

/// Whether `value` is a customer use case, with or without spaces around `/`.
pub fn is_customer_use_case(value: &str) -> bool {
    let squeeze = |s: &str| s.replace(" / ", "/");
    let wanted = squeeze(value);
    CUSTOMER_USE_CASES.iter().any(|u| squeeze(u) == wanted)
}

/// Countries without postal codes: `PostalCode` is not required there.
pub const NO_POSTAL_CODE: &[&str] = &[
    "AE", "AG", "AN", "AO", "AW", "BF", "BI", "BJ", "BO", "BQ", "BS", "BW", "BZ", "CF", "CG", "CI",
    "CK", "CM", "CW", "DJ", "DM", "ER", "FJ", "GD", "GH", "GM", "GQ", "GY", "HK", "HM", "KI", "KM",
    "KN", "LY", "ML", "MO", "MR", "MW", "NR", "NU", "QA", "RW", "SB", "SC", "SH", "SL", "SR", "ST",
    "SY", "TF", "TG", "TK", "TL", "TO", "TV", "UG", "VU", "YE", "ZW",
];

/// Postal-code formats checked at submission: (ISO code, English name AWS's message uses,
/// format). In a format `9` and `N` are digits, `A` a letter, anything else itself; `OR`/`or`
/// separates alternatives. Countries not listed are not checked.
pub const POSTAL_FORMATS: &[(&str, &str, &str)] = &[
    ("AF", "Afghanistan", "9999"),
    ("AL", "Albania", "9999"),
    ("AM", "Armenia", "9999"),
    ("AT", "Austria", "9999"),
    ("AU", "Australia", "9999"),
    ("AX", "Aland Islands", "99999"),
    ("BA", "Bosnia and Herzegovina", "99999"),
    ("BD", "Bangladesh", "9999"),
    ("BE", "Belgium", "B-9999 or 9999"),
    ("BG", "Bulgaria", "9999"),
    ("BH", "Bahrain", "999 OR 9999"),
    ("BL", "Saint Barthelemy", "97133"),
    ("BM", "Bermuda", "AA 99 OR AA AA"),
    ("BN", "Brunei Darussalam", "KB9999"),
    ("BR", "Brazil", "99999 OR 99999-999"),
    ("BT", "Bhutan", "99999"),
    ("CA", "Canada", "A9A 9A9 or A9A9A9"),
    ("CC", "Cocos (Keeling) Islands", "9999"),
    ("CH", "Switzerland", "9999"),
    ("CN", "China", "999999"),
    ("CO", "Colombia", "999999"),
    ("CR", "Costa Rica", "9999 or 99999"),
    ("CU", "Cuba", "99999"),
    ("CV", "Cape Verde", "9999"),
    ("CX", "Christmas Island", "9999"),
    ("CY", "Cyprus", "9999"),
    ("CZ", "Czech Republic", "999 99 or 99999"),
    ("DE", "Germany", "99999"),
    ("DK", "Denmark", "9999"),
    ("DO", "Dominican Republic", "99999"),
    ("DZ", "Algeria", "99999"),
    ("EC", "Ecuador", "999999"),
    ("EE", "Estonia", "99999"),
    ("EG", "Egypt", "99999"),
    ("ES", "Spain", "99999"),
    ("ET", "Ethiopia", "9999"),
    ("FI", "Finland", "99999"),
    ("FO", "Faroe Islands", "999"),
    ("FR", "France", "99999"),
    ("GB", "United Kingdom", "A(A)N(A/N)NAA OR A(A)N(A/N) NAA"),
    ("GE", "Georgia", "9999"),
    ("GF", "French Guiana", "973NN"),
    ("GL", "Greenland", "9999"),
    ("GP", "Guadeloupe", "971NN"),
    ("GR", "Greece", "99999 OR 999 99"),
    ("GT", "Guatemala", "99999"),
    ("GU", "Guam", "99999"),
    ("GW", "Guinea-Bissau", "9999"),
    ("HN", "Honduras", "99999"),
    ("HR", "Croatia", "99999"),
    ("HT", "Haiti", "9999"),
    ("HU", "Hungary", "9999"),
    ("ID", "Indonesia", "99999"),
    ("IE", "Ireland", "A99 9A9A or A999A9A"),
    ("IL", "Israel", "99999 OR 9999999"),
    ("IN", "India", "999999 OR 999 999"),
    ("IQ", "Iraq", "99999"),
    ("IS", "Iceland", "999"),
    ("IT", "Italy", "99999"),
    ("JM", "Jamaica", "99"),
    ("JO", "Jordan", "99999"),
    ("JP", "Japan", "9999999 OR 999-9999"),
    ("KE", "Kenya", "99999"),
    ("KG", "Kyrgyzstan", "999999"),
    ("KH", "Cambodia", "99999"),
    ("KR", "South Korea", "99999"),
    ("KW", "Kuwait", "99999"),
    ("KZ", "Kazakhstan", "999999"),
    ("LA", "Laos", "99999"),
    ("LI", "Liechtenstein", "9999"),
    ("LK", "Sri Lanka", "99999"),
    ("LR", "Liberia", "9999"),
    ("LS", "Lesotho", "999"),
    ("LT", "Lithuania", "99999 or LT-99999"),
    ("LU", "Luxembourg", "9999"),
    ("MA", "Morocco", "99999"),
    ("MC", "Monaco", "980NN"),
    ("ME", "Montenegro", "99999"),
    ("MF", "Saint Martin", "97150"),
    ("MG", "Madagascar", "999"),
    ("MH", "Marshall Islands", "99999"),
    ("MK", "North Macedonia", "9999"),
    ("MM", "Myanmar", "99999"),
    ("MN", "Mongolia", "99999"),
    ("MP", "Northern Mariana Islands", "99999"),
    ("MQ", "Martinique", "972NN"),
    ("MT", "Malta", "AAA 9999 or AAA9999"),
    ("MV", "Maldives", "9999 OR 99999"),
    ("MX", "Mexico", "99999"),
    ("MY", "Malaysia", "99999"),
    ("MZ", "Mozambique", "9999"),
    ("NA", "Namibia", "99999"),
    ("NC", "New Caledonia", "988NN"),
    ("NE", "Niger", "9999"),
    ("NF", "Norfolk Island", "9999"),
    ("NG", "Nigeria", "999999"),
    ("NI", "Nicaragua", "99999"),
    ("NL", "Netherlands", "9999 AC or 9999AC"),
    ("NO", "Norway", "9999"),
    ("NP", "Nepal", "99999"),
    ("NZ", "New Zealand", "9999"),
    ("OM", "Oman", "999"),
    ("PA", "Panama", "999999"),
    ("PE", "Peru", "99999"),
    ("PF", "French Polynesia", "987NN"),
    ("PG", "Papua New Guinea", "999"),
    ("PH", "Philippines", "9999"),
    ("PK", "Pakistan", "99999"),
    ("PL", "Poland", "99-999"),
    ("PM", "Saint Pierre and Miquelon", "97500"),
    ("PR", "Puerto Rico", "99999"),
    ("PT", "Portugal", "9999 OR 9999-999"),
    ("PW", "Palau", "99999"),
    ("PY", "Paraguay", "9999"),
    ("RE", "Reunion", "974NN"),
    ("RO", "Romania", "999999"),
    ("RS", "Serbia", "99999"),
    ("SA", "Saudi Arabia", "99999-9999"),
    ("SD", "Sudan", "99999"),
    ("SE", "Sweden", "S-99999 OR SE-99999 OR 99999 OR 999 99"),
    ("SG", "Singapore", "999999"),
    ("SJ", "Svalbard and Jan Mayen", "9999"),
    ("SK", "Slovakia", "999 99 or 99999"),
    ("SM", "San Marino", "4789N"),
    ("SN", "Senegal", "99999"),
    ("SS", "South Sudan", "99999"),
    ("SV", "El Salvador", "1101"),
    ("SZ", "Eswatini", "M999"),
    ("TD", "Chad", "99999"),
    ("TH", "Thailand", "99999"),
    ("TJ", "Tajikistan", "999999"),
    ("TM", "Turkmenistan", "999999"),
    ("TN", "Tunisia", "9999"),
    ("TR", "Turkey", "99999"),
    ("TT", "Trinidad and Tobago", "999999"),
    ("TW", "Taiwan", "99999"),
    ("UA", "Ukraine", "99999"),
    ("US", "United States", "99999 OR 99999-9999"),
    ("UY", "Uruguay", "99999"),
    ("VA", "Vatican City", "120"),
    ("VC", "Saint Vincent and the Grenadines", "VC9999"),
    ("VI", "U.S. Virgin Islands", "99999"),
    ("VN", "Vietnam", "999999"),
    ("WF", "Wallis and Futuna", "986NN"),
    ("YT", "Mayotte", "976NN"),
    ("ZA", "South Africa", "9999"),
    ("ZM", "Zambia", "99999"),
];

/// The country's name and postal-code format, when AWS checks one.
pub fn postal_format(country: &str) -> Option<(&'static str, &'static str)> {
    POSTAL_FORMATS
        .iter()
        .find(|(code, _, _)| *code == country)
        .map(|(_, name, format)| (*name, *format))
}

/// Whether `value` matches one of the alternatives of `format`.
pub fn matches_postal_format(format: &str, value: &str) -> bool {
    if format.starts_with("A(A)N(A/N)") {
        return is_uk_postcode(value);
    }
    // The sheet writes the Netherlands' two letters as `AC`.
    let format = format.replace("AC", "AA");
    format
        .split(" OR ")
        .flat_map(|part| part.split(" or "))
        .any(|alternative| matches_one(alternative.trim(), value))
}

fn matches_one(pattern: &str, value: &str) -> bool {
    pattern.chars().count() == value.chars().count()
        && pattern.chars().zip(value.chars()).all(|(p, v)| match p {
            '9' | 'N' => v.is_ascii_digit(),
            'A' => v.is_ascii_alphabetic(),
            other => other.eq_ignore_ascii_case(&v),
        })
}

/// `A(A)N(A/N) NAA`, the space optional: one or two letters, a digit, an optional letter or
/// digit, then a digit and two letters.
fn is_uk_postcode(value: &str) -> bool {
    let compact: Vec<char> = value.chars().filter(|c| *c != ' ').collect();
    if !(5..=7).contains(&compact.len()) || value.matches(' ').count() > 1 {
        return false;
    }
    let (outward, inward) = compact.split_at(compact.len() - 3);
    let inward_ok = inward[0].is_ascii_digit()
        && inward[1].is_ascii_alphabetic()
        && inward[2].is_ascii_alphabetic();
    let letters = outward
        .iter()
        .take_while(|c| c.is_ascii_alphabetic())
        .count();
    let rest = &outward[letters..];
    let outward_ok = (1..=2).contains(&letters)
        && !rest.is_empty()
        && rest[0].is_ascii_digit()
        && rest.len() <= 2
        && rest.iter().all(|c| c.is_ascii_alphanumeric());
    inward_ok && outward_ok
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postal_formats_accept_their_examples_and_refuse_others() {
        let ok = [
            ("US", "98101"),
            ("US", "98101-1234"),
            ("CA", "K1A 0B1"),
            ("CA", "K1A0B1"),
            ("GB", "DT3 6GB"),
            ("GB", "L2 2DP"),
            ("GB", "SW1A 1AA"),
            ("NL", "1234 AB"),
            ("JP", "100-0001"),
            ("SE", "SE-12345"),
            ("PL", "00-950"),
            ("SM", "47890"),
        ];
        for (country, code) in ok {
            let (_, format) = postal_format(country).unwrap();
            assert!(matches_postal_format(format, code), "{country} {code}");
        }
        let bad = [
            ("US", "9810"),
            ("US", "ABCDE"),
            ("CA", "12345"),
            ("GB", "12345"),
            ("DE", "1234"),
            ("PL", "00950"),
        ];
        for (country, code) in bad {
            let (_, format) = postal_format(country).unwrap();
            assert!(!matches_postal_format(format, code), "{country} {code}");
        }
        assert!(postal_format("AE").is_none() && NO_POSTAL_CODE.contains(&"AE"));
    }

    #[test]
    fn use_cases_accept_either_spacing_around_slashes() {
        assert!(is_customer_use_case("Migration / Database Migration"));
        assert!(is_customer_use_case("Migration/Database Migration"));
        assert!(!is_customer_use_case("Time travel"));
    }
}
