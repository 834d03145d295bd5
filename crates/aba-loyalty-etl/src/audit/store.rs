//! The audit report in the engine database (migration 0005): the report, its findings and the
//! proposed adjust moves, in one transaction.
use postgres::Client;
use rust_decimal::Decimal;

use super::AuditReport;
use crate::error::{DbContext, Result, Side};
use crate::schema::SCHEMA;

pub fn store(client: &mut Client, r: &AuditReport) -> Result<i64> {
    let json = serde_json::to_value(r).unwrap_or_default();
    let mut tx = client
        .transaction()
        .db(Side::Target, "storing the audit report")?;
    let id: i64 = tx
        .query_one(
            &format!(
                "INSERT INTO {SCHEMA}.audit_reports (started_at, duration_ms, since, until, threshold,
                     orders_audited, cards_audited, findings, cards_with_difference, alert, report)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id"
            ),
            &[
                &r.started_at,
                &r.duration_ms,
                &r.since,
                &r.until,
                &(r.threshold.min(i64::MAX as u64) as i64),
                &(r.orders_audited as i64),
                &(r.cards_audited as i64),
                &(r.findings_count as i64),
                &(r.cards_with_difference as i64),
                &r.alert,
                &postgres::types::Json(&json),
            ],
        )
        .db(Side::Target, "storing the audit report")?
        .get(0);
    // The stored document carries its own id, like the returned one.
    tx.execute(
        &format!("UPDATE {SCHEMA}.audit_reports SET report = jsonb_set(report, '{{report_id}}', to_jsonb(id)) WHERE id = $1"),
        &[&id],
    )
    .db(Side::Target, "storing the audit report")?;
    if !r.findings.is_empty() {
        let kinds: Vec<&str> = r.findings.iter().map(|f| f.kind).collect();
        let cards: Vec<i32> = r.findings.iter().map(|f| f.card_id).collect();
        let orders: Vec<Option<i32>> = r.findings.iter().map(|f| f.order_id).collect();
        let odoo: Vec<&str> = r.findings.iter().map(|f| f.odoo.as_str()).collect();
        let engine: Vec<&str> = r.findings.iter().map(|f| f.engine.as_str()).collect();
        tx.execute(
            &format!(
                "INSERT INTO {SCHEMA}.audit_findings (report_id, kind, card_id, order_id, odoo_value, engine_value)
                 SELECT $1, * FROM unnest($2::text[], $3::int[], $4::int[], $5::text[], $6::text[])"
            ),
            &[&id, &kinds, &cards, &orders, &odoo, &engine],
        )
        .db(Side::Target, "storing the audit findings")?;
    }
    let adjusted: Vec<_> = r
        .cards
        .iter()
        .filter_map(|c| c.adjust.as_ref().map(|a| (c, a)))
        .collect();
    if !adjusted.is_empty() {
        let cards: Vec<i32> = adjusted.iter().map(|(c, _)| c.card_id).collect();
        let programs: Vec<i32> = adjusted.iter().map(|(c, _)| c.program_id).collect();
        let odoo: Vec<Decimal> = adjusted.iter().map(|(c, _)| c.odoo_balance).collect();
        let replayed: Vec<Decimal> = adjusted.iter().map(|(c, _)| c.replayed_balance).collect();
        let points: Vec<Decimal> = adjusted.iter().map(|(_, a)| a.points).collect();
        let reasons: Vec<&str> = adjusted.iter().map(|(_, a)| a.reason.as_str()).collect();
        tx.execute(
            &format!(
                "INSERT INTO {SCHEMA}.audit_adjustments (report_id, card_id, program_id, odoo_balance, replayed_balance, points, reason)
                 SELECT $1, * FROM unnest($2::int[], $3::int[], $4::numeric[], $5::numeric[], $6::numeric[], $7::text[])"
            ),
            &[&id, &cards, &programs, &odoo, &replayed, &points, &reasons],
        )
        .db(Side::Target, "storing the proposed adjust moves")?;
    }
    tx.commit().db(Side::Target, "storing the audit report")?;
    Ok(id)
}
