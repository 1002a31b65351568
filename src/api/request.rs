//! The request side: one image into the body a vendor expects, with the extra fields and headers the user
//! gave. Header values take `$VAR` / `${VAR}` from the environment when the run starts, so a token lives
//! only in the process's memory: the run folder records header names and the templates, never a value.

use anyhow::{Result, bail};
use base64::Engine as _;
use serde::Serialize;
use serde_json::{Map, Value};

/// How the image travels.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Body {
    /// A JSON object with the base64 image in `field` (as `data:image/...;base64,...` with `data_url`).
    Json { field: String, data_url: bool },
    /// `multipart/form-data` with the image as the file part `field`.
    Multipart { field: String },
    /// The image bytes as the whole body, `Content-Type` from the image's own signature.
    Raw,
}

/// The request template of a run.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Template {
    pub body: Body,
    /// Extra JSON fields (multipart: text parts), value templates as given (`$VAR` expanded when sent).
    pub extra: Vec<(String, String)>,
    /// Extra headers, `(name, value template)`; only the names are recorded.
    #[serde(serialize_with = "names_only")]
    pub headers: Vec<(String, String)>,
}

fn names_only<S: serde::Serializer>(h: &[(String, String)], s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(h.iter().map(|(n, _)| n))
}

/// A template with its `$VAR`s read from the environment: what each request is built from.
pub struct Resolved {
    body: Body,
    extra: Vec<(String, Value)>,
    pub headers: Vec<(String, String)>,
}

/// `Name: value`, as `--api-header` takes it.
pub fn parse_header(text: &str) -> Result<(String, String)> {
    match text.split_once(':') {
        Some((name, value))
            if !name.trim().is_empty() && name.trim().bytes().all(|b| b.is_ascii_graphic() && b != b':') =>
        {
            Ok((name.trim().to_owned(), value.trim().to_owned()))
        }
        _ => bail!("--api-header {text:?}: write 'Name: value', e.g. 'Authorization: Bearer $VENDOR_TOKEN'"),
    }
}

/// `NAME=VALUE`, as `--api-extra` takes it.
pub fn parse_extra(text: &str) -> Result<(String, String)> {
    match text.split_once('=') {
        Some((name, value)) if !name.trim().is_empty() => Ok((name.trim().to_owned(), value.to_owned())),
        _ => bail!("--api-extra {text:?}: write NAME=VALUE, e.g. policy=onboarding or threshold=0.5"),
    }
}

impl Template {
    /// Reads every `$VAR` from `env`; a variable that is unset or empty is an error naming the option,
    /// the variable and the fix (the value itself is never shown).
    pub fn resolve(&self, env: impl Fn(&str) -> Option<String>) -> Result<Resolved> {
        let headers = self
            .headers
            .iter()
            .map(|(n, v)| Ok((n.clone(), expand(v, &env, &format!("--api-header '{n}: {v}'"))?)))
            .collect::<Result<Vec<_>>>()?;
        let extra = self
            .extra
            .iter()
            .map(|(n, v)| {
                let text = expand(v, &env, &format!("--api-extra '{n}={v}'"))?;
                // A value that is JSON (a number, true, an object) is sent as that; anything else as a string.
                let value = if v.contains('$') {
                    Value::String(text)
                } else {
                    serde_json::from_str(&text).unwrap_or(Value::String(text))
                };
                Ok((n.clone(), value))
            })
            .collect::<Result<Vec<_>>>()?;
        if let Body::Json { field, .. } = &self.body
            && self.extra.iter().any(|(n, _)| n == field)
        {
            bail!("--api-extra names the field {field:?} that carries the image (--api-field)");
        }
        Ok(Resolved { body: self.body.clone(), extra, headers })
    }
}

/// `$VAR` and `${VAR}` replaced by the variable's value; `$$` is a `$`.
fn expand(template: &str, env: &impl Fn(&str) -> Option<String>, what: &str) -> Result<String> {
    let mut out = String::new();
    let mut rest = template;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        if let Some(tail) = after.strip_prefix('$') {
            out.push('$');
            rest = tail;
            continue;
        }
        let (name, tail) = match after.strip_prefix('{') {
            Some(braced) => match braced.find('}') {
                Some(end) => (&braced[..end], &braced[end + 1..]),
                None => bail!("{what}: unclosed ${{ (write ${{NAME}}, or $$ for a literal $)"),
            },
            None => {
                let end = after.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(after.len());
                after.split_at(end)
            }
        };
        let valid = name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !valid {
            bail!(
                "{what}: ${name:?} is not an environment variable name (write $NAME or ${{NAME}}, $$ for a literal $)"
            );
        }
        match env(name) {
            Some(v) if !v.is_empty() => out.push_str(&v),
            Some(_) => bail!("{what}: the environment variable {name} is empty; export it with the value to send"),
            None => bail!(
                "{what}: the environment variable {name} is not set; export it first (e.g. `export {name}=...`). \
                 Its value is sent with each request and never written to the run folder"
            ),
        }
        rest = tail;
    }
    out.push_str(rest);
    Ok(out)
}

/// The media type of an image from its first bytes (`application/octet-stream` when unknown).
pub fn media_type(bytes: &[u8]) -> &'static str {
    match bytes {
        [0xFF, 0xD8, 0xFF, ..] => "image/jpeg",
        [0x89, b'P', b'N', b'G', ..] => "image/png",
        [b'R', b'I', b'F', b'F', _, _, _, _, b'W', b'E', b'B', b'P', ..] => "image/webp",
        [b'B', b'M', ..] => "image/bmp",
        _ => "application/octet-stream",
    }
}

/// The multipart boundary: fixed, and long and odd enough not to occur in an image by chance.
const BOUNDARY: &str = "liveness-api-eval-0b7c2f4e9a1d";

impl Resolved {
    /// The `Content-Type` and body for `image`, named `file_name` where the format names files.
    pub fn body(&self, image: &[u8], file_name: &str) -> (String, Vec<u8>) {
        let media = media_type(image);
        match &self.body {
            Body::Raw => (media.to_owned(), image.to_vec()),
            Body::Json { field, data_url } => {
                let b64 = base64::engine::general_purpose::STANDARD.encode(image);
                let value = if *data_url { format!("data:{media};base64,{b64}") } else { b64 };
                let mut obj = Map::new();
                obj.insert(field.clone(), Value::String(value));
                obj.extend(self.extra.iter().cloned());
                ("application/json".to_owned(), Value::Object(obj).to_string().into_bytes())
            }
            Body::Multipart { field } => {
                let mut body = Vec::with_capacity(image.len() + 512);
                let safe_name: String =
                    file_name.chars().map(|c| if c == '"' || c == '\\' || c.is_control() { '_' } else { c }).collect();
                body.extend_from_slice(
                    format!(
                        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"{safe_name}\"\r\n\
                         Content-Type: {media}\r\n\r\n"
                    )
                    .as_bytes(),
                );
                body.extend_from_slice(image);
                body.extend_from_slice(b"\r\n");
                for (name, value) in &self.extra {
                    let text = match value {
                        Value::String(s) => s.clone(),
                        other => other.to_string(),
                    };
                    body.extend_from_slice(
                        format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{text}\r\n")
                            .as_bytes(),
                    );
                }
                body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
                (format!("multipart/form-data; boundary={BOUNDARY}"), body)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(name: &str) -> Option<String> {
        match name {
            "TOKEN" => Some("s3cret".into()),
            "EMPTY" => Some(String::new()),
            _ => None,
        }
    }

    fn template(body: Body, extra: &[(&str, &str)], headers: &[(&str, &str)]) -> Template {
        let pairs = |p: &[(&str, &str)]| p.iter().map(|(a, b)| ((*a).to_owned(), (*b).to_owned())).collect();
        Template { body, extra: pairs(extra), headers: pairs(headers) }
    }

    #[test]
    fn headers_take_the_environment_and_a_missing_variable_is_named() {
        let t = template(Body::Raw, &[], &[("Authorization", "Bearer $TOKEN"), ("X-Id", "a-${TOKEN}-$$1")]);
        let r = t.resolve(env).unwrap();
        assert_eq!(
            r.headers,
            [("Authorization".into(), "Bearer s3cret".into()), ("X-Id".into(), "a-s3cret-$1".into())]
        );
        let missing = template(Body::Raw, &[], &[("Authorization", "Bearer $VENDOR_TOKEN")]);
        let e = missing.resolve(env).err().unwrap().to_string();
        assert!(
            e.contains("VENDOR_TOKEN is not set") && e.contains("--api-header 'Authorization: Bearer $VENDOR_TOKEN'"),
            "{e}"
        );
        let empty = template(Body::Raw, &[], &[("A", "$EMPTY")]).resolve(env).err().unwrap().to_string();
        assert!(empty.contains("EMPTY is empty"), "{empty}");
        let bad = template(Body::Raw, &[], &[("A", "${TOKEN")]).resolve(env).err().unwrap().to_string();
        assert!(bad.contains("unclosed"), "{bad}");
        // The record names the headers only.
        let recorded = serde_json::to_string(&t).unwrap();
        assert!(
            recorded.contains("\"headers\":[\"Authorization\",\"X-Id\"]") && !recorded.contains("TOKEN"),
            "{recorded}"
        );
    }

    #[test]
    fn bodies_carry_the_image_as_each_format_wants() {
        let jpeg = [0xFF, 0xD8, 0xFF, 0xE0, 1, 2];
        let json = template(
            Body::Json { field: "data".into(), data_url: false },
            &[("policy", "onboarding"), ("t", "0.5")],
            &[],
        );
        let (ct, body) = json.resolve(env).unwrap().body(&jpeg, "a.jpg");
        let v: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(
            (ct.as_str(), v),
            ("application/json", serde_json::json!({"data": "/9j/4AEC", "policy": "onboarding", "t": 0.5}))
        );
        let url = template(Body::Json { field: "image".into(), data_url: true }, &[], &[]);
        let v: Value = serde_json::from_slice(&url.resolve(env).unwrap().body(&jpeg, "a").1).unwrap();
        assert_eq!(v["image"], "data:image/jpeg;base64,/9j/4AEC");
        let (ct, body) = template(Body::Raw, &[], &[]).resolve(env).unwrap().body(b"\x89PNG\r\n", "x");
        assert_eq!((ct.as_str(), body.as_slice()), ("image/png", &b"\x89PNG\r\n"[..]));
        let form = template(Body::Multipart { field: "file".into() }, &[("policy", "login")], &[]);
        let (ct, body) = form.resolve(env).unwrap().body(&jpeg, "we\"ird.jpg");
        assert_eq!(ct, format!("multipart/form-data; boundary={BOUNDARY}"));
        let text = String::from_utf8_lossy(&body);
        assert!(text.contains("name=\"file\"; filename=\"we_ird.jpg\"\r\nContent-Type: image/jpeg"), "{text}");
        assert!(
            text.contains("name=\"policy\"\r\n\r\nlogin\r\n") && text.ends_with(&format!("--{BOUNDARY}--\r\n")),
            "{text}"
        );
        let clash = template(Body::Json { field: "data".into(), data_url: false }, &[("data", "x")], &[]);
        assert!(clash.resolve(env).is_err());
    }

    #[test]
    fn options_are_parsed_with_the_fix_in_the_error() {
        assert_eq!(parse_header("Authorization: Bearer $T").unwrap(), ("Authorization".into(), "Bearer $T".into()));
        assert!(parse_header("no colon").unwrap_err().to_string().contains("'Name: value'"));
        assert_eq!(parse_extra("policy=a=b").unwrap(), ("policy".into(), "a=b".into()));
        assert!(parse_extra("=x").is_err());
    }
}
