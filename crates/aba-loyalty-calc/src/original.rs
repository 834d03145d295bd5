//! The sale a refund refunds (docs/spec.md §4.12, "Refunds give back spent
//! points"): the `original` input, decoded in documented field order, then tied to the
//! refund's lines (`origin_line_id`, quantities refunded so far).
use crate::decode::Fields;
use crate::error::{CalcError, Domain, Reason};
use crate::exact;
use crate::input::Node;
use crate::order::{line_id, Line, LineId};
use crate::path::Path;
use rust_decimal::Decimal;

#[derive(Debug, Clone, PartialEq)]
pub struct Original {
    pub lines: Vec<OriginalLine>,
    pub redemptions: Vec<OriginalRedemption>,
    /// Points earlier refunds of this sale already gave back.
    pub returned: Decimal,
    /// Per original line, the quantity refunded once this refund is done: `refunded_qty` +
    /// Σ |qty| of this refund's lines on it.
    pub refunded_after: Vec<Decimal>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct OriginalLine {
    pub id: LineId,
    /// Quantity sold (> 0).
    pub qty: Decimal,
    /// Quantity refunded before this refund, in [0, qty].
    pub refunded_qty: Decimal,
}

/// One redemption of the sale, as its result gave it.
#[derive(Debug, Clone, PartialEq)]
pub struct OriginalRedemption {
    pub reward_id: i64,
    /// Points it spent (> 0).
    pub points: Decimal,
    /// Its whole discount (>= 0).
    pub amount: Decimal,
    /// (index into [`Original::lines`], share), in the order given.
    pub lines: Vec<(usize, Decimal)>,
}

impl Original {
    pub fn line_index(&self, id: &LineId) -> Option<usize> {
        self.lines.iter().position(|line| line.id == *id)
    }

    /// Every original line refunded in full once this refund is done.
    pub fn fully_refunded(&self) -> bool {
        self.lines
            .iter()
            .zip(&self.refunded_after)
            .all(|(line, refunded)| *refunded == line.qty)
    }
}

const ORIGINAL_KEYS: [&str; 3] = ["lines", "redemptions", "returned"];
const LINE_KEYS: [&str; 3] = ["id", "qty", "refunded_qty"];
const REDEMPTION_KEYS: [&str; 4] = ["reward_id", "points", "amount", "lines"];

const DOMAIN: Domain = Domain::Order;

/// Decodes `original` at `path` and checks the refund's `lines` against it, first error wins:
/// its own fields in documented order, then every `origin_line_id`, then the running refunded
/// quantity per refund line.
pub fn decode<N: Node>(node: &N, path: &Path<'_>, refund: &[Line]) -> Result<Original, CalcError> {
    let mut fields = Fields::read(node, path, DOMAIN, &ORIGINAL_KEYS)?;

    let line_nodes = fields.list(0, false)?;
    let lines_path = fields.field_path(0);
    let mut lines: Vec<OriginalLine> = Vec::with_capacity(line_nodes.len());
    for (index, line_node) in line_nodes.iter().enumerate() {
        let line = decode_line(line_node, &lines_path.index(index), &lines)?;
        lines.push(line);
    }

    let redemption_nodes = fields.list(1, true)?;
    let redemptions_path = fields.field_path(1);
    let mut redemptions = Vec::with_capacity(redemption_nodes.len());
    let mut points_spent = Decimal::ZERO;
    for (index, redemption_node) in redemption_nodes.iter().enumerate() {
        let redemption =
            decode_redemption(redemption_node, &redemptions_path.index(index), &lines)?;
        points_spent = exact::add(points_spent, redemption.points, "original.redemptions")?;
        redemptions.push(redemption);
    }

    let returned = fields.decimal_or(2, Decimal::ZERO)?;
    if returned < Decimal::ZERO {
        return Err(fields.error(2, "must be >= 0"));
    }
    if returned > points_spent {
        return Err(fields.error(2, "more than the redemptions spent"));
    }

    let mut original = Original {
        lines,
        redemptions,
        returned,
        refunded_after: Vec::new(),
    };
    original.refunded_after = refunded_after(&original, refund)?;
    Ok(original)
}

fn decode_line<N: Node>(
    node: &N,
    path: &Path<'_>,
    earlier: &[OriginalLine],
) -> Result<OriginalLine, CalcError> {
    let mut fields = Fields::read(node, path, DOMAIN, &LINE_KEYS)?;
    let id_node = fields.required(0)?;
    let id = line_id(&fields, 0, &id_node)?;
    if earlier.iter().any(|line| line.id == id) {
        return Err(fields.error(0, "duplicate line id"));
    }
    let qty = fields.positive_decimal(1)?;
    let refunded_qty = fields.decimal_or(2, Decimal::ZERO)?;
    if refunded_qty < Decimal::ZERO {
        return Err(fields.error(2, "must be >= 0"));
    }
    if refunded_qty > qty {
        return Err(fields.error(2, "must not exceed qty"));
    }
    Ok(OriginalLine {
        id,
        qty,
        refunded_qty,
    })
}

fn decode_redemption<N: Node>(
    node: &N,
    path: &Path<'_>,
    lines: &[OriginalLine],
) -> Result<OriginalRedemption, CalcError> {
    let mut fields = Fields::read(node, path, DOMAIN, &REDEMPTION_KEYS)?;
    let reward_id = fields.int(0)?;
    let points = fields.positive_decimal(1)?;
    let amount = fields.decimal(2)?;
    if amount < Decimal::ZERO {
        return Err(fields.error(2, "must be >= 0"));
    }
    let shares_node = fields.required(3)?;
    let shares = decode_shares(&shares_node, lines)
        .map_err(|reason| fields.error(3, reason))?
        .ok_or_else(|| fields.error(3, crate::input::expected("a mapping (dict)", &shares_node)))?;
    Ok(OriginalRedemption {
        reward_id,
        points,
        amount,
        lines: shares,
    })
}

/// `{line_id: share}`: every key an `original.lines` id, every share a decimal >= 0. Errors
/// name the mapping itself (the reason names the key); `Ok(None)` when it is not a mapping.
fn decode_shares<N: Node>(
    node: &N,
    lines: &[OriginalLine],
) -> Result<Option<Vec<(usize, Decimal)>>, Reason> {
    let mut shares = Vec::new();
    let visited = node.visit_entries(|key, value| {
        let id = match (N::key_text(key), N::key_int(key)) {
            (Some(text), _) => LineId::Text(text.to_owned()),
            (None, Some(id)) => LineId::Int(id),
            (None, None) => {
                let reason = format!("keys must be line ids, got {}", N::key_type(key));
                return Err(Reason::from(reason));
            }
        };
        let Some(index) = lines.iter().position(|line| line.id == id) else {
            return Err(format!("{id} is not an original.lines id").into());
        };
        let share = value
            .decimal()
            .map_err(|reason| Reason::from(format!("line {id}: {reason}")))?;
        if share < Decimal::ZERO {
            return Err(format!("line {id}: must be >= 0").into());
        }
        shares.push((index, share));
        Ok(())
    });
    match visited {
        Some(result) => result.map(|()| Some(shares)),
        None => Ok(None),
    }
}

/// The refunded quantity per original line once this refund is done, checking each refund
/// line's origin first, then (line by line) that no origin is refunded beyond what was sold.
fn refunded_after(original: &Original, refund: &[Line]) -> Result<Vec<Decimal>, CalcError> {
    let mut origins = Vec::with_capacity(refund.len());
    for (index, line) in refund.iter().enumerate() {
        let origin = match &line.origin_line_id {
            Some(id) => Some(original.line_index(id).ok_or_else(|| {
                DOMAIN.error(
                    crate::order::line_field(index, "origin_line_id"),
                    "not an original.lines id",
                )
            })?),
            // A line without an origin counts for nothing.
            None => None,
        };
        origins.push(origin);
    }
    let mut refunded: Vec<Decimal> = original.lines.iter().map(|l| l.refunded_qty).collect();
    for (index, (line, origin)) in refund.iter().zip(origins).enumerate() {
        let Some(origin) = origin else { continue };
        refunded[origin] = exact::add(refunded[origin], line.qty.abs(), "refunded quantity")
            .map_err(|error| at_line(error, index))?;
        if refunded[origin] > original.lines[origin].qty {
            return Err(DOMAIN.error(
                crate::order::line_field(index, "qty"),
                "refunds more than was sold",
            ));
        }
    }
    Ok(refunded)
}

/// An overflow about one refund line names it.
fn at_line(error: CalcError, index: usize) -> CalcError {
    match error {
        CalcError::Overflow { context, .. } => CalcError::Overflow {
            path: crate::order::line_field(index, "qty"),
            context,
        },
        other => other,
    }
}
