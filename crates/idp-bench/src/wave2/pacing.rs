//! N deletes under Cloudflare's policy compressed 20 times (1,200 per 15 s, then a 15 s
//! block): paced to 90 % of the budget, as the client paces to 90 % of 1,200 per 5 minutes,
//! against unpaced with retries patient enough to outlast the blocks.

use std::time::{Duration, Instant};

use futures_util::StreamExt;
use idp::{DeleteOutcome, Rate, RateSetting, RetryPolicy, TransportOptions, Vendor};
use idp_sim::{RatePolicy, Sims};
use serde_json::{Value, json};

use super::{Failure, client, millis, sim};

const COMPRESSION: u32 = 20;
const CONCURRENCY: usize = 8;

/// Runs `count` deletes paced and unpaced; returns both runs' figures and the minimum.
pub async fn pacing(count: usize) -> Result<Value, Failure> {
    let policy = RatePolicy::cloudflare().faster(COMPRESSION);
    let paced_rate = Rate::new(1080, policy.window()).ok_or("a rate of zero")?;
    // A rolling window lets the first `limit` requests go at once; every further `limit`
    // waits one more window. Count ÷ budget is the steady-state figure, which a run of a few
    // windows does not reach.
    let limit = usize::try_from(policy.limit()).unwrap_or(usize::MAX).max(1);
    let windows = u32::try_from(count.div_ceil(limit).saturating_sub(1)).unwrap_or(u32::MAX);
    let minimum = policy.window() * windows;
    let per_second = policy.limit() as f64 / policy.window().as_secs_f64();
    let steady = Duration::from_secs_f64(count as f64 / per_second);
    let paced = run(count, &policy, RateSetting::Custom(paced_rate)).await?;
    let unpaced = run(count, &policy, RateSetting::Off).await?;
    Ok(json!({
        "measurement": "pacing",
        "count": count,
        "policy": format!("{} per {:?} rolling, then a {:?} block", policy.limit(), policy.window(), policy.window()),
        "minimum_ms": millis(minimum),
        "count_over_budget_ms": millis(steady),
        "paced": paced,
        "unpaced": unpaced,
    }))
}

async fn run(count: usize, policy: &RatePolicy, rate: RateSetting) -> Result<Value, Failure> {
    let sims = Sims::start().await?;
    let cf = sim(&sims, Vendor::CfAccess);
    cf.set_rate_policy(policy.clone());
    let ids = cf.add_users(count);
    let options = TransportOptions::default().with_rate(rate).with_retry(
        RetryPolicy::default()
            .with_max_retries(20)
            .with_initial_backoff(Duration::from_millis(5)),
    );
    let client = client(&sims, Vendor::CfAccess, options)?;
    let started = Instant::now();
    let reports: Vec<_> = client.delete_many(ids, CONCURRENCY).collect().await;
    let wall = started.elapsed();
    let deleted = reports
        .iter()
        .filter(|r| matches!(r.outcome, Ok(DeleteOutcome::Deleted)))
        .count();
    Ok(json!({
        "rate": format!("{rate:?}"),
        "wall_ms": millis(wall),
        "deleted": deleted,
        "failed": count - deleted,
        "requests": cf.requests().len(),
        "answered_429": cf.rate_limited_count(),
    }))
}
