//! Jobs that must have one runner among all the praden processes on one database (the
//! detector, the clarifications job, each publication's scheduler and deliveries, each feed
//! subscriber's pusher). Every process starts them through `exclusive`: the one that holds
//! the job's lease runs it, renewing the lease as it goes; the others stand by and ask again
//! every `Node::retry_every`. A runner that crashes stops renewing, and a standby takes over
//! once the lease runs out (`Node::lease_ttl`). A runner that cannot renew in time stops its
//! job before the lease can pass to another, so two never run at once while clocks agree.

use praden_core::node::Node;
use praden_store::{Store, Taken};
use std::future::Future;
use time::OffsetDateTime;
use tokio_util::sync::CancellationToken;

/// The lease name of a job.
fn job_lease(job: &str) -> String {
    format!("job:{job}")
}

/// Runs `job` whenever this process holds the lease of `name`, until `shutdown`. The job gets
/// a token cancelled at shutdown or when the lease is lost, and should end soon after; if it
/// ends on its own (an error), the lease is given up and asked for again a moment later.
pub async fn exclusive<F, Fut>(
    store: Store,
    node: Node,
    name: String,
    shutdown: CancellationToken,
    job: F,
) where
    F: Fn(CancellationToken) -> Fut,
    Fut: Future<Output = ()>,
{
    let lease = job_lease(&name);
    let mut standing_by = false;
    loop {
        if shutdown.is_cancelled() {
            return;
        }
        match store
            .take_lease(&lease, &node.id, OffsetDateTime::now_utc(), node.lease_ttl)
            .await
        {
            Ok(Taken::Granted) => {
                tracing::info!(job = %name, node = %node.id, "running the job (its lease is ours)");
                standing_by = false;
                let held = shutdown.child_token();
                let run = job(held.clone());
                tokio::pin!(run);
                tokio::select! {
                    _ = &mut run => {}
                    _ = keep_renewed(&store, &node, &lease) => {
                        tracing::warn!(job = %name, node = %node.id, "lost the job's lease; stopping it");
                        held.cancel();
                        run.await;
                    }
                }
                held.cancel();
                if let Err(e) = store
                    .release_lease(&lease, &node.id, OffsetDateTime::now_utc())
                    .await
                {
                    tracing::warn!(job = %name, error = %e, "cannot give the job's lease up; it runs out on its own");
                }
            }
            Ok(Taken::Busy { holder, until }) => {
                if !standing_by {
                    tracing::info!(job = %name, node = %node.id, %holder, %until, "standing by: another process runs the job");
                    standing_by = true;
                }
            }
            Err(e) => tracing::warn!(job = %name, error = %e, "cannot ask for the job's lease"),
        }
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tokio::time::sleep(node.retry_every()) => {}
        }
    }
}

/// Renews `lease` every `Node::renew_every`; returns when it is lost — taken by another
/// process, or not renewed (the database unreachable) before it would run out.
async fn keep_renewed(store: &Store, node: &Node, lease: &str) {
    let mut held_until = tokio::time::Instant::now() + node.lease_ttl;
    loop {
        tokio::time::sleep(node.renew_every()).await;
        let asked = tokio::time::Instant::now();
        match store
            .renew_lease(lease, &node.id, OffsetDateTime::now_utc(), node.lease_ttl)
            .await
        {
            Ok(true) => held_until = asked + node.lease_ttl,
            Ok(false) => return,
            Err(e) => {
                tracing::warn!(%lease, error = %e, "cannot renew a lease");
                // Stop while it is surely still ours, before another process may take it.
                if tokio::time::Instant::now() + node.renew_every() >= held_until {
                    return;
                }
            }
        }
    }
}
