//! The hand-written OpenAPI document stays true to the router: every `/api/v1` route and
//! method is described, and nothing is described that the router does not serve.

use std::collections::BTreeSet;

#[test]
fn openapi_describes_exactly_the_api_routes() {
    let doc: serde_json::Value =
        serde_json::from_str(praden_web::OPENAPI).expect("api/openapi.json is JSON");
    assert_eq!(doc["openapi"], "3.0.3");
    let described: BTreeSet<(String, String)> = doc["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, ops)| {
            ops.as_object()
                .unwrap()
                .keys()
                .map(|m| (m.to_uppercase(), path.clone()))
                .collect::<Vec<_>>()
        })
        .collect();
    let served: BTreeSet<(String, String)> = praden_web::route_table()
        .into_iter()
        .filter(|r| r.path.starts_with("/api/") || r.path == "/healthz")
        .map(|r| (r.method.to_string(), r.path.to_string()))
        .collect();
    assert!(
        served.len() >= 20,
        "the route table lists the API: {served:?}"
    );
    let missing: Vec<_> = served.difference(&described).collect();
    let stale: Vec<_> = described.difference(&served).collect();
    assert!(
        missing.is_empty(),
        "routes missing from api/openapi.json: {missing:?}"
    );
    assert!(
        stale.is_empty(),
        "api/openapi.json describes routes not served: {stale:?}"
    );
}
