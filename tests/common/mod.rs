//! Shared by the Rust integration tests: the real binary on a free port, and an SDK client.

#![allow(dead_code)]

pub mod signed;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use aws_sdk_partnercentralselling as pc;
use pc::config::{BehaviorVersion, Credentials, Region};
use pc::types::{
    Account, Address, Contact, CountryCode, Customer, DeliveryModel, ExpectedCustomerSpend,
    Industry, LifeCycle, PaymentFrequency, Project, SalesActivity, Stage,
};

/// The `partnercentral-local` binary running on a free loopback port.
pub struct Binary {
    child: Child,
    pub url: String,
    /// The PostgreSQL database made for it (connection URL, name), dropped with it.
    database: Option<(String, String)>,
}

/// With `PCL_TEST_DATABASE_URL=postgres://…` set, an `--in-memory` server runs on a fresh
/// PostgreSQL database instead (created with `psql` through that URL), as the Python suite's.
fn storage_args(args: &[&str]) -> (Vec<String>, Option<(String, String)>) {
    let url = match std::env::var("PCL_TEST_DATABASE_URL") {
        Ok(url) if !url.is_empty() && args.contains(&"--in-memory") => url,
        _ => return (args.iter().map(|a| a.to_string()).collect(), None),
    };
    let name = format!("pcl_{}", &uuid::Uuid::new_v4().simple().to_string()[..16]);
    let created = Command::new("psql")
        .args([url.as_str(), "-q", "-v", "ON_ERROR_STOP=1", "-c"])
        .arg(format!("CREATE DATABASE {name}"))
        .stdout(Stdio::null())
        .status()
        .expect("psql runs");
    assert!(created.success(), "cannot create database {name}");
    // The URL's path names the database: replace it.
    let base = match url.find("://").map(|i| i + 3) {
        Some(start) => match url[start..].find('/') {
            Some(slash) => url[..start + slash].to_string(),
            None => url.clone(),
        },
        None => url.clone(),
    };
    // `--in-memory` stays: bulk jobs' files then go to a temporary directory.
    let mut out: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    out.push("--database-url".into());
    out.push(format!("{base}/{name}"));
    (out, Some((url, name)))
}

impl Binary {
    pub fn start(args: &[&str]) -> Binary {
        let (args, database) = storage_args(args);
        let mut child = Command::new(env!("CARGO_BIN_EXE_partnercentral-local"))
            .args(["serve", "--listen", "127.0.0.1:0"])
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the binary starts");
        let stderr = child.stderr.take().expect("stderr is piped");
        let mut lines = BufReader::new(stderr).lines();
        let url = loop {
            let line = lines
                .next()
                .expect("a ready line before exit")
                .expect("stderr is readable");
            if let Some(rest) = line.split("listening on ").nth(1) {
                break rest.trim().to_string();
            }
        };
        // Keep draining stderr so the server never blocks writing its log.
        std::thread::spawn(move || for _ in lines {});
        Binary {
            child,
            url,
            database,
        }
    }
}

impl Drop for Binary {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if let Some((url, name)) = &self.database {
            let _ = Command::new("psql")
                .args([url.as_str(), "-q", "-c"])
                .arg(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
        }
    }
}

/// An SDK client for `url`, signing with the given key, retries off.
pub fn client(url: &str, access_key: &str, secret: &str) -> pc::Client {
    let conf = pc::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new(access_key, secret, None, None, "test"))
        .retry_config(pc::config::retry::RetryConfig::disabled())
        .endpoint_url(url)
        .build();
    pc::Client::from_conf(conf)
}

/// One control-plane request over a plain socket; returns status and body.
pub fn admin(url: &str, method: &str, path: &str, body: &str) -> (u16, String) {
    use std::io::{Read, Write};
    let addr = url.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(addr).expect("the server accepts connections");
    write!(
        stream,
        "{method} /_admin{path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let status = response
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = response.split("\r\n\r\n").nth(1).unwrap_or("").to_string();
    (status, body)
}

/// An SDK client that retries like the SDK's standard mode, with short backoff.
pub fn retrying_client(url: &str, access_key: &str) -> pc::Client {
    let conf = pc::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new(access_key, "secret", None, None, "test"))
        .retry_config(
            pc::config::retry::RetryConfig::standard()
                .with_max_attempts(3)
                .with_initial_backoff(std::time::Duration::from_millis(10)),
        )
        .endpoint_url(url)
        .build();
    pc::Client::from_conf(conf)
}

// ------------------------------------------------------- an opportunity AWS accepts

/// `prefix` followed by exactly `n` characters of `[0-9a-z]`.
pub fn is_id(value: &str, prefix: &str, n: usize) -> bool {
    value.strip_prefix(prefix).is_some_and(|rest| {
        rest.len() == n
            && rest
                .chars()
                .all(|c| c.is_ascii_digit() || c.is_ascii_lowercase())
    })
}

/// The customer of an opportunity AWS accepts (as tests/sdk_lifecycle.rs).
pub fn customer() -> Customer {
    Customer::builder()
        .account(
            Account::builder()
                .company_name("Acme Corp")
                .industry(Industry::SoftwareInternet)
                .website_url("https://acme.example.com")
                .address(
                    Address::builder()
                        .country_code(CountryCode::Us)
                        .state_or_region("Washington")
                        .postal_code("98101")
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
                .build(),
        )
        .build()
}

pub fn spend() -> ExpectedCustomerSpend {
    ExpectedCustomerSpend::builder()
        .amount("5000")
        .currency_code("USD".into())
        .frequency(PaymentFrequency::Monthly)
        .target_company("AWS")
        .build()
        .unwrap()
}

/// The project of an opportunity AWS accepts, under `title` and `problem`.
pub fn project(title: &str, problem: &str) -> Project {
    Project::builder()
        .title(title)
        .customer_business_problem(problem)
        .customer_use_case("Migration / Database Migration")
        .delivery_models(DeliveryModel::SaasOrPaas)
        .sales_activities(SalesActivity::InitializedDiscussionsWithCustomer)
        .expected_customer_spend(spend())
        .build()
}

pub fn life_cycle() -> LifeCycle {
    LifeCycle::builder()
        .stage(Stage::Prospect)
        .next_steps("Discovery call")
        // AWS refuses a target close date that is not in the future.
        .target_close_date("2030-06-30")
        .build()
}
