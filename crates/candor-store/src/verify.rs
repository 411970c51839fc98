//! Chain checking shared by the backends: they stream entries in (subject, seq) order
//! with the subject's head, and this groups them and reports breaks.

use crate::model::VerifyReport;
use candor_domain::chain::{verify_chain_from, ChainBreak, Chained};

/// Accumulates one subject's entries at a time.
pub struct Verifier<E> {
    pub report: VerifyReport,
    current: Vec<E>,
    head: Option<(i64, String)>,
    /// Where the current subject's chain starts, when retention removed its oldest
    /// entries.
    base: Option<(i64, String)>,
    /// A subject one of whose entries could not be read: already reported, its other
    /// entries are counted but not checked.
    unreadable: Option<uuid::Uuid>,
}

impl<E> Default for Verifier<E> {
    fn default() -> Self {
        Self {
            report: VerifyReport::default(),
            current: Vec::new(),
            head: None,
            base: None,
            unreadable: None,
        }
    }
}

impl<E: Chained> Verifier<E> {
    pub fn push(&mut self, e: E, head: Option<(i64, String)>, base: Option<(i64, String)>) {
        if self.unreadable == Some(e.subject()) {
            self.report.entries += 1;
            return;
        }
        if self
            .current
            .first()
            .is_some_and(|f| f.subject() != e.subject())
        {
            self.flush();
        }
        self.head = head;
        self.base = base;
        self.report.entries += 1;
        self.current.push(e);
    }

    /// An entry whose row no longer reads as an entry: reported as altered, by id (nil
    /// when even the id is unreadable), and its subject's chain is not checked further.
    pub fn unreadable(&mut self, subject: Option<uuid::Uuid>, id: Option<uuid::Uuid>, seq: i64) {
        let subject = subject.unwrap_or_default();
        if self.current.first().is_some_and(|f| f.subject() == subject) {
            // Entries already read of this subject are part of a broken chain.
            self.current.clear();
            self.head = None;
        } else {
            self.flush();
        }
        self.report.entries += 1;
        if self.unreadable != Some(subject) {
            self.report.subjects += 1;
            self.report.breaks.push((
                subject,
                ChainBreak::Altered {
                    id: id.unwrap_or_default(),
                    seq,
                },
            ));
        }
        self.unreadable = Some(subject);
    }

    /// A head whose subject has no entries left: the whole chain was removed.
    pub fn orphan_head(&mut self, subject: uuid::Uuid, head_seq: i64) {
        self.report.subjects += 1;
        self.report.breaks.push((
            subject,
            ChainBreak::Truncated {
                last_seq: 0,
                head_seq,
            },
        ));
    }

    fn flush(&mut self) {
        if self.current.is_empty() {
            return;
        }
        self.report.subjects += 1;
        let subject = self.current[0].subject();
        let head = self.head.take();
        let base = self.base.take();
        let base = base
            .as_ref()
            .map_or((0, candor_domain::chain::GENESIS), |(n, h)| {
                (*n, h.as_str())
            });
        let result = match head.as_ref() {
            // Entries without a head: the head row itself was removed.
            None => Err(ChainBreak::Truncated {
                last_seq: self.current.last().map_or(0, |e| e.seq()),
                head_seq: 0,
            }),
            Some((s, h)) => verify_chain_from(&self.current, base, Some((*s, h.as_str()))),
        };
        if let Err(b) = result {
            self.report.breaks.push((subject, b));
        }
        self.current.clear();
    }

    pub fn finish(mut self) -> VerifyReport {
        self.flush();
        self.report
    }
}
