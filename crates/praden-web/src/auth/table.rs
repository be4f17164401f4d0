//! The route table: every route with who may call it. The router is built from it, and
//! [`crate::route_table`] hands the same table to tests/tests/access.rs, which checks every
//! route against every role and fails when a route has no line in its matrix.

use super::require;
use axum::handler::Handler;
use axum::http::Method;
use axum::routing::{self, MethodRouter};
use axum::Router;
use praden_core::Role;

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone, logged in or not (`/healthz`, `/login`).
    Public,
    /// A caller holding one of these roles; admins always may.
    Roles(&'static [Role]),
}

impl Access {
    /// Whether a caller with `role` (`None`: nobody is logged in) may call the route.
    pub fn allows(&self, role: Option<Role>) -> bool {
        match (self, role) {
            (Self::Public, _) => true,
            (Self::Roles(_), None) => false,
            (Self::Roles(_), Some(Role::Admin)) => true,
            (Self::Roles(roles), Some(r)) => roles.contains(&r),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteInfo {
    pub method: Method,
    /// The path as given to axum, e.g. `/api/v1/candidates/{id}`.
    pub path: &'static str,
    pub access: Access,
}

/// Builds the router and its table together, so no route can be mounted without saying who
/// may call it.
pub struct Routes<S> {
    router: Router<S>,
    table: Vec<RouteInfo>,
}

impl<S: Clone + Send + Sync + 'static> Default for Routes<S> {
    fn default() -> Self {
        Self::new()
    }
}

macro_rules! method {
    ($name:ident, $method:expr) => {
        pub fn $name<H, T>(self, path: &'static str, access: Access, handler: H) -> Self
        where
            H: Handler<T, S>,
            T: 'static,
        {
            self.add($method, path, access, routing::$name(handler))
        }
    };
}

impl<S: Clone + Send + Sync + 'static> Routes<S> {
    pub fn new() -> Self {
        Self {
            router: Router::new(),
            table: Vec::new(),
        }
    }

    method!(get, Method::GET);
    method!(post, Method::POST);
    method!(put, Method::PUT);
    method!(patch, Method::PATCH);
    method!(delete, Method::DELETE);

    fn add(
        mut self,
        method: Method,
        path: &'static str,
        access: Access,
        route: MethodRouter<S>,
    ) -> Self {
        assert!(
            !self
                .table
                .iter()
                .any(|r| r.method == method && r.path == path),
            "{method} {path} is mounted twice"
        );
        let route = match access {
            Access::Public => route,
            Access::Roles(roles) => route.route_layer(require(roles)),
        };
        // axum merges method routers given for the same path.
        self.router = self.router.route(path, route);
        self.table.push(RouteInfo {
            method,
            path,
            access,
        });
        self
    }

    pub fn into_parts(self) -> (Router<S>, Vec<RouteInfo>) {
        (self.router, self.table)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn admins_may_call_everything_and_nobody_only_public_routes() {
        let monitors = Access::Roles(&[Role::Monitor]);
        assert!(monitors.allows(Some(Role::Admin)));
        assert!(monitors.allows(Some(Role::Monitor)));
        assert!(!monitors.allows(Some(Role::Editor)));
        assert!(!monitors.allows(None));
        assert!(Access::Public.allows(None));
    }

    /// Routes mounted with axum's own `.route(` would escape the table, and with it the
    /// access-matrix test: only this file may call it (test code aside).
    #[test]
    fn routes_are_mounted_through_the_table_only() {
        let files = crate::source_files();
        assert!(files.len() > 5, "{files:?}");
        let mut offenders = Vec::new();
        for file in files {
            if file.ends_with("auth/table.rs") {
                continue;
            }
            let text = std::fs::read_to_string(&file).unwrap();
            let code = text.split("#[cfg(test)]").next().unwrap();
            for call in [".route(", ".route_service(", ".nest(", ".nest_service("] {
                if code.contains(call) {
                    offenders.push(format!("{} calls {call}", file.display()));
                }
            }
        }
        assert!(
            offenders.is_empty(),
            "mount routes through auth::Routes in lib.rs: {offenders:?}"
        );
    }

    #[test]
    #[should_panic(expected = "mounted twice")]
    fn a_route_cannot_be_mounted_twice() {
        async fn h() {}
        let _ = Routes::<()>::new()
            .get("/x", Access::Public, h)
            .get("/x", Access::Public, h);
    }
}
