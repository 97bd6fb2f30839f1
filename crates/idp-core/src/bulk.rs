//! Deleting many ids with bounded concurrency.

use std::time::Instant;

use futures_util::stream::{self, Stream, StreamExt};

use crate::client::UserDeleter;
use crate::outcome::DeleteReport;

/// Deletes every id from `ids`, at most `concurrency` at a time, yielding each id's report as
/// soon as it finishes (not in input order). Ids are pulled from the stream as workers free
/// up, so a stream of a million ids is never held in memory.
///
/// Every id yields exactly one report: deleted, absent (the vendor says it does not exist),
/// or the error that stopped it.
pub fn delete_stream<'a, C, S>(
    client: &'a C,
    ids: S,
    concurrency: usize,
) -> impl Stream<Item = DeleteReport> + Send + 'a
where
    C: UserDeleter,
    S: Stream<Item = String> + Send + 'a,
{
    ids.map(move |user_id| async move {
        let started = Instant::now();
        let result = client.delete_user(&user_id).await;
        DeleteReport::new(user_id, result, started.elapsed())
    })
    .buffer_unordered(concurrency.max(1))
}

/// [`delete_stream`] over any iterator of ids.
pub fn delete_many<'a, C, I>(
    client: &'a C,
    ids: I,
    concurrency: usize,
) -> impl Stream<Item = DeleteReport> + Send + 'a
where
    C: UserDeleter,
    I: IntoIterator<Item = String>,
    I::IntoIter: Send + 'a,
{
    delete_stream(client, stream::iter(ids), concurrency)
}
