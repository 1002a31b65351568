//! Request bodies to image bytes: JSON (`{"image": base64 | data URL}`), multipart (`file`), or a raw
//! `image/*` body. The bytes reach the decoder untouched, so an upload scores exactly as the same file does
//! on the command line. Bodies are read up to the size limit and no further (413 beyond it).

use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, Multipart, Request};
use axum::http::{HeaderMap, StatusCode, Uri, header, request::Parts};
use base64::Engine as _;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use http_body_util::BodyExt;
use serde::Deserialize;

use super::errors::ApiError;

/// One image to score, and what the request asked of it.
pub struct Upload {
    pub image: Bytes,
    pub policy: Option<String>,
    pub threshold: Option<f64>,
}

/// How a body is encoded, from its `Content-Type`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    Json,
    Multipart,
    /// The body is the image file itself.
    Raw,
}

/// Media types accepted as a raw image body.
pub const RAW_TYPES: [&str; 5] = ["image/jpeg", "image/png", "image/webp", "image/bmp", "application/octet-stream"];

/// The body's encoding, or 415 naming what is accepted.
pub fn encoding(headers: &HeaderMap) -> Result<Encoding, ApiError> {
    let media = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.split(';').next().unwrap_or("").trim().to_ascii_lowercase())
        .unwrap_or_default();
    match media.as_str() {
        "application/json" => Ok(Encoding::Json),
        "multipart/form-data" => Ok(Encoding::Multipart),
        m if RAW_TYPES.contains(&m) => Ok(Encoding::Raw),
        m => Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            format!(
                "Content-Type {:?} is not accepted; send application/json, multipart/form-data or one of {}",
                if m.is_empty() { "(none)" } else { m },
                RAW_TYPES.join(", ")
            ),
        )),
    }
}

/// Reads the whole body, refusing (413) one longer than `max` bytes, by its `Content-Length` before reading.
pub async fn read_body(body: Body, headers: &HeaderMap, max: usize) -> Result<Bytes, ApiError> {
    let too_large = || {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "body_too_large",
            format!("the request body exceeds the limit of {max} bytes (the server's --max-body)"),
        )
    };
    let declared = headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    if declared.is_some_and(|n| n > max as u64) {
        return Err(too_large());
    }
    match http_body_util::Limited::new(body, max).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(e) if e.downcast_ref::<http_body_util::LengthLimitError>().is_some() => Err(too_large()),
        Err(e) => Err(ApiError::bad_request("bad_body", format!("the request body could not be read: {e}"))),
    }
}

/// `?policy=NAME&threshold=T`, accepted with every encoding (the only way to name a policy with a raw body).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Params {
    policy: Option<String>,
    threshold: Option<f64>,
}

fn params(uri: &Uri) -> Result<Params, ApiError> {
    match uri.query() {
        None => Ok(Params::default()),
        Some(_) => axum::extract::Query::<Params>::try_from_uri(uri)
            .map(|q| q.0)
            .map_err(|e| ApiError::bad_request("bad_query", format!("{e}; accepted: policy, threshold"))),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct JsonUpload {
    image: String,
    policy: Option<String>,
    threshold: Option<f64>,
}

/// The image of a `POST /v1/liveness` request.
pub async fn image_upload(req: Request, max_body: usize) -> Result<Upload, ApiError> {
    let (parts, body) = req.into_parts();
    let query = params(&parts.uri)?;
    let encoding = encoding(&parts.headers)?;
    let bytes = read_body(body, &parts.headers, max_body).await?;
    let mut up = match encoding {
        Encoding::Json => {
            let j: JsonUpload = parse_json(&bytes)?;
            Upload { image: decode_text_image(&j.image)?, policy: j.policy, threshold: j.threshold }
        }
        Encoding::Multipart => {
            let mut up = Upload { image: Bytes::new(), policy: None, threshold: None };
            let mut found = false;
            for f in multipart_fields(parts, bytes).await? {
                match f.name.as_str() {
                    "file" | "image" => (up.image, found) = (f.data, true),
                    "policy" => up.policy = Some(f.text()?),
                    "threshold" => up.threshold = Some(parse_number(&f.text()?, "threshold")?),
                    other => {
                        return Err(ApiError::bad_request(
                            "unknown_field",
                            format!(
                                "multipart field {other:?} is not accepted; send `file`, optionally `policy`, `threshold`"
                            ),
                        ));
                    }
                }
            }
            if !found {
                return Err(ApiError::bad_request("missing_file", "the multipart body has no `file` part"));
            }
            up
        }
        Encoding::Raw => Upload { image: bytes, policy: None, threshold: None },
    };
    up.policy = up.policy.or(query.policy);
    up.threshold = up.threshold.or(query.threshold);
    if up.image.is_empty() {
        return Err(ApiError::bad_request("empty_image", "the image is empty (0 bytes)"));
    }
    Ok(up)
}

/// The images and options of a `POST /v1/compare` or `/v1/search` request.
#[derive(Default)]
pub struct FaceUpload {
    pub probe: Bytes,
    /// Reference images of the claimed identity (compare).
    pub gallery: Vec<Bytes>,
    /// An enrolled person instead of reference images (compare).
    pub person: Option<String>,
    pub policy: Option<String>,
    /// The match threshold (a distance).
    pub threshold: Option<f64>,
    pub liveness_threshold: Option<f64>,
    /// Candidates to list (search).
    pub top: Option<usize>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FaceJson {
    probe: String,
    gallery: Option<Vec<String>>,
    person: Option<String>,
    policy: Option<String>,
    threshold: Option<f64>,
    liveness_threshold: Option<f64>,
    top: Option<usize>,
}

/// The probe and options of a face request: JSON (`probe` and `gallery` as base64 or data URLs),
/// multipart (`probe` and repeated `gallery` file parts, text fields beside), or a raw image body as the
/// probe; the text options may also come as query parameters. `fields` are those the endpoint takes;
/// any other is refused (400 `unknown_field`), so a misspelt option is not silently ignored.
pub async fn face_upload(req: Request, max_body: usize, fields: &[&str]) -> Result<FaceUpload, ApiError> {
    let (parts, body) = req.into_parts();
    let refuse = |name: &str| {
        ApiError::bad_request(
            "unknown_field",
            format!("field {name:?} is not accepted here; accepted: {}", fields.join(", ")),
        )
    };
    let mut up = FaceUpload::default();
    let query: Vec<(String, String)> = match parts.uri.query() {
        None => Vec::new(),
        Some(_) => axum::extract::Query::try_from_uri(&parts.uri)
            .map(|q| q.0)
            .map_err(|e| ApiError::bad_request("bad_query", format!("{e}")))?,
    };
    for (k, v) in &query {
        if matches!(k.as_str(), "probe" | "gallery") || !fields.contains(&k.as_str()) {
            return Err(refuse(k));
        }
        set_text(&mut up, k, v)?;
    }
    let encoding = encoding(&parts.headers)?;
    let bytes = read_body(body, &parts.headers, max_body).await?;
    match encoding {
        Encoding::Json => {
            let map: serde_json::Map<String, serde_json::Value> = parse_json(&bytes)?;
            if let Some(k) = map.keys().find(|k| !fields.contains(&k.as_str())) {
                return Err(refuse(k));
            }
            let j: FaceJson = serde_json::from_value(serde_json::Value::Object(map))
                .map_err(|e| ApiError::bad_request("bad_json", format!("invalid JSON body: {e}")))?;
            up.probe = decode_text_image(&j.probe)?;
            for g in j.gallery.unwrap_or_default() {
                up.gallery.push(decode_text_image(&g)?);
            }
            up.person = j.person.or(up.person);
            up.policy = j.policy.or(up.policy);
            up.threshold = j.threshold.or(up.threshold);
            up.liveness_threshold = j.liveness_threshold.or(up.liveness_threshold);
            up.top = j.top.or(up.top);
        }
        Encoding::Multipart => {
            for f in multipart_fields(parts, bytes).await? {
                if !fields.contains(&f.name.as_str()) {
                    return Err(refuse(&f.name));
                }
                match f.name.as_str() {
                    "probe" => up.probe = f.data,
                    "gallery" => up.gallery.push(f.data),
                    name => set_text(&mut up, name, &f.text()?)?,
                }
            }
        }
        Encoding::Raw => up.probe = bytes,
    }
    if up.probe.is_empty() {
        return Err(ApiError::bad_request("missing_probe", "the request has no probe image (or an empty one)"));
    }
    if up.gallery.iter().any(Bytes::is_empty) {
        return Err(ApiError::bad_request("empty_image", "a gallery image is empty (0 bytes)"));
    }
    Ok(up)
}

fn set_text(up: &mut FaceUpload, name: &str, text: &str) -> Result<(), ApiError> {
    match name {
        "person" => up.person = Some(text.to_string()),
        "policy" => up.policy = Some(text.to_string()),
        "threshold" => up.threshold = Some(parse_number(text, "threshold")?),
        "liveness_threshold" => up.liveness_threshold = Some(parse_number(text, "liveness_threshold")?),
        "top" => {
            up.top = Some(
                text.trim()
                    .parse()
                    .map_err(|_| ApiError::bad_request("bad_field", format!("top {text:?} is not a whole number")))?,
            )
        }
        other => return Err(ApiError::bad_request("unknown_field", format!("field {other:?} is not accepted here"))),
    }
    Ok(())
}

/// A JSON body, with serde's message (line, column, the unknown field) on failure.
pub fn parse_json<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(bytes).map_err(|e| ApiError::bad_request("bad_json", format!("invalid JSON body: {e}")))
}

pub fn parse_number(text: &str, what: &str) -> Result<f64, ApiError> {
    text.trim().parse().map_err(|_| ApiError::bad_request("bad_field", format!("{what} {text:?} is not a number")))
}

/// Standard base64 (padding optional, whitespace ignored), or a `data:image/...;base64,` URL of it.
pub fn decode_text_image(text: &str) -> Result<Bytes, ApiError> {
    const LENIENT: GeneralPurpose = GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
    );
    let data = match text.strip_prefix("data:") {
        Some(rest) => {
            let Some((meta, data)) = rest.split_once(',') else {
                return Err(ApiError::bad_request("bad_data_url", "a data URL needs a `,` before its data"));
            };
            if !meta.ends_with(";base64") {
                return Err(ApiError::bad_request("bad_data_url", "only base64 data URLs are accepted (`;base64,`)"));
            }
            data
        }
        None => text,
    };
    let cleaned: Vec<u8> = data.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    LENIENT
        .decode(cleaned)
        .map(Bytes::from)
        .map_err(|e| ApiError::bad_request("bad_base64", format!("the image is not valid base64: {e}")))
}

/// One part of a multipart body.
pub struct Field {
    pub name: String,
    pub data: Bytes,
}

impl Field {
    pub fn text(&self) -> Result<String, ApiError> {
        String::from_utf8(self.data.to_vec()).map_err(|_| {
            ApiError::bad_request("bad_field", format!("multipart field {:?} is not UTF-8 text", self.name))
        })
    }
}

/// The parts of a multipart body already read (and size-checked) into `bytes`.
pub async fn multipart_fields(parts: Parts, bytes: Bytes) -> Result<Vec<Field>, ApiError> {
    let bad =
        |e: &dyn std::fmt::Display| ApiError::bad_request("bad_multipart", format!("invalid multipart body: {e}"));
    let req = Request::from_parts(parts, Body::from(bytes));
    let mut mp = Multipart::from_request(req, &()).await.map_err(|e| bad(&e))?;
    let mut fields = Vec::new();
    while let Some(f) = mp.next_field().await.map_err(|e| bad(&e))? {
        let name = f.name().unwrap_or("").to_string();
        let data = f.bytes().await.map_err(|e| bad(&e))?;
        fields.push(Field { name, data });
    }
    Ok(fields)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_and_data_urls_decode_to_the_same_bytes() {
        let want = Bytes::from_static(b"\xff\xd8\xff\xe0 jpeg");
        for text in ["/9j/4CBqcGVn", "/9j/4CBq\ncGVn", "data:image/jpeg;base64,/9j/4CBqcGVn"] {
            assert_eq!(decode_text_image(text).unwrap(), want, "{text}");
        }
        assert_eq!(decode_text_image("not base64!").unwrap_err().code, "bad_base64");
        assert_eq!(decode_text_image("data:image/jpeg,abc").unwrap_err().code, "bad_data_url");
    }

    #[test]
    fn content_types_choose_the_encoding() {
        let with = |v: &str| {
            let mut h = HeaderMap::new();
            h.insert(header::CONTENT_TYPE, v.parse().unwrap());
            encoding(&h)
        };
        assert_eq!(with("application/json; charset=utf-8").unwrap(), Encoding::Json);
        assert_eq!(with("multipart/form-data; boundary=x").unwrap(), Encoding::Multipart);
        assert_eq!(with("IMAGE/JPEG").unwrap(), Encoding::Raw);
        assert_eq!(with("text/plain").unwrap_err().status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
        assert_eq!(encoding(&HeaderMap::new()).unwrap_err().code, "unsupported_media_type");
    }
}
