//! Every error the server answers is JSON: `{"error": {"code", "message"}, ...}` with a stable code, an
//! HTTP status saying whose fault it is (4xx the request's, 5xx the server's) and, for overload, a
//! `Retry-After`. Codes are written in docs/serve.md and openapi.json.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: String,
    pub message: String,
    /// Fields beside `error` (the measured quality of a capture fault, the request id, ...).
    pub extra: Map<String, Value>,
    pub retry_after_s: Option<u64>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: impl Into<String>, message: impl Into<String>) -> ApiError {
        ApiError { status, code: code.into(), message: message.into(), extra: Map::new(), retry_after_s: None }
    }

    pub fn bad_request(code: &str, message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, code, message)
    }

    /// A capture fault or an image that is not one: the request was well formed, its content unusable.
    pub fn unprocessable(code: &str, message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, code, message)
    }

    /// The server cannot take the request now; the client may retry after `seconds`.
    pub fn unavailable(code: &str, message: impl Into<String>, seconds: u64) -> ApiError {
        let mut e = ApiError::new(StatusCode::SERVICE_UNAVAILABLE, code, message);
        e.retry_after_s = Some(seconds);
        e
    }

    /// A failure of the server itself (ONNX Runtime, a crashed worker); the message says which.
    pub fn internal(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", message)
    }

    /// Adds every field of `fields` beside `error`.
    pub fn with_fields(mut self, fields: Map<String, Value>) -> ApiError {
        self.extra.extend(fields);
        self
    }

    pub fn body(&self) -> Value {
        let mut body = Map::new();
        body.insert("error".into(), json!({ "code": self.code, "message": self.message }));
        body.extend(self.extra.clone());
        Value::Object(body)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut resp = (self.status, axum::Json(self.body())).into_response();
        resp.extensions_mut().insert(ErrorCode(self.code.clone()));
        if let Some(s) = self.retry_after_s {
            resp.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(s));
        }
        if self.status == StatusCode::UNAUTHORIZED {
            resp.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        resp
    }
}

/// The error code of a response, kept as an extension so the request log and metrics can name it.
#[derive(Clone, Debug)]
pub struct ErrorCode(pub String);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_bodies_carry_code_message_and_extra_fields() {
        let mut extra = Map::new();
        extra.insert("face_count".into(), json!(0));
        let e = ApiError::unprocessable("no_face", "no face found").with_fields(extra);
        assert_eq!(e.body(), json!({"error": {"code": "no_face", "message": "no face found"}, "face_count": 0}));
        let r = ApiError::unavailable("overloaded", "busy", 2).into_response();
        assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(r.headers()[header::RETRY_AFTER], "2");
        let r = ApiError::new(StatusCode::UNAUTHORIZED, "missing_token", "no token").into_response();
        assert_eq!(r.headers()[header::WWW_AUTHENTICATE], "Bearer");
    }
}
