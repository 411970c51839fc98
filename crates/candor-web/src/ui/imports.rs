//! Imports in the back office (O3, admin): upload a CSV, see how it is read, how its
//! columns map and its first rows as they will be stored, adjust the mapping, read the
//! dry run of the whole file, then start the import, which runs as a job whose
//! progress the page shows; the refused rows are a download.
//!
//! The same use cases as `candor import contacts` do the work (`preview_import`,
//! `import_contacts`), so the page and the command give the same result for the same
//! file and options. An upload waits in its own directory under the work directory
//! (the file, `options.json`, the rejects): the file is deleted when its import
//! finishes (its rows are in the store then), and the directory with the refused rows
//! when the admin deletes it from the job's page.

use super::i18n::Texts;
use super::{app_error, constant_eq, render, render_with, Chrome, Posted, Staff, CSRF_KEY};
use askama::Template;
use axum::extract::{Multipart, Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Extension;
use candor_app::import::{
    may_carry_a_choice, preset_names, ImportOptions, ImportPreview, ImportProgress, ImportReport,
    OnDuplicate,
};
use candor_app::{AppError, Candor};
use candor_domain::contact::ContactKind;
use candor_domain::Role;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::io::Write;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use tower_sessions::Session;
use uuid::Uuid;

/// The largest file the page takes (the command line has no limit).
pub const UPLOAD_LIMIT: usize = 256 * 1024 * 1024;

/// Rows shown as they will be stored.
const PREVIEW_ROWS: usize = 10;

/// The options of one upload, kept beside it so every step reads the same.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct UploadOptions {
    /// The file's name as the admin's computer called it (shown, never a path).
    file_name: String,
    preset: Option<String>,
    /// `(column, field)`; an empty field leaves the column out knowingly.
    maps: Vec<(String, String)>,
    kind: Option<String>,
    on_duplicate: String,
    purposes: Vec<String>,
    /// The job, once started: the file is gone when it finishes, the id stays.
    #[serde(default)]
    job_id: Option<String>,
    /// Queue no consent request now (they are sent later from the imports page).
    #[serde(default)]
    hold_requests: bool,
}

impl UploadOptions {
    fn import_options(&self, dir: &std::path::Path) -> ImportOptions {
        ImportOptions {
            preset: self.preset.clone(),
            maps: self.maps.clone(),
            on_duplicate: if self.on_duplicate == "skip" {
                OnDuplicate::Skip
            } else {
                OnDuplicate::Merge
            },
            kind: match self.kind.as_deref() {
                Some("b2b") => Some(ContactKind::B2b),
                Some("b2c") => Some(ContactKind::B2c),
                _ => None,
            },
            purposes: self.purposes.clone(),
            batch_size: 1000,
            rejects_path: dir.join("rejects.csv"),
            dry_run: false,
            consent_requests: !self.hold_requests,
        }
    }
}

/// The imports started from this server, by upload: where they are, and how they
/// ended. A job outlives a restart in the store; this only adds the live progress.
#[derive(Default)]
pub struct ImportRuns(Mutex<HashMap<Uuid, Run>>);

#[derive(Clone)]
struct Run {
    progress: Option<ImportProgress>,
    outcome: Option<Result<ImportReport, String>>,
}

impl ImportRuns {
    fn get(&self, id: Uuid) -> Option<Run> {
        self.0.lock().ok()?.get(&id).cloned()
    }

    fn set(&self, id: Uuid, f: impl FnOnce(&mut Run)) {
        if let Ok(mut m) = self.0.lock() {
            let run = m.entry(id).or_insert(Run {
                progress: None,
                outcome: None,
            });
            f(run);
        }
    }
}

fn unless_admin(staff: &Staff) -> Option<Response> {
    (staff.actor.role != Role::Admin)
        .then(|| super::message_page(StatusCode::FORBIDDEN, staff.t(), staff.t().forbidden))
}

fn upload_dir(app: &Candor, id: Uuid) -> PathBuf {
    app.settings().work_dir.join(id.to_string())
}

/// The name the file is kept under in its directory: its own, made safe (the job and
/// its list show it), or `upload.csv`.
fn stored_name(original: &str) -> String {
    let safe: String = original
        .chars()
        .filter(|c| c.is_alphanumeric() || "-_. ".contains(*c))
        .collect();
    let safe = safe.trim().trim_start_matches('.').to_owned();
    match safe.as_str() {
        "" | "options.json" | "rejects.csv" | "dry-run-rejects.csv" => "upload.csv".into(),
        _ => safe,
    }
}

/// The uploaded file of an upload.
fn upload_file(app: &Candor, id: Uuid, o: &UploadOptions) -> PathBuf {
    upload_dir(app, id).join(stored_name(&o.file_name))
}

/// An upload's options, for an admin; any other role is refused, an unknown upload is
/// not found.
fn upload_of(app: &Candor, staff: &Staff, id: Uuid) -> Result<UploadOptions, Box<Response>> {
    if let Some(r) = unless_admin(staff) {
        return Err(Box::new(r));
    }
    let t = staff.t();
    read_options(app, id)
        .ok_or_else(|| Box::new(super::message_page(StatusCode::NOT_FOUND, t, t.not_found)))
}

fn read_options(app: &Candor, id: Uuid) -> Option<UploadOptions> {
    let raw = std::fs::read(upload_dir(app, id).join("options.json")).ok()?;
    serde_json::from_slice(&raw).ok()
}

fn write_options(app: &Candor, id: Uuid, o: &UploadOptions) -> std::io::Result<()> {
    let raw = serde_json::to_vec_pretty(o).map_err(std::io::Error::other)?;
    std::fs::write(upload_dir(app, id).join("options.json"), raw)
}

/// A choice of a select.
pub struct Opt {
    value: String,
    label: String,
    selected: bool,
}

pub struct JobLine {
    file_name: String,
    started: String,
    finished: String,
    created: u64,
    merged: u64,
    rejected: u64,
    withdrawals: u64,
}

#[derive(Template)]
#[template(path = "imports.html")]
struct IndexPage {
    c: Chrome,
    presets: Vec<Opt>,
    purposes: Vec<Opt>,
    jobs: Vec<JobLine>,
    error: Option<String>,
    /// People with an email never asked.
    never_asked: u64,
    notice: Option<String>,
}

fn when(t: time::OffsetDateTime) -> String {
    t.format(time::macros::format_description!(
        "[year]-[month]-[day] [hour]:[minute]"
    ))
    .unwrap_or_default()
}

async fn index_page(app: &Candor, staff: Staff, error: Option<String>) -> Response {
    index_page_with(app, staff, error, None).await
}

async fn index_page_with(
    app: &Candor,
    staff: Staff,
    error: Option<String>,
    notice: Option<String>,
) -> Response {
    let t = staff.t();
    let jobs = match app.store.imports().recent(20).await {
        Ok(j) => j,
        Err(e) => return app_error(t, e.into()),
    };
    let never_asked = match app.store.contacts().count_never_asked().await {
        Ok(n) => n.max(0) as u64,
        Err(e) => return app_error(t, e.into()),
    };
    let page = IndexPage {
        presets: preset_names()
            .into_iter()
            .map(|p| Opt {
                value: p.to_owned(),
                label: p.to_owned(),
                selected: false,
            })
            .collect(),
        purposes: super::consent_purposes(&app.catalogue(), t)
            .into_iter()
            .map(|c| Opt {
                value: c.value,
                label: c.label,
                selected: false,
            })
            .collect(),
        jobs: jobs
            .into_iter()
            .map(|j| JobLine {
                file_name: j.file_name,
                started: when(j.started_at),
                finished: j
                    .finished_at
                    .map_or_else(|| t.imp_not_finished.to_owned(), when),
                created: j.counts.created,
                merged: j.counts.merged,
                rejected: j.counts.rejected,
                withdrawals: j.counts.withdrawals,
            })
            .collect(),
        error,
        never_asked,
        notice,
        c: staff.chrome,
    };
    if page.error.is_some() {
        render_with(StatusCode::UNPROCESSABLE_ENTITY, &page)
    } else {
        render(&page)
    }
}

/// `GET /imports`: the upload form and the latest jobs.
pub async fn index(State(app): State<Candor>, staff: Staff) -> Response {
    if let Some(r) = unless_admin(&staff) {
        return r;
    }
    index_page(&app, staff, None).await
}

/// `POST /imports`: a file and its options, as `multipart/form-data`. The CSRF token
/// comes first in the form, and is checked before a byte of the file is kept.
pub async fn upload(
    State(app): State<Candor>,
    session: Session,
    staff: Staff,
    mut form: Multipart,
) -> Response {
    if let Some(r) = unless_admin(&staff) {
        return r;
    }
    let t = staff.t();
    let expected = session.get::<String>(CSRF_KEY).await.ok().flatten();
    let id = Uuid::now_v7();
    let dir = upload_dir(&app, id);
    let mut opts = UploadOptions {
        on_duplicate: "merge".into(),
        ..UploadOptions::default()
    };
    let mut csrf_ok = false;
    let mut got_file = false;
    loop {
        let field = match form.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(_) => {
                let _ = std::fs::remove_dir_all(&dir);
                return super::message_page(StatusCode::BAD_REQUEST, t, t.imp_upload_broken);
            }
        };
        let name = field.name().unwrap_or_default().to_owned();
        if name == "csrf" {
            let given = field.text().await.unwrap_or_default();
            csrf_ok = expected
                .as_deref()
                .is_some_and(|e| !given.is_empty() && constant_eq(e, &given));
            continue;
        }
        if !csrf_ok {
            let _ = std::fs::remove_dir_all(&dir);
            return super::message_page(StatusCode::FORBIDDEN, t, t.csrf_refused);
        }
        match name.as_str() {
            "file" => {
                opts.file_name = field
                    .file_name()
                    .map(|n| n.rsplit(['/', '\\']).next().unwrap_or(n).to_owned())
                    .unwrap_or_default();
                if let Err(r) = save_file(&dir, &stored_name(&opts.file_name), field, t).await {
                    let _ = std::fs::remove_dir_all(&dir);
                    return r;
                }
                got_file = true;
            }
            "preset" => {
                let v = field.text().await.unwrap_or_default();
                opts.preset = (!v.is_empty()).then_some(v);
            }
            "kind" => {
                let v = field.text().await.unwrap_or_default();
                opts.kind = (!v.is_empty()).then_some(v);
            }
            "on_duplicate" => opts.on_duplicate = field.text().await.unwrap_or_default(),
            "hold_requests" => opts.hold_requests = field.text().await.is_ok_and(|v| v == "1"),
            "purposes" => opts.purposes.push(field.text().await.unwrap_or_default()),
            _ => {}
        }
    }
    if !csrf_ok {
        return super::message_page(StatusCode::FORBIDDEN, t, t.csrf_refused);
    }
    let empty =
        std::fs::metadata(dir.join(stored_name(&opts.file_name))).map_or(true, |m| m.len() == 0);
    if !got_file || empty {
        let _ = std::fs::remove_dir_all(&dir);
        return index_page(&app, staff, Some(t.imp_upload_missing.to_owned())).await;
    }
    if let Err(e) = write_options(&app, id, &opts) {
        tracing::error!(error = %e, "an upload's options could not be written");
        return super::internal();
    }
    Redirect::to(&format!("/imports/{id}")).into_response()
}

async fn save_file(
    dir: &std::path::Path,
    name: &str,
    mut field: axum::extract::multipart::Field<'_>,
    t: &'static Texts,
) -> Result<(), Response> {
    let fail = |e: std::io::Error| {
        tracing::error!(error = %e, "an upload could not be kept");
        super::internal()
    };
    std::fs::create_dir_all(dir).map_err(fail)?;
    let mut f = std::fs::File::create(dir.join(name)).map_err(fail)?;
    loop {
        match field.chunk().await {
            Ok(Some(bytes)) => f.write_all(&bytes).map_err(fail)?,
            Ok(None) => break,
            Err(_) => {
                return Err(super::message_page(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    t,
                    t.imp_upload_broken,
                ))
            }
        }
    }
    f.flush().map_err(fail)
}

pub struct ColumnLine {
    index: usize,
    header: String,
    /// The field the preset or an earlier choice gives it, shown as the default.
    current: String,
    /// It may say what the person chose and nothing reads it yet.
    needs_decision: bool,
    options: Vec<Opt>,
}

pub struct RowLine {
    line: u64,
    values: String,
    consents: String,
    errors: String,
}

pub struct Figure {
    label: &'static str,
    value: u64,
    id: &'static str,
}

pub struct RejectLine {
    line: u64,
    column: String,
    message: String,
}

#[derive(Template)]
#[template(path = "import_preview.html")]
struct PreviewPage {
    c: Chrome,
    id: String,
    file_name: String,
    format: String,
    preset: String,
    problem: Option<String>,
    /// The tool the columns are read as: the upload's choice, or detection (empty).
    presets: Vec<Opt>,
    columns: Vec<ColumnLine>,
    rows: Vec<RowLine>,
    figures: Vec<Figure>,
    rejects: Vec<RejectLine>,
    has_rejects: bool,
    can_start: bool,
}

/// Refused rows as a page lists them, the reason in the reader's language.
fn reject_lines(t: &Texts, rejects: &[candor_app::import::ImportReject]) -> Vec<RejectLine> {
    rejects
        .iter()
        .map(|r| RejectLine {
            line: r.line,
            column: r.field.clone(),
            message: super::i18n::field_message(t, &r.rule, &r.message),
        })
        .collect()
}

/// The summary's figures, in the order a person reads them.
fn figures(t: &Texts, c: &candor_app::import::ImportCounts) -> Vec<Figure> {
    vec![
        Figure {
            label: t.imp_created,
            value: c.created,
            id: "created",
        },
        Figure {
            label: t.imp_merged,
            value: c.merged,
            id: "merged",
        },
        Figure {
            label: t.imp_skipped,
            value: c.skipped,
            id: "skipped",
        },
        Figure {
            label: t.imp_rejected,
            value: c.rejected,
            id: "rejected",
        },
        Figure {
            label: t.imp_grants,
            value: c.grants,
            id: "grants",
        },
        Figure {
            label: t.imp_confirmations,
            value: c.confirmations,
            id: "confirmations",
        },
        Figure {
            label: t.imp_withdrawals,
            value: c.withdrawals,
            id: "withdrawals",
        },
        Figure {
            label: t.imp_undeliverable,
            value: c.undeliverable,
            id: "undeliverable",
        },
        Figure {
            label: t.imp_names_split,
            value: c.names_split,
            id: "names-split",
        },
        Figure {
            label: t.imp_requests,
            value: c.requests,
            id: "requests",
        },
        Figure {
            label: t.imp_requests_held,
            value: c.requests_held,
            id: "requests-held",
        },
    ]
}

/// Why a file cannot be imported as it is, in the reader's words.
fn problem_text(t: &Texts, e: &AppError) -> String {
    let AppError::Invalid(errs) = e else {
        return t.error_title.to_owned();
    };
    errs.0
        .iter()
        .map(|x| match x.rule {
            "preset_undetected" => t.import_preset_undetected.to_owned(),
            "preset_ambiguous" => t.import_preset_ambiguous.to_owned(),
            "choice_column_unmapped" => t.import_choice_columns.to_owned(),
            "last_name_column_required" => t.import_no_last_name.to_owned(),
            "required" if x.field == "kind" => t.import_no_kind.to_owned(),
            _ => format!(
                "{}: {}",
                x.field,
                super::i18n::field_message(t, x.rule, &x.message)
            ),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// `GET /imports/{id}`: how the file is read and mapped, its first rows as stored, and
/// the dry run of the whole file. Nothing is written but the rejects file.
pub async fn preview(State(app): State<Candor>, staff: Staff, Path(id): Path<Uuid>) -> Response {
    let o = match upload_of(&app, &staff, id) {
        Ok(o) => o,
        Err(r) => return *r,
    };
    let t = staff.t();
    let dir = upload_dir(&app, id);
    let file = upload_file(&app, id, &o);
    let opts = ImportOptions {
        rejects_path: dir.join("dry-run-rejects.csv"),
        ..o.import_options(&dir)
    };
    let targets = app.import_targets(staff.actor.role);
    let result = app
        .preview_import(&staff.actor, &file, &opts, PREVIEW_ROWS)
        .await;
    let (preview, problem): (Option<ImportPreview>, Option<String>) = match result {
        Ok(p) => (Some(p), None),
        Err(e @ AppError::Invalid(_)) => (None, Some(problem_text(t, &e))),
        Err(e) => return app_error(t, e),
    };
    // The columns: from the mapping when the file maps, else from the header alone.
    let chosen: HashMap<String, String> = o
        .maps
        .iter()
        .map(|(c, f)| (c.trim().to_lowercase(), f.clone()))
        .collect();
    let columns: Vec<(String, Option<String>)> = match &preview {
        Some(p) => p
            .columns
            .iter()
            .map(|c| (c.header.clone(), c.field.clone()))
            .collect(),
        None => match app.import_headers(&file) {
            Ok(h) => h
                .into_iter()
                .map(|h| {
                    let f = chosen.get(&h.trim().to_lowercase()).cloned();
                    (h, f.filter(|f| !f.is_empty()))
                })
                .collect(),
            Err(e) => return app_error(t, e),
        },
    };
    let columns = columns
        .into_iter()
        .enumerate()
        .map(|(index, (header, field))| {
            let decided = chosen.contains_key(&header.trim().to_lowercase());
            let current = field.clone().unwrap_or_default();
            let mut options = vec![Opt {
                value: "=".into(),
                label: match &field {
                    Some(f) => format!("{} {f}", t.import_as_read),
                    None if decided => t.import_left_out_knowingly.to_owned(),
                    None => t.import_not_read.to_owned(),
                },
                selected: true,
            }];
            options.push(Opt {
                value: String::new(),
                label: t.import_leave_out.to_owned(),
                selected: false,
            });
            options.extend(targets.iter().map(|f| Opt {
                value: f.clone(),
                label: f.clone(),
                selected: false,
            }));
            ColumnLine {
                index,
                needs_decision: field.is_none() && !decided && may_carry_a_choice(&header),
                header,
                current,
                options,
            }
        })
        .collect();
    let (format, preset, rows, figs, rejects) = match &preview {
        Some(p) => (
            p.report.format.clone(),
            p.report.preset.clone(),
            p.rows
                .iter()
                .map(|r| RowLine {
                    line: r.line,
                    values: r
                        .values
                        .iter()
                        .map(|(k, v)| format!("{k}: {v}"))
                        .collect::<Vec<_>>()
                        .join(" · "),
                    consents: r.consents.join(" · "),
                    errors: super::field_errors(t, &candor_domain::FieldErrors(r.errors.clone()))
                        .join(" · "),
                })
                .collect(),
            figures(t, &p.report.counts),
            reject_lines(t, &p.report.first_rejects),
        ),
        None => (
            String::new(),
            String::new(),
            Vec::new(),
            Vec::new(),
            Vec::new(),
        ),
    };
    let presets = preset_names()
        .into_iter()
        .map(|p| Opt {
            value: p.to_owned(),
            label: p.to_owned(),
            selected: o.preset.as_deref() == Some(p),
        })
        .collect();
    let page = PreviewPage {
        id: id.to_string(),
        presets,
        file_name: o.file_name,
        format,
        preset,
        can_start: preview.is_some(),
        problem,
        columns,
        rows,
        figures: figs,
        has_rejects: !rejects.is_empty(),
        rejects,
        c: staff.chrome,
    };
    render(&page)
}

/// `POST /imports/{id}/mapping`: the admin's choices for some columns, over the preset.
pub async fn mapping(
    State(app): State<Candor>,
    staff: Staff,
    Path(id): Path<Uuid>,
    // `col.N` = the field for column N: `=` keeps what is read, empty leaves it out.
    Posted(cols): Posted<HashMap<String, String>>,
) -> Response {
    let mut o = match upload_of(&app, &staff, id) {
        Ok(o) => o,
        Err(r) => return *r,
    };
    let t = staff.t();
    let headers = match app.import_headers(&upload_file(&app, id, &o)) {
        Ok(h) => h,
        Err(e) => return app_error(t, e),
    };
    if let Some(p) = cols.get("preset") {
        o.preset = (!p.is_empty()).then(|| p.clone());
    }
    for (i, h) in headers.iter().enumerate() {
        let Some(v) = cols.get(&format!("col.{i}")) else {
            continue;
        };
        if v == "=" {
            continue;
        }
        let key = h.trim().to_lowercase();
        o.maps.retain(|(c, _)| c.trim().to_lowercase() != key);
        o.maps.push((h.clone(), v.clone()));
    }
    if let Err(e) = write_options(&app, id, &o) {
        tracing::error!(error = %e, "an upload's options could not be written");
        return super::internal();
    }
    Redirect::to(&format!("/imports/{id}")).into_response()
}

/// `POST /imports/{id}/start`: the import, as a job in the background. Starting the
/// same upload again resumes its job where it stopped (a restart of the server
/// included); while it runs, a second start changes nothing.
pub async fn start(
    State(app): State<Candor>,
    Extension(runs): Extension<Arc<ImportRuns>>,
    staff: Staff,
    Path(id): Path<Uuid>,
    Posted(_): Posted<super::auth::Empty>,
) -> Response {
    let o = match upload_of(&app, &staff, id) {
        Ok(o) => o,
        Err(r) => return *r,
    };
    let t = staff.t();
    let running = runs.get(id).is_some_and(|r| r.outcome.is_none());
    // A finished import has no file left: there is nothing to start again.
    let file_left = upload_file(&app, id, &o).exists();
    if !running && file_left {
        runs.set(id, |r| {
            r.progress = None;
            r.outcome = None;
        });
        let dir = upload_dir(&app, id);
        let opts = o.import_options(&dir);
        let file = upload_file(&app, id, &o);
        let mut o = o;
        if o.job_id.is_none() {
            match app.import_job_id(&file, &opts) {
                Ok(j) => o.job_id = Some(j),
                Err(e) => return app_error(t, e),
            }
            if let Err(e) = write_options(&app, id, &o) {
                tracing::error!(error = %e, "an upload's options could not be written");
                return super::internal();
            }
        }
        let actor = staff.actor.clone();
        let (app2, runs2) = (app.clone(), runs.clone());
        tokio::spawn(async move {
            let progress_runs = runs2.clone();
            let mut progress = move |p: ImportProgress| {
                progress_runs.set(id, |r| r.progress = Some(p));
            };
            let outcome = app2
                .import_contacts(&actor, &file, &opts, &mut progress)
                .await;
            match &outcome {
                // Its rows are in the store: the file goes.
                Ok(_) => {
                    let _ = std::fs::remove_file(&file);
                }
                Err(e) => tracing::error!(error = %e, "a back-office import stopped"),
            }
            runs2.set(id, |r| r.outcome = Some(outcome.map_err(|e| e.to_string())));
        });
    }
    Redirect::to(&format!("/imports/{id}/job")).into_response()
}

#[derive(Template)]
#[template(path = "import_job.html")]
struct JobPage {
    c: Chrome,
    id: String,
    file_name: String,
    state: &'static str,
    running: bool,
    failed: bool,
    percent: u64,
    records: u64,
    figures: Vec<Figure>,
    rejects: Vec<RejectLine>,
    has_rejects_file: bool,
    resumable: bool,
    deletable: bool,
}

/// `GET /imports/{id}/job`: where the import is, from the job the store keeps and, for
/// a job running here, its live progress. The page refreshes itself while it runs.
pub async fn job(
    State(app): State<Candor>,
    Extension(runs): Extension<Arc<ImportRuns>>,
    staff: Staff,
    Path(id): Path<Uuid>,
) -> Response {
    let o = match upload_of(&app, &staff, id) {
        Ok(o) => o,
        Err(r) => return *r,
    };
    let t = staff.t();
    let dir = upload_dir(&app, id);
    let Some(job_id) = o.job_id.clone() else {
        return Redirect::to(&format!("/imports/{id}")).into_response();
    };
    let stored = match app.store.imports().job(&job_id).await {
        Ok(j) => j,
        Err(e) => return app_error(t, e.into()),
    };
    let run = runs.get(id);
    let running = run.as_ref().is_some_and(|r| r.outcome.is_none());
    let failed = matches!(run.as_ref().and_then(|r| r.outcome.as_ref()), Some(Err(_)));
    let report = match run.as_ref().and_then(|r| r.outcome.as_ref()) {
        Some(Ok(rep)) => Some(rep.clone()),
        _ => None,
    };
    let finished = stored.as_ref().is_some_and(|j| j.finished_at.is_some());
    let counts = match (&report, &stored, run.as_ref().and_then(|r| r.progress)) {
        (Some(rep), _, _) => rep.counts,
        (None, _, Some(p)) => p.counts,
        (None, Some(j), None) => j.counts,
        (None, None, None) => candor_app::import::ImportCounts::default(),
    };
    let percent = match run.as_ref().and_then(|r| r.progress) {
        _ if finished => 100,
        Some(p) if p.total_bytes > 0 => (p.bytes * 100 / p.total_bytes).min(99),
        _ => 0,
    };
    let records = run
        .as_ref()
        .and_then(|r| r.progress)
        .map(|p| p.records)
        .or(stored.as_ref().map(|j| j.next_record))
        .unwrap_or(0);
    let state = if failed {
        t.import_failed
    } else if finished && !running {
        t.import_done
    } else if running {
        t.import_running
    } else {
        t.import_stopped
    };
    let file_left = upload_file(&app, id, &o).exists();
    let page = JobPage {
        id: id.to_string(),
        file_name: o.file_name,
        state,
        running,
        failed,
        percent,
        records,
        figures: figures(t, &counts),
        rejects: report
            .map(|r| reject_lines(t, &r.first_rejects))
            .unwrap_or_default(),
        has_rejects_file: finished && dir.join("rejects.csv").exists(),
        resumable: !running && !finished && file_left,
        deletable: !running,
        c: staff.chrome,
    };
    render(&page)
}

/// `GET /imports/{id}/rejects.csv`: the refused rows with their line, column and rule,
/// every cell neutralised for spreadsheets.
pub async fn rejects(State(app): State<Candor>, staff: Staff, Path(id): Path<Uuid>) -> Response {
    let o = match upload_of(&app, &staff, id) {
        Ok(o) => o,
        Err(r) => return *r,
    };
    let t = staff.t();
    let Ok(body) = std::fs::read(upload_dir(&app, id).join("rejects.csv")) else {
        return super::message_page(StatusCode::NOT_FOUND, t, t.not_found);
    };
    let stem = o
        .file_name
        .trim_end_matches(".csv")
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || "-_.".contains(*c))
        .collect::<String>();
    let name = if stem.is_empty() {
        "import".into()
    } else {
        stem
    };
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}.rejects.csv\""),
            ),
        ],
        body,
    )
        .into_response()
}

/// `POST /imports/{id}/delete`: the upload's directory (its file if still there, its
/// refused rows) goes; the job's counts stay in the store. Not while it runs.
pub async fn delete(
    State(app): State<Candor>,
    Extension(runs): Extension<Arc<ImportRuns>>,
    staff: Staff,
    Path(id): Path<Uuid>,
    Posted(_): Posted<super::auth::Empty>,
) -> Response {
    if let Err(r) = upload_of(&app, &staff, id) {
        return *r;
    }
    let t = staff.t();
    if runs.get(id).is_some_and(|r| r.outcome.is_none()) {
        return super::message_page(StatusCode::CONFLICT, t, t.imp_still_running);
    }
    if let Err(e) = std::fs::remove_dir_all(upload_dir(&app, id)) {
        tracing::error!(error = %e, "an upload could not be deleted");
        return super::internal();
    }
    Redirect::to("/imports").into_response()
}

/// `POST /imports/consent-requests`: asks every contact never asked, where the rules
/// allow it now (the requests an import held, among others).
pub async fn send_requests(
    State(app): State<Candor>,
    staff: Staff,
    Posted(_): Posted<super::auth::Empty>,
) -> Response {
    if let Some(r) = unless_admin(&staff) {
        return r;
    }
    let t = staff.t();
    match app.send_consent_requests(&staff.actor, false).await {
        Ok(r) => {
            let notice = format!(
                "{} {} {} {}",
                r.queued,
                t.imp_requests_sent,
                r.never_asked - r.queued,
                t.imp_requests_not_sent
            );
            index_page_with(&app, staff, None, Some(notice)).await
        }
        Err(e) => app_error(t, e),
    }
}
