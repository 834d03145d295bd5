//! The order (docs/spec.md §3): types, and their decoding in documented field order, then
//! the order-level checks (qty signs, no redemption in a refund).
use crate::decode::Fields;
use crate::error::{CalcError, Domain, ErrorPath};
use crate::input::{expected, Node};
use crate::original::{self, Original};
use crate::path::Path;
use chrono::NaiveDateTime;
use rust_decimal::Decimal;
use std::fmt;
use std::sync::Arc;

#[derive(Debug, Clone, PartialEq)]
pub struct Order {
    pub uid: String,
    /// UTC.
    pub date_order: NaiveDateTime,
    pub partner_id: Option<i64>,
    pub card: Option<Card>,
    pub membership: Option<MembershipSnapshot>,
    pub lines: Vec<Line>,
    pub redeem: Vec<RedeemItem>,
    pub refund_of: Option<String>,
    /// The sale a refund refunds (docs/spec.md §4.12 v2); `None`: nothing is given back.
    pub original: Option<Original>,
}

impl Order {
    pub fn is_refund(&self) -> bool {
        self.refund_of.is_some()
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Card {
    pub id: i64,
    pub program_id: i64,
    pub points: Decimal,
}

/// The membership snapshot taken when the order was created.
#[derive(Debug, Clone, PartialEq)]
pub struct MembershipSnapshot {
    pub partner_id: Option<i64>,
    pub tier: Option<String>,
    pub evaluated_at: NaiveDateTime,
    pub valid_until: NaiveDateTime,
}

/// A line id as the caller gave it; results are keyed by it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum LineId {
    Int(i64),
    Text(String),
}

/// As Python shows it (`3`, `'a'`), for error messages.
impl fmt::Display for LineId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LineId::Int(id) => write!(f, "{id}"),
            LineId::Text(text) => write!(f, "'{text}'"),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    pub id: LineId,
    pub product_id: i64,
    /// Shared, not copied: a caller replaying millions of lines (the audit) gives every line
    /// of a product the same list.
    pub category_ids: Arc<[i64]>,
    pub qty: Decimal,
    pub price_unit: Decimal,
    /// Manual discount in percent, [0, 100].
    pub discount: Decimal,
    /// In a refund, the id of the `original` line it refunds.
    pub origin_line_id: Option<LineId>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RedeemItem {
    pub reward_id: i64,
    pub points: Decimal,
}

const ORDER_KEYS: [&str; 9] = [
    "uid",
    "date_order",
    "partner_id",
    "card",
    "membership",
    "lines",
    "redeem",
    "refund_of",
    "original",
];
const CARD_KEYS: [&str; 3] = ["id", "program_id", "points"];
const MEMBERSHIP_KEYS: [&str; 4] = ["partner_id", "tier", "evaluated_at", "valid_until"];
const LINE_KEYS: [&str; 7] = [
    "id",
    "product_id",
    "category_ids",
    "qty",
    "price_unit",
    "discount",
    "origin_line_id",
];
const REDEEM_KEYS: [&str; 2] = ["reward_id", "points"];

const DOMAIN: Domain = Domain::Order;

/// `lines[index].<field>`.
pub(crate) fn line_field(index: usize, field: &'static str) -> ErrorPath {
    ErrorPath::root().key("lines").index(index).key(field)
}

impl Order {
    /// Decodes and checks an order; the first error in documented field order wins, then the
    /// order-level checks run line by line.
    pub fn decode<N: Node>(node: &N) -> Result<Order, CalcError> {
        let root = Path::Root;
        let mut fields = Fields::read(node, &root, DOMAIN, &ORDER_KEYS)?;
        let uid = fields.nonempty_text(0)?;
        let date_order = fields.datetime(1)?;
        let partner_id = fields.nullable_int(2)?;
        let card = match fields.optional(3) {
            Some(node) => Some(decode_card(&node, &fields.field_path(3))?),
            None => None,
        };
        let membership = match fields.optional(4) {
            Some(node) => Some(decode_membership(&node, &fields.field_path(4))?),
            None => None,
        };

        let line_nodes = fields.list(5, false)?;
        let lines_path = fields.field_path(5);
        let mut lines = Vec::with_capacity(line_nodes.len());
        for (index, line_node) in line_nodes.iter().enumerate() {
            lines.push(decode_line(line_node, &lines_path.index(index))?);
        }

        let redeem_nodes = fields.list(6, true)?;
        let redeem_path = fields.field_path(6);
        let mut redeem = Vec::with_capacity(redeem_nodes.len());
        for (index, item_node) in redeem_nodes.iter().enumerate() {
            redeem.push(decode_redeem_item(item_node, &redeem_path.index(index))?);
        }

        let refund_of = fields.nullable_text(7)?;
        // Decoded after the order-level checks (docs/spec.md, v2 refunds).
        let original_node = fields.optional(8);

        let mut order = Order {
            uid,
            date_order,
            partner_id,
            card,
            membership,
            lines,
            redeem,
            refund_of,
            original: None,
        };
        order.check_signs()?;
        order.check_sale_has_no_origin(original_node.is_some())?;
        if let Some(node) = original_node {
            let path = fields.field_path(8);
            order.original = Some(original::decode(&node, &path, &order.lines)?);
        }
        Ok(order)
    }

    /// `original` and `origin_line_id` only make sense in a refund.
    fn check_sale_has_no_origin(&self, has_original: bool) -> Result<(), CalcError> {
        if self.is_refund() {
            return Ok(());
        }
        if has_original {
            return Err(DOMAIN.error(ErrorPath::root().key("original"), "only in a refund"));
        }
        match self.lines.iter().position(|l| l.origin_line_id.is_some()) {
            Some(index) => {
                Err(DOMAIN.error(line_field(index, "origin_line_id"), "only in a refund"))
            }
            None => Ok(()),
        }
    }

    /// A sale has only positive quantities, a refund only negative ones and no redemption.
    fn check_signs(&self) -> Result<(), CalcError> {
        let refund = self.is_refund();
        for (index, line) in self.lines.iter().enumerate() {
            let reason = if refund && line.qty >= Decimal::ZERO {
                "must be < 0 in a refund"
            } else if !refund && line.qty <= Decimal::ZERO {
                "must be > 0 in a sale"
            } else {
                continue;
            };
            return Err(DOMAIN.error(line_field(index, "qty"), reason));
        }
        if refund && !self.redeem.is_empty() {
            return Err(DOMAIN.error(ErrorPath::root().key("redeem"), "must be empty in a refund"));
        }
        Ok(())
    }
}

fn decode_card<N: Node>(node: &N, path: &Path<'_>) -> Result<Card, CalcError> {
    let mut fields = Fields::read(node, path, DOMAIN, &CARD_KEYS)?;
    let id = fields.int(0)?;
    let program_id = fields.int(1)?;
    let points = fields.decimal(2)?;
    if points < Decimal::ZERO {
        return Err(fields.error(2, "must be >= 0"));
    }
    Ok(Card {
        id,
        program_id,
        points,
    })
}

fn decode_membership<N: Node>(node: &N, path: &Path<'_>) -> Result<MembershipSnapshot, CalcError> {
    let mut fields = Fields::read(node, path, DOMAIN, &MEMBERSHIP_KEYS)?;
    let partner_id = fields.nullable_int(0)?;
    let tier = fields.nullable_text(1)?;
    let evaluated_at = fields.datetime(2)?;
    let valid_until = fields.datetime(3)?;
    Ok(MembershipSnapshot {
        partner_id,
        tier,
        evaluated_at,
        valid_until,
    })
}

fn decode_line<N: Node>(node: &N, path: &Path<'_>) -> Result<Line, CalcError> {
    let mut fields = Fields::read(node, path, DOMAIN, &LINE_KEYS)?;
    let id_node = fields.required(0)?;
    let id = line_id(&fields, 0, &id_node)?;
    let product_id = fields.int(1)?;
    let category_ids = fields.id_list(2)?;
    let qty = fields.decimal(3)?;
    let price_unit = fields.decimal(4)?;
    if price_unit < Decimal::ZERO {
        return Err(fields.error(4, "must be >= 0"));
    }
    let discount = fields.decimal_or(5, Decimal::ZERO)?;
    if discount < Decimal::ZERO || discount > Decimal::ONE_HUNDRED {
        return Err(fields.error(5, "must be in [0, 100]"));
    }
    let origin_line_id = match fields.optional(6) {
        Some(node) => Some(line_id(&fields, 6, &node)?),
        None => None,
    };
    Ok(Line {
        id,
        product_id,
        category_ids: category_ids.into(),
        qty,
        price_unit,
        discount,
        origin_line_id,
    })
}

/// A line id: an int, or a non-empty str.
pub(crate) fn line_id<N: Node, const K: usize>(
    fields: &Fields<'_, N, K>,
    index: usize,
    node: &N,
) -> Result<LineId, CalcError> {
    match node.int() {
        Ok(id) => Ok(LineId::Int(id)),
        Err(int_reason) => match node.text() {
            Ok(text) if !text.is_empty() => Ok(LineId::Text(text)),
            Ok(_) => Err(fields.error(index, "must not be empty")),
            // An int out of range says so; anything else is the wrong type.
            Err(_) if int_reason.contains("range") => Err(fields.error(index, int_reason)),
            Err(_) => Err(fields.error(index, expected("an int or a non-empty str", node))),
        },
    }
}

fn decode_redeem_item<N: Node>(node: &N, path: &Path<'_>) -> Result<RedeemItem, CalcError> {
    let mut fields = Fields::read(node, path, DOMAIN, &REDEEM_KEYS)?;
    let reward_id = fields.int(0)?;
    let points = fields.positive_decimal(1)?;
    Ok(RedeemItem { reward_id, points })
}
