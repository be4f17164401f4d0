//! Wiring: opens the store and the index, starts the index follower, the pollers and the HTTP
//! server, and stops them in order.

use crate::config::Config;
use anyhow::Context;
use praden_index::{CommitPolicy, SearchIndex};
use praden_ingest::{FetchConfig, Fetcher, Ingester, Source};
use praden_jobs::{detect, follow};
use praden_store::Store;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

/// The store and index, opened: what every command needs.
pub struct Parts {
    pub store: Store,
    pub index: SearchIndex,
}

impl Parts {
    pub async fn open(config: &Config) -> anyhow::Result<Self> {
        let store = Store::connect(&config.database_url).await?;
        let index = SearchIndex::open_or_create(&config.index_dir())?;
        Ok(Self { store, index })
    }
}

pub fn commit_policy(config: &Config) -> CommitPolicy {
    CommitPolicy {
        max_docs: config.index.commit_docs,
        max_delay: config.index.commit_interval,
        memory_bytes: config.index.writer_memory_mb << 20,
        ..CommitPolicy::default()
    }
}

pub fn fetcher(config: &Config) -> anyhow::Result<Fetcher> {
    Fetcher::new(&FetchConfig {
        contact: config.contact.clone(),
        ..FetchConfig::default()
    })
    .context("cannot build the HTTP client")
}

pub fn ingest_limits(config: &Config) -> praden_ingest::IngestLimits {
    praden_ingest::IngestLimits {
        max_concurrent: config.ingest.max_concurrent,
        host_gap: config.ingest.host_gap,
        parse: praden_ingest::ParseBudget {
            timeout: config.ingest.parse_timeout,
            max_bytes: config.ingest.parse_max_mb << 20,
            ..praden_ingest::ParseBudget::default()
        },
    }
}

pub fn load_sources(config: &Config) -> anyhow::Result<Vec<Source>> {
    Ok(praden_ingest::sources::load(&config.sources_file)?)
}

/// What `GET /api/v1/sources` shows of a configured source (joined there with its state).
fn web_source(s: &Source) -> praden_web::sources::SourceConfig {
    praden_web::sources::SourceConfig {
        id: s.id.clone(),
        name: s.name.clone(),
        outlet: s.outlet.clone(),
        kind: s.kind.as_str().to_string(),
        url: s.url.to_string(),
        enabled: s.enabled,
    }
}

/// The web layer's sessions and cookies, from `[auth]`.
fn web_auth(config: &Config) -> praden_web::auth::Auth {
    praden_web::auth::Auth::new(praden_web::auth::AuthConfig {
        secure_cookies: config.auth.secure_cookies,
        session_ttl: config.auth.session_ttl,
        trusted_proxies: config.auth.trusted_proxies.clone(),
        ..Default::default()
    })
}

/// `praden serve`, built but not yet running: the listener is bound, so the port is known
/// (tests bind port 0 and read it back).
pub struct Application {
    listener: TcpListener,
    parts: Parts,
    sources: Vec<Source>,
    config: Config,
    /// What the brief scheduler reads the time from.
    clock: Arc<dyn praden_jobs::schedule::Clock>,
}

impl Application {
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        let sources = load_sources(&config)?;
        let parts = Parts::open(&config).await?;
        crate::accounts::ensure_initial_admin(&parts.store, &config.data_dir).await?;
        let listener = TcpListener::bind(config.listen)
            .await
            .with_context(|| format!("cannot listen on {}", config.listen))?;
        Ok(Self {
            listener,
            parts,
            sources,
            config,
            clock: praden_jobs::schedule::system_clock(),
        })
    }

    /// Runs the brief scheduler and its deliveries on `clock` instead of the system clock
    /// (tests move a manual clock rather than wait until 09:30).
    pub fn with_clock(mut self, clock: Arc<dyn praden_jobs::schedule::Clock>) -> Self {
        self.clock = clock;
        self
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound listener has an address")
    }

    /// Runs until `shutdown` is cancelled: then polling stops, the server finishes its
    /// requests, the index takes in the last documents and commits, and the store closes.
    pub async fn run(self, shutdown: CancellationToken) -> anyhow::Result<()> {
        let Parts { store, index } = self.parts;
        let writer = index.start_writer(commit_policy(&self.config))?;
        // Whoever stores documents wakes `stored`; the index follower and the detector each
        // get their own wake-up from it.
        let stored = Arc::new(Notify::new());
        let index_wake = Arc::new(Notify::new());
        let detect_wake = Arc::new(Notify::new());
        let clarify_wake = Arc::new(Notify::new());
        tokio::spawn(fan_out(
            stored.clone(),
            vec![
                index_wake.clone(),
                detect_wake.clone(),
                clarify_wake.clone(),
            ],
            shutdown.clone(),
        ));

        let follower = tokio::spawn(follow::follow(
            store.clone(),
            index.clone(),
            writer,
            index_wake,
            shutdown.clone(),
            self.config.index.verify_at_start,
            false,
        ));
        // The jobs that must run once among the processes on the database, each under its
        // lease: here, or standing by in case the process running it stops.
        let node = self.config.node.clone();
        let once = |name: &str, job| {
            tokio::spawn(praden_jobs::lease::exclusive(
                store.clone(),
                node.clone(),
                name.to_string(),
                shutdown.clone(),
                job,
            ))
        };
        let mut jobs = Vec::new();
        if self.config.detect.enabled {
            let (store, config) = (store.clone(), self.config.detect.clone());
            jobs.push(once(
                "detector",
                Box::new(move |held| {
                    let (store, config, wake) =
                        (store.clone(), config.clone(), detect_wake.clone());
                    Box::pin(async move {
                        if let Err(e) = detect::follow(store, config, wake, held).await {
                            tracing::error!(error = %e, "the detector stopped");
                        }
                    }) as Job
                }) as JobFactory,
            ));
        }
        if self.config.clarifications.enabled {
            let (store, config) = (store.clone(), self.config.clarifications.clone());
            jobs.push(once(
                "clarifications",
                Box::new(move |held| {
                    let (store, config, wake) =
                        (store.clone(), config.clone(), clarify_wake.clone());
                    Box::pin(async move {
                        if let Err(e) =
                            praden_jobs::clarifications::follow(store, config, wake, held).await
                        {
                            tracing::error!(error = %e, "the clarifications job stopped");
                        }
                    }) as Job
                }),
            ));
        }
        // Each publication's scheduler and its deliveries: the slot is published once
        // anyway, and one process sends.
        let user_agent = self.config.user_agent();
        if self.config.brief.enabled {
            let (store, config, ua, clock) = (
                store.clone(),
                self.config.brief.clone(),
                user_agent.clone(),
                self.clock.clone(),
            );
            jobs.push(once(
                "brief",
                publication(move |held| {
                    praden_jobs::brief_schedule::spawn(&store, &config, &ua, clock.clone(), held)
                }),
            ));
        }
        if self.config.assignment.enabled {
            let (store, config, ua, clock) = (
                store.clone(),
                self.config.assignment.clone(),
                user_agent.clone(),
                self.clock.clone(),
            );
            jobs.push(once(
                "assignment",
                publication(move |held| {
                    praden_jobs::assignment::spawn(&store, &config, &ua, clock.clone(), held)
                }),
            ));
        }
        if praden_jobs::reminders::runs(&self.config.reminders, &self.config.assignment) {
            let (store, config, assignment, ua, clock) = (
                store.clone(),
                self.config.reminders.clone(),
                self.config.assignment.clone(),
                user_agent.clone(),
                self.clock.clone(),
            );
            jobs.push(once(
                "reminders",
                publication(move |held| {
                    praden_jobs::reminders::spawn(
                        &store,
                        &config,
                        &assignment,
                        &ua,
                        clock.clone(),
                        held,
                    )
                }),
            ));
        }
        jobs.extend(praden_jobs::feed_webhooks::spawn(
            &store,
            &self.config.feed,
            &node,
            &shutdown,
        )?);
        let ingester = Ingester::with_limits(
            store.clone(),
            fetcher(&self.config)?,
            stored.clone(),
            ingest_limits(&self.config),
        )
        .on_node(node.clone());
        // Pushed posts go where polled documents go.
        let sink = ingester.sink();
        let enabled = self.sources.iter().filter(|s| s.enabled).count();
        let source_configs: Vec<_> = self.sources.iter().map(web_source).collect();
        let pollers = {
            let shutdown = shutdown.clone();
            let sources = self.sources;
            tokio::spawn(async move { ingester.run(sources, shutdown).await })
        };
        tracing::info!(
            address = %self.listener.local_addr()?,
            database = %praden_store::redact(&self.config.database_url),
            sources = enabled,
            "praden is serving"
        );
        let registry = praden_detect::AgencyRegistry::load_default()?;
        let evidence = self
            .config
            .evidence
            .open(&self.config.data_dir)
            .context("cannot open the evidence store ([evidence])")?;
        let kpi = Arc::new(self.config.kpi.clone());
        let kpi_cache = Arc::new(praden_web::kpi::KpiCache::default());
        let prewarm = tokio::spawn(praden_web::kpi::prewarm(
            store.clone(),
            kpi.clone(),
            kpi_cache.clone(),
        ));
        let router = praden_web::router(praden_web::AppState {
            store: store.clone(),
            index,
            agencies: Arc::new(praden_detect::agency_refs(&registry)),
            webhooks: self
                .config
                .feed
                .webhooks
                .iter()
                .map(|w| praden_web::webhooks::WebhookSubscriber {
                    name: w.name.clone(),
                    url: w.url.clone(),
                })
                .collect(),
            sources: source_configs.into(),
            auth: web_auth(&self.config),
            assignment: Arc::new(self.config.assignment.message.clone()),
            evidence,
            kpi,
            kpi_cache,
            node,
            searches: praden_web::SearchSlots::new(self.config.index.concurrent_searches),
        });
        let router = praden_web::ingest::with_document_sink(router, sink);
        let served =
            praden_web::serve(self.listener, router, shutdown.clone().cancelled_owned()).await;

        shutdown.cancel();
        prewarm.abort();
        let _ = pollers.await;
        for task in jobs {
            let _ = task.await;
        }
        let indexed = follower.await.context("the index follower panicked")?;
        store.close().await;
        served.context("the HTTP server failed")?;
        let hwm = indexed?;
        tracing::info!(high_water_mark = hwm, "stopped cleanly");
        Ok(())
    }
}

/// A job run under its lease, and what starts it each time the lease is taken.
type Job = std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>;
type JobFactory = Box<dyn Fn(tokio_util::sync::CancellationToken) -> Job + Send + Sync>;

/// A publication's job: `spawn` starts its scheduler and deliveries on the lease's token,
/// and the job lasts as long as they do.
fn publication<S>(spawn: S) -> JobFactory
where
    S: Fn(&CancellationToken) -> anyhow::Result<Vec<tokio::task::JoinHandle<()>>>
        + Send
        + Sync
        + 'static,
{
    Box::new(move |held| {
        let tasks = spawn(&held);
        Box::pin(async move {
            match tasks {
                Ok(tasks) => {
                    for task in tasks {
                        let _ = task.await;
                    }
                }
                Err(e) => tracing::error!(error = %e, "a publication could not start"),
            }
        })
    })
}

/// Passes each wake-up of `from` on to every one of `to`.
async fn fan_out(from: Arc<Notify>, to: Vec<Arc<Notify>>, shutdown: CancellationToken) {
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = from.notified() => to.iter().for_each(|n| n.notify_one()),
        }
    }
}
