//! `liveness models list | verify | fetch`.

use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context as _, Result, bail};

use super::Context;
use crate::cli::ModelsCommand;
use crate::model::descriptor::{Descriptor, Member};
use crate::model::integrity::sha256_file;
use crate::model::{check_signature, session};
use crate::schema::DETECTOR_FILE;

pub fn run(ctx: &Context, cmd: &ModelsCommand) -> Result<ExitCode> {
    match cmd {
        ModelsCommand::List => list(ctx),
        ModelsCommand::Verify { names } => verify(ctx, names),
        ModelsCommand::Fetch { name } => fetch(ctx, name),
    }
}

fn list(ctx: &Context) -> Result<ExitCode> {
    crate::escape::say!("models folder: {}", ctx.models_dir.display());
    crate::escape::say!("{:<16} {:<8} {:<44} DESCRIPTION", "NAME", "FILES", "MEMBERS");
    for d in ctx.catalog()?.values() {
        let members = d.files();
        let present = members.iter().filter(|f| ctx.models_dir.join(f).is_file()).count();
        crate::escape::say!(
            "{:<16} {:<8} {:<44} {} [{}]",
            d.name,
            format!("{present}/{}", members.len()),
            members.join(" + "),
            d.description,
            d.origin
        );
    }
    let det = if ctx.models_dir.join(DETECTOR_FILE).is_file() { "present" } else { "missing" };
    crate::escape::say!("face detector: {DETECTOR_FILE} ({det})");
    Ok(ExitCode::SUCCESS)
}

fn verify(ctx: &Context, names: &[String]) -> Result<ExitCode> {
    let catalog = ctx.catalog()?;
    let chosen: Vec<&Descriptor> = if names.is_empty() {
        catalog.values().collect()
    } else {
        names.iter().map(|n| catalog.get(n).with_context(|| format!("unknown model `{n}`"))).collect::<Result<_>>()?
    };
    let mut failures = 0;
    let mut report = |what: &str, r: Result<()>| match r {
        Ok(()) => crate::escape::say!("ok    {what}"),
        Err(e) => {
            failures += 1;
            crate::escape::say!("FAIL  {what}: {e:#}");
        }
    };
    let detector = crate::detect::descriptor::builtin()?;
    report(&format!("detector {}", detector.file), check_file(&ctx.models_dir.join(&detector.file), &detector.sha256));
    for d in chosen {
        for m in &d.members {
            report(&format!("{} / {} ({})", d.name, m.name, m.file), verify_member(&ctx.models_dir, m));
        }
        if let Some(e) = &d.embedding {
            let loaded = crate::recognition::Embedder::load(d, &ctx.models_dir).map(drop);
            report(&format!("{} ({})", d.name, e.file), loaded);
        }
    }
    Ok(if failures == 0 { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

fn verify_member(dir: &Path, m: &Member) -> Result<()> {
    let path = dir.join(&m.file);
    check_file(&path, &m.sha256)?;
    check_signature(m, &session::signature(&session::open(&path)?))
}

/// The file exists and its sha256 is the recorded one.
fn check_file(path: &Path, sha256: &str) -> Result<()> {
    if !path.is_file() {
        bail!("{} not found (see `liveness models fetch` or --models-dir)", path.display());
    }
    let got = sha256_file(path)?;
    if !got.eq_ignore_ascii_case(sha256) {
        bail!("{}: sha256 is {got}, expected {sha256} (wrong or corrupted file)", path.display());
    }
    Ok(())
}

fn fetch(ctx: &Context, name: &str) -> Result<ExitCode> {
    let catalog = ctx.catalog()?;
    let d = crate::model::descriptor::resolve(name, &catalog)?;
    std::fs::create_dir_all(&ctx.models_dir).with_context(|| format!("cannot create {}", ctx.models_dir.display()))?;
    for m in &d.members {
        let dest = ctx.models_dir.join(&m.file);
        if check_file(&dest, &m.sha256).is_ok() {
            crate::escape::say!("ok    {} already present", dest.display());
            continue;
        }
        let Some(url) = &m.url else {
            bail!(
                "`{}` has no download URL ({}). Place {} in {} by hand.",
                m.name,
                m.source,
                m.file,
                ctx.models_dir.display()
            )
        };
        crate::escape::say!("fetch {url}");
        let part = dest.with_extension("onnx.part");
        download(url, &part)?;
        let got = sha256_file(&part)?;
        if !got.eq_ignore_ascii_case(&m.sha256) {
            let _ = std::fs::remove_file(&part);
            bail!(
                "{url}: downloaded file has sha256 {got}, expected {} (upstream changed?); nothing was kept",
                m.sha256
            );
        }
        std::fs::rename(&part, &dest)?;
        crate::escape::say!("ok    {}", dest.display());
    }
    Ok(ExitCode::SUCCESS)
}

fn download(url: &str, to: &Path) -> Result<()> {
    let mut resp =
        ureq::get(url).call().with_context(|| format!("cannot download {url} (is the internet reachable?)"))?;
    let mut file = std::fs::File::create(to).with_context(|| format!("cannot write {}", to.display()))?;
    std::io::copy(&mut resp.body_mut().as_reader(), &mut file)
        .with_context(|| format!("download of {url} interrupted"))?;
    Ok(())
}
