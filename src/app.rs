//! The listening server: state built, port bound, router served with the background job
//! beside it until a signal. `Application::build` binds the configured port (0 in tests), so
//! tests run the real server on a random port.

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Context;
use tokio::net::TcpListener;

use crate::config::Settings;
use crate::jobs;
use crate::router::router;
use crate::state::AppState;

pub struct Application {
    listener: TcpListener,
    state: AppState,
}

impl Application {
    /// Connects, migrates, creates the bootstrap admin, then binds — in that order.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let address = format!("{}:{}", settings.server.host, settings.server.port);
        let state = AppState::build(settings).await?;
        let listener = TcpListener::bind(&address).await.with_context(|| format!("listening on {address}"))?;
        Ok(Self { listener, state })
    }
    pub fn local_addr(&self) -> SocketAddr {
        self.listener.local_addr().expect("a bound listener has an address")
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until Ctrl-C or SIGTERM, then finishes the requests in flight.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        tracing::info!(address = %self.local_addr(), "listening");
        let stopping = self.state.stopping.clone();
        let grace = Duration::from_secs(self.state.settings.server.shutdown_grace_seconds);
        let jobs = jobs::spawn(self.state.clone());
        let vacuum = jobs::spawn_vacuum(&self.state);
        let app = router(self.state);
        crate::memory::release_free_memory();
        tokio::spawn({
            let stopping = stopping.clone();
            async move {
                shutdown_signal().await;
                stopping.cancel();
            }
        });
        // On the signal the listener closes and the connections answer what they were asked;
        // the job finishes its current step. Both within the grace period, else we go anyway.
        let serving = axum::serve(self.listener, app.into_make_service_with_connect_info::<SocketAddr>())
            .with_graceful_shutdown(stopping.clone().cancelled_owned());
        let finished = async {
            serving.await?;
            let _ = jobs.await;
            std::io::Result::Ok(())
        };
        let deadline = async {
            stopping.cancelled().await;
            tokio::time::sleep(grace).await;
        };
        tokio::select! {
            result = finished => result?,
            _ = deadline => tracing::warn!(seconds = grace.as_secs(), "still busy at the end of the grace period: stopping anyway"),
        }
        if let Some(vacuum) = vacuum {
            vacuum.abort();
        }
        tracing::info!("stopped");
        Ok(())
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down");
}
