//! Issue 20 for CloudSSO, through the real client: `ListUsers` with the `Filter` grammar and
//! token paging as the simulator serves them, the email fallback listing the directory once,
//! client-side matching (case, partial matches, duplicates), and faults on the listing.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod alibaba_cloudsso_common;

use alibaba_cloudsso_common::{HandMade, client, code, manual_client};
use idp_core::{AccountStatus, ErrorKind, Lookup, ManagedBy, UserQuery};
use idp_sim::{AlibabaCloudSsoSim, CloudSsoUser, Fault};

fn email(value: &str) -> UserQuery {
    UserQuery::email(value).unwrap()
}

/// How many unfiltered `ListUsers` (pages of the whole directory) were sent.
fn directory_pages(sim: &AlibabaCloudSsoSim) -> usize {
    sim.requests()
        .iter()
        .filter(|r| r.header("x-acs-action") == Some("ListUsers") && r.param("Filter").is_none())
        .count()
}

#[tokio::test]
async fn twenty_people_in_a_thousand_user_directory_cost_at_most_thirty_listings() {
    let sim = AlibabaCloudSsoSim::start().await.unwrap();
    sim.add_users(980);
    let people: Vec<(String, String)> = (0..20)
        .map(|i| {
            let email = format!("Person.{i}@Example.COM");
            (sim.add_person(&email), email.to_ascii_lowercase())
        })
        .collect();
    assert_eq!(sim.user_count(), 1000);
    let client = client(&sim);
    for (id, email_address) in &people {
        let found = client.find_users(&email(email_address)).await.unwrap();
        assert_eq!(found.len(), 1, "{email_address}");
        assert_eq!(&found[0].user_id, id);
    }
    let calls = sim.calls("ListUsers");
    assert!(calls <= 10 + 20, "{calls} ListUsers calls");
    assert_eq!(
        directory_pages(&sim),
        10,
        "the directory is listed once, 100 a page"
    );
    assert_eq!(
        sim.actions().iter().filter(|a| *a != "ListUsers").count(),
        0
    );
}

#[tokio::test]
async fn found_on_a_later_page_whatever_the_case() {
    let sim = AlibabaCloudSsoSim::start().await.unwrap();
    sim.set_page_size(3);
    sim.add_users(9);
    let jane = sim.seed(
        CloudSsoUser::new("jdoe")
            .email("Jane.Doe@Example.COM")
            .display_name("Jane Doe"),
    );
    let found = client(&sim)
        .find_users(&email("jane.doe@example.com"))
        .await
        .unwrap();
    assert_eq!(found.len(), 1);
    let account = &found[0];
    assert_eq!(account.user_id, jane);
    assert_eq!(account.email.as_deref(), Some("Jane.Doe@Example.COM"));
    assert_eq!(account.username.as_deref(), Some("jdoe"));
    assert_eq!(account.display_name.as_deref(), Some("Jane Doe"));
    assert_eq!(
        (account.status, account.managed_by),
        (AccountStatus::Enabled, ManagedBy::Local)
    );
    // Ten users at three a page: four pages, each after the first with the token handed out.
    assert_eq!(directory_pages(&sim), 4);
    let tokens: Vec<Option<String>> = sim
        .requests()
        .iter()
        .filter(|r| r.param("Filter").is_none())
        .map(|r| r.param("NextToken"))
        .collect();
    assert!(tokens[0].is_none() && tokens[1..].iter().all(Option::is_some));
}

#[tokio::test]
async fn a_username_query_pages_the_filter_and_never_the_directory() {
    let sim = AlibabaCloudSsoSim::start().await.unwrap();
    sim.set_page_size(1);
    let a = sim.seed(CloudSsoUser::new("JDoe").email("a@example.com"));
    let b = sim.seed(CloudSsoUser::new("jdoe").email("b@example.com"));
    sim.seed(CloudSsoUser::new("jdoe2").email("c@example.com"));
    let query = UserQuery::username("jdoe").unwrap();
    let found = client(&sim).find_users(&query).await.unwrap();
    let ids: Vec<&str> = found.iter().map(|a| a.user_id.as_str()).collect();
    assert_eq!(ids, [a.as_str(), b.as_str()]);
    assert!(matches!(
        Lookup::from_candidates(&query, found),
        Lookup::Ambiguous(_)
    ));
    assert_eq!(
        sim.calls("ListUsers"),
        2,
        "two one-user pages of the filter"
    );
    assert_eq!(directory_pages(&sim), 0);
}

#[tokio::test]
async fn partial_matches_are_dropped() {
    let sim = AlibabaCloudSsoSim::start().await.unwrap();
    sim.seed(CloudSsoUser::new("evil").email("jane@example.com.evil"));
    sim.seed(CloudSsoUser::new("x").email("xjane@example.com"));
    sim.seed(CloudSsoUser::new("y").email("jane@example.co"));
    sim.seed(CloudSsoUser::new("jane@example.comx").email("other@example.com"));
    sim.seed(CloudSsoUser::new("z"));
    let client = client(&sim);
    let found = client.find_users(&email("jane@example.com")).await.unwrap();
    assert!(found.is_empty(), "{found:?}");
    let filters: Vec<String> = sim
        .requests()
        .iter()
        .filter_map(|r| r.param("Filter"))
        .collect();
    assert_eq!(filters, ["UserName eq jane@example.com"]);
    assert_eq!(directory_pages(&sim), 1);

    // A user name that is the address is a match (idp-core's rule: the address as login
    // name), found by the filter alone, whatever its Email says.
    let login = sim.seed(CloudSsoUser::new("Jane@Example.com").email("j@elsewhere.example"));
    let found = client.find_users(&email("jane@example.com")).await.unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].user_id, login);
    assert_eq!(directory_pages(&sim), 1, "no second listing");
}

#[tokio::test]
async fn duplicates_are_ambiguous_and_nothing_else_is_sent() {
    let sim = AlibabaCloudSsoSim::start().await.unwrap();
    let one = sim.seed(CloudSsoUser::new("jane1").email("Jane@Example.com"));
    let two = sim.seed(CloudSsoUser::new("jane2").email("jane@EXAMPLE.com"));
    let query = email("jane@example.com");
    let found = client(&sim).find_users(&query).await.unwrap();
    match Lookup::from_candidates(&query, found) {
        Lookup::Ambiguous(accounts) => {
            let ids: Vec<&str> = accounts.iter().map(|a| a.user_id.as_str()).collect();
            assert_eq!(ids, [one.as_str(), two.as_str()]);
        }
        other => panic!("{other:?}"),
    }
    assert!(sim.actions().iter().all(|a| a == "ListUsers"));
    assert_eq!(sim.user_count(), 2);
}

#[tokio::test]
async fn refused_queries_send_nothing() {
    let sim = AlibabaCloudSsoSim::start().await.unwrap();
    let client = client(&sim);
    for query in [
        UserQuery::Email("jane doe@example.com".to_owned()),
        UserQuery::Email("*@example.com".to_owned()),
        UserQuery::Email(String::new()),
        UserQuery::Username("!jdoe".to_owned()),
    ] {
        let err = client.find_users(&query).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "{query:?}");
    }
    assert!(sim.requests().is_empty());
}

#[tokio::test]
async fn states_and_scim_are_reported() {
    let sim = AlibabaCloudSsoSim::start().await.unwrap();
    sim.seed(
        CloudSsoUser::new("sync")
            .email("sync@example.com")
            .disabled()
            .synchronized(),
    );
    let found = client(&sim)
        .find_users(&UserQuery::username("sync").unwrap())
        .await
        .unwrap();
    assert_eq!(
        (found[0].status, found[0].managed_by),
        (AccountStatus::Disabled, ManagedBy::Scim)
    );
    assert_eq!(found[0].vendor["ExternalId"]["Issuer"], "SCIM");
}

/// The grammar is `UserName eq|sw <value>` and nothing else; `MaxResults` and `NextToken`
/// are checked too.
#[tokio::test]
async fn the_filter_grammar_is_enforced() {
    let sim = AlibabaCloudSsoSim::start().await.unwrap();
    sim.seed(CloudSsoUser::new("jdoe"));
    sim.seed(CloudSsoUser::new("JDoe2"));
    sim.seed(CloudSsoUser::new("other"));
    let list = |params: &[(&str, &str)]| HandMade::v3(&sim, "ListUsers", params).signed(&sim);
    for (filter, users) in [
        ("UserName eq JDOE", 1),
        ("UserName sw jd", 2),
        ("UserName eq nobody", 0),
    ] {
        let (status, body) = list(&[("Filter", filter)]).send(&sim).await;
        assert_eq!(status, 200, "{filter}: {body}");
        assert_eq!(body["Users"].as_array().unwrap().len(), users, "{filter}");
        assert_eq!(body["TotalCounts"], users, "{filter}");
    }
    for filter in [
        "Email eq jdoe@example.com",
        "DisplayName eq jdoe",
        "UserName co jd",
        "UserName EQ jdoe",
        "username eq jdoe",
        "UserName eq",
        "UserName eq j doe",
        "UserName  eq jdoe",
    ] {
        let (status, body) = list(&[("Filter", filter)]).send(&sim).await;
        assert_eq!(
            (status, code(&body)),
            (400, "InvalidParameter.Filter"),
            "{filter}"
        );
    }
    for (name, value) in [
        ("MaxResults", "0"),
        ("MaxResults", "101"),
        ("MaxResults", "ten"),
        ("NextToken", "not-a-token"),
        ("Status", "Locked"),
        ("ProvisionType", "Scim"),
    ] {
        let (status, body) = list(&[(name, value)]).send(&sim).await;
        assert_eq!(
            (status, code(&body)),
            (400, format!("InvalidParameter.{name}").as_str()),
            "{name}={value}"
        );
    }
    // Paging as documented: NextToken only while truncated, and it leads on.
    let (_, first) = list(&[("MaxResults", "2")]).send(&sim).await;
    assert_eq!(first["IsTruncated"], true);
    assert_eq!(first["MaxResults"], 2);
    let token = first["NextToken"].as_str().unwrap();
    let (_, second) = list(&[("MaxResults", "2"), ("NextToken", token)])
        .send(&sim)
        .await;
    assert_eq!(second["IsTruncated"], false);
    assert!(second.get("NextToken").is_none(), "{second}");
    assert_eq!(second["Users"][0]["UserName"], "other");
    assert_eq!(second["TotalCounts"], 3);
    let (_, body) = list(&[("Filter", "UserName eq jdoe")]).send(&sim).await;
    let user = &body["Users"][0];
    for field in [
        "UserId",
        "UserName",
        "DisplayName",
        "Status",
        "ProvisionType",
        "CreateTime",
    ] {
        assert!(user[field].is_string(), "{field}: {user}");
    }
}

#[tokio::test]
async fn faults_on_the_listing_are_retried_as_on_delete() {
    let sim = AlibabaCloudSsoSim::start().await.unwrap();
    sim.set_page_size(2);
    sim.add_users(3);
    let jane = sim.seed(CloudSsoUser::new("jdoe").email("jane@example.com"));
    let unavailable = Fault::status(
        503,
        r#"{"RequestId":"R-503","HostId":"cloudsso.cn-shanghai.aliyuncs.com","Code":"ServiceUnavailable","Message":"The request has failed due to a temporary failure of the server."}"#,
    );
    let (client, _) = manual_client(&sim);
    // The filter call throttled, the first directory page unavailable, the next dropped.
    sim.inject(sim.throttle(0), 1);
    sim.inject(Fault::Delay(std::time::Duration::ZERO), 1);
    sim.inject(unavailable, 1);
    sim.inject(Fault::Drop, 1);
    let found = client.find_users(&email("jane@example.com")).await.unwrap();
    assert_eq!(found[0].user_id, jane);
    assert!(sim.faults_exhausted());
    let statuses: Vec<Option<u16>> = sim.requests().iter().map(|r| r.status).collect();
    assert_eq!(
        statuses,
        [Some(400), Some(200), Some(503), None, Some(200), Some(200)],
        "filter throttled, retried; page 1 unavailable, dropped, retried; page 2"
    );
    let err = {
        sim.inject(sim.throttle(0), 10);
        client
            .find_users(&email("other@example.com"))
            .await
            .unwrap_err()
    };
    assert_eq!(
        (err.kind(), err.code()),
        (ErrorKind::RateLimited, Some("Throttling.User"))
    );
}
