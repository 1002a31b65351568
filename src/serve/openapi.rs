//! `GET /openapi.json`: the OpenAPI 3.1 description of the API, kept beside the code as a JSON file and
//! checked against real responses by `tests/serve_http.rs`.

use axum::http::header;
use axum::response::IntoResponse;

/// The document, as served.
pub const DOCUMENT: &str = include_str!("openapi.json");

pub async fn document() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], DOCUMENT)
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_document_is_json_of_openapi_3_1() {
        let doc: serde_json::Value = serde_json::from_str(super::DOCUMENT).unwrap();
        assert_eq!(doc["openapi"], "3.1.0");
        assert!(doc["paths"]["/v1/liveness"]["post"].is_object());
    }
}
