//! What the derived OpenAPI document cannot say by itself, added from the types the
//! server really uses: the allowed values of each vocabulary field, read from the
//! domain's own lists (so a new channel or category appears in the document the day it
//! exists); the fields a creation requires (a body shared by POST and PATCH declares
//! none, so the POST gets a copy that requires them); and closed response objects
//! (`additionalProperties: false`), so that a key the server returns and the document
//! does not name is a schema violation that schemathesis reports in CI.

use candor_domain::communication::{Category, Rule};
use candor_domain::consent::{staff_may_record, Action, Channel, Source};
use candor_domain::contact::ContactKind;
use candor_domain::contract::ContractStatus;
use candor_domain::personal::Locale;
use candor_domain::request::{RefusalReason, RequestChannel, RequestKind, RequestStatus};
use candor_domain::Role;
use serde_json::Value;
use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::schema::{AdditionalProperties, Schema};
use utoipa::openapi::{OpenApi, Ref, RefOr};

/// The sources and actions a staff member (or another system with a staff token) may
/// send, from the one rule table: the person's own acts and imports are not among them.
fn staff_sources() -> Vec<&'static str> {
    Source::ALL
        .iter()
        .filter(|s| staff_may_record(Role::Admin, Action::Withdraw, **s).is_ok())
        .map(|s| s.as_str())
        .collect()
}

fn staff_actions() -> Vec<&'static str> {
    Action::ALL
        .iter()
        .filter(|a| {
            Role::ALL.iter().any(|r| {
                Source::ALL
                    .iter()
                    .any(|s| staff_may_record(*r, **a, *s).is_ok())
            })
        })
        .map(|a| a.as_str())
        .collect()
}

/// The channels staff may record a request through: `portal` is the person's own.
fn staff_request_channels() -> Vec<&'static str> {
    names(RequestChannel::ALL, RequestChannel::as_str)
        .into_iter()
        .filter(|c| *c != RequestChannel::Portal.as_str())
        .collect()
}

fn names<T: Copy>(all: &[T], name: fn(T) -> &'static str) -> Vec<&'static str> {
    all.iter().map(|v| name(*v)).collect()
}

/// Every (schema, property) whose value is one word of a vocabulary.
fn vocabularies() -> Vec<(&'static str, &'static str, Vec<&'static str>)> {
    let channels = names(Channel::ALL, Channel::as_str);
    let categories = names(Category::ALL, Category::as_str);
    let campaign_categories: Vec<&'static str> = names(
        &candor_app::campaigns::campaign_categories(Role::Admin),
        Category::as_str,
    );
    vec![
        (
            "ContactBody",
            "kind",
            names(ContactKind::ALL, ContactKind::as_str),
        ),
        ("ContactBody", "locale", names(Locale::ALL, Locale::as_str)),
        (
            "Contact",
            "kind",
            names(ContactKind::ALL, ContactKind::as_str),
        ),
        ("Contact", "locale", names(Locale::ALL, Locale::as_str)),
        ("ConsentBody", "channel", channels.clone()),
        ("ConsentBody", "action", staff_actions()),
        ("ConsentBody", "source", staff_sources()),
        ("DecisionBody", "category", categories.clone()),
        ("DecisionBody", "channel", channels.clone()),
        ("DecisionAnswer", "category", categories),
        ("DecisionAnswer", "channel", channels),
        ("DecisionAnswer", "rule", names(Rule::ALL, Rule::id)),
        ("CampaignBody", "category", campaign_categories),
        ("CampaignBody", "channel", vec![Channel::Email.as_str()]),
        (
            "ContractBody",
            "status",
            names(ContractStatus::ALL, ContractStatus::as_str),
        ),
        (
            "Contract",
            "status",
            names(ContractStatus::ALL, ContractStatus::as_str),
        ),
        (
            "RequestBody",
            "kind",
            names(RequestKind::ALL, RequestKind::as_str),
        ),
        ("RequestBody", "channel", staff_request_channels()),
        (
            "Request",
            "kind",
            names(RequestKind::ALL, RequestKind::as_str),
        ),
        (
            "Request",
            "channel",
            names(RequestChannel::ALL, RequestChannel::as_str),
        ),
        (
            "Request",
            "status",
            names(RequestStatus::ALL, RequestStatus::as_str),
        ),
        (
            "RefusalBody",
            "reason",
            names(RefusalReason::ALL, RefusalReason::as_str),
        ),
        (
            "AuditEntryDoc",
            "action",
            names(&candor_domain::audit::AuditAction::ALL, |a| a.as_str()),
        ),
    ]
}

/// The copies of shared bodies a creation uses, with the fields it requires.
const CREATIONS: &[(&str, &str, &str, &[&str])] = &[
    (
        "/api/v1/contacts",
        "ContactBody",
        "NewContact",
        &["kind", "last_name"],
    ),
    ("/api/v1/companies", "CompanyBody", "NewCompany", &["name"]),
    (
        "/api/v1/contacts/{id}/contracts",
        "ContractBody",
        "NewContract",
        &["reference", "starts_on"],
    ),
    (
        "/api/v1/companies/{id}/contracts",
        "ContractBody",
        "NewContract",
        &["reference", "starts_on"],
    ),
];

/// The response objects: what the server returns has no key they do not name.
const CLOSED: &[&str] = &[
    "AuditEntryDoc",
    "Company",
    "CompanyPage",
    "Contact",
    "ContactPage",
    "Contract",
    "ContractList",
    "DecisionAnswer",
    "ErrorBody",
    "ErrorDetail",
    "FieldDetail",
    "Health",
    "Order",
    "OrderList",
    "OutboxMessage",
    "Recorded",
    "Segment",
    "SegmentPreview",
    "CatalogueDoc",
    "Request",
    "RequestWithTimeline",
    "ReceiptKey",
    "DeliveryDoc",
];

pub(super) fn tighten(doc: &mut OpenApi) {
    let Some(components) = doc.components.as_mut() else {
        return;
    };
    for (schema, property, values) in vocabularies() {
        let Some(RefOr::T(Schema::Object(o))) = components.schemas.get_mut(schema) else {
            panic!("the OpenAPI document has no schema {schema}");
        };
        let Some(RefOr::T(Schema::Object(p))) = o.properties.get_mut(property) else {
            panic!("the OpenAPI schema {schema} has no property {property}");
        };
        let mut allowed: Vec<Value> = values.into_iter().map(Value::from).collect();
        // A nullable property (`["string", "null"]`) also takes null.
        if serde_json::to_value(&p.schema_type).is_ok_and(|t| {
            t.as_array()
                .is_some_and(|a| a.contains(&Value::from("null")))
        }) {
            allowed.push(Value::Null);
        }
        p.enum_values = Some(allowed);
    }
    for name in CLOSED {
        let Some(RefOr::T(Schema::Object(o))) = components.schemas.get_mut(*name) else {
            panic!("the OpenAPI document has no schema {name}");
        };
        o.additional_properties = Some(Box::new(AdditionalProperties::FreeForm(false)));
    }
    for (path, shared, new, required) in CREATIONS {
        if !components.schemas.contains_key(*new) {
            let Some(RefOr::T(Schema::Object(o))) = components.schemas.get(*shared).cloned() else {
                panic!("the OpenAPI document has no schema {shared}");
            };
            let mut o = o;
            o.required = required.iter().map(|r| (*r).to_owned()).collect();
            components
                .schemas
                .insert((*new).to_owned(), RefOr::T(Schema::Object(o)));
        }
        let post = doc
            .paths
            .paths
            .get_mut(*path)
            .and_then(|item| item.post.as_mut())
            .unwrap_or_else(|| panic!("the OpenAPI document has no POST {path}"));
        point_body_at(post, new);
    }
    list_filters(doc);
}

fn point_body_at(op: &mut Operation, schema: &str) {
    if let Some(body) = op.request_body.as_mut() {
        for content in body.content.values_mut() {
            content.schema = Some(RefOr::Ref(Ref::from_schema_name(schema)));
        }
    }
}

/// Query parameters that take one word of a vocabulary.
fn list_filters(doc: &mut OpenApi) {
    let kinds: Vec<Value> = names(ContactKind::ALL, ContactKind::as_str)
        .into_iter()
        .map(Value::from)
        .collect();
    if let Some(get) = doc
        .paths
        .paths
        .get_mut("/api/v1/contacts")
        .and_then(|i| i.get.as_mut())
    {
        for p in get.parameters.iter_mut().flatten() {
            if p.name == "kind" && p.parameter_in == ParameterIn::Query {
                if let Some(RefOr::T(Schema::Object(o))) = p.schema.as_mut() {
                    o.enum_values = Some(kinds.clone());
                }
            }
        }
    }
}
