//! The streams: which Odoo table feeds which engine table, column by column, how each column is
//! checked or converted, and how often the stream is synchronised (docs/design.md §4).
use std::time::Duration;

use serde::Serialize;

/// Cadence classes. Critical data moves balances; reference data rarely changes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Group {
    Critical,
    NonCritical,
    Reference,
}

impl Group {
    pub fn default_cadence(self) -> Duration {
        match self {
            Group::Critical => Duration::from_secs(60),
            Group::NonCritical => Duration::from_secs(300),
            Group::Reference => Duration::from_secs(3600),
        }
    }
    pub fn name(self) -> &'static str {
        match self {
            Group::Critical => "critical",
            Group::NonCritical => "non_critical",
            Group::Reference => "reference",
        }
    }
}

/// What the ETL does with a column on its way from Odoo to the engine.
#[derive(Clone, Copy, Debug)]
pub enum Conv {
    /// Bytes passed through unchanged (same type on both sides).
    Pass,
    /// Passed through; NULL makes the row bad.
    Required,
    /// Odoo's float8 to an exact numeric through the float's shortest representation (as
    /// docs/spec.md reads floats); NaN and infinities make the row bad.
    FloatToNumeric { required: bool, sign: Sign },
    /// numeric passed through; NaN/infinity (or NULL when required) make the row bad.
    Numeric { required: bool, sign: Sign },
    /// Odoo's translatable jsonb: must be an object of strings with at least one entry.
    Translated { required: bool },
    /// A selection field: one of these values.
    OneOf {
        required: bool,
        values: &'static [&'static str],
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sign {
    Any,
    NonNegative,
    Positive,
}

#[derive(Clone, Copy, Debug)]
pub struct Column {
    /// Column name in Odoo.
    pub source: &'static str,
    /// Column name in the engine table.
    pub target: &'static str,
    pub conv: Conv,
    /// Added by a later version of the addon: a source whose addon predates it still loads,
    /// the column read as NULL (see `Stream::source_select`).
    pub optional: bool,
}

const fn col(source: &'static str, conv: Conv) -> Column {
    Column {
        source,
        target: source,
        conv,
        optional: false,
    }
}
const fn pass(source: &'static str) -> Column {
    col(source, Conv::Pass)
}
/// A column the source may lack (read as NULL then).
const fn optional(column: Column) -> Column {
    Column {
        optional: true,
        ..column
    }
}

#[derive(Debug)]
pub struct Stream {
    pub name: &'static str,
    pub group: Group,
    pub source_table: &'static str,
    pub target_table: &'static str,
    /// Needs the asd_aba_loyalty addon's tables or columns in the source.
    pub addon: bool,
    /// `id` first, always.
    pub columns: &'static [Column],
}

impl Stream {
    pub fn source_columns(&self) -> String {
        self.columns
            .iter()
            .map(|c| format!("\"{}\"", c.source))
            .collect::<Vec<_>>()
            .join(", ")
    }
    /// The select list for a source of this shape: an optional column the source lacks is
    /// read as NULL. `None` when the source has every column (the plain column list serves).
    pub fn source_select(&self, shape: &crate::source::SourceShape) -> Option<String> {
        let absent = |c: &Column| c.optional && !shape.has(self.source_table, c.source);
        if !self.columns.iter().any(absent) {
            return None;
        }
        Some(
            self.columns
                .iter()
                .map(|c| {
                    if absent(c) {
                        format!("NULL AS \"{}\"", c.source)
                    } else {
                        format!("\"{}\"", c.source)
                    }
                })
                .collect::<Vec<_>>()
                .join(", "),
        )
    }
    pub fn target_columns(&self) -> String {
        self.columns
            .iter()
            .map(|c| format!("\"{}\"", c.target))
            .collect::<Vec<_>>()
            .join(", ")
    }
    pub fn qualified_target(&self) -> String {
        format!("{}.{}", crate::schema::SCHEMA, self.target_table)
    }
    /// The ledger: its changes move the engine's card balances.
    pub fn is_ledger(&self) -> bool {
        self.name == "moves"
    }
}

const PROGRAM_TYPES: &[&str] = &[
    "coupons",
    "gift_card",
    "loyalty",
    "promotion",
    "ewallet",
    "promo_code",
    "buy_x_get_y",
    "next_order_coupons",
];
const MOVE_KINDS: &[&str] = &["earn", "redeem", "refund", "return", "adjust", "opening"];

pub static STREAMS: &[Stream] = &[
    Stream {
        name: "partners",
        group: Group::Reference,
        source_table: "res_partner",
        target_table: "partners",
        addon: false,
        columns: &[
            pass("id"),
            pass("name"),
            pass("email"),
            pass("phone"),
            pass("company_id"),
            pass("active"),
            pass("create_date"),
            pass("write_date"),
        ],
    },
    Stream {
        name: "programs",
        group: Group::NonCritical,
        source_table: "loyalty_program",
        target_table: "programs",
        addon: false,
        columns: &[
            pass("id"),
            col("name", Conv::Translated { required: true }),
            col(
                "program_type",
                Conv::OneOf {
                    required: true,
                    values: PROGRAM_TYPES,
                },
            ),
            pass("applies_on"),
            pass("trigger"),
            pass("sequence"),
            pass("active"),
            pass("date_from"),
            pass("date_to"),
            pass("currency_id"),
            pass("company_id"),
            pass("pos_ok"),
            pass("create_date"),
            pass("write_date"),
        ],
    },
    Stream {
        name: "rules",
        group: Group::NonCritical,
        source_table: "loyalty_rule",
        target_table: "rules",
        addon: false,
        columns: &[
            pass("id"),
            col("program_id", Conv::Required),
            pass("mode"),
            col(
                "reward_point_mode",
                Conv::OneOf {
                    required: true,
                    values: &["order", "money", "unit"],
                },
            ),
            col(
                "reward_point_amount",
                Conv::FloatToNumeric {
                    required: true,
                    sign: Sign::Positive,
                },
            ),
            pass("reward_point_split"),
            pass("minimum_qty"),
            col(
                "minimum_amount",
                Conv::Numeric {
                    required: false,
                    sign: Sign::NonNegative,
                },
            ),
            pass("minimum_amount_tax_mode"),
            pass("active"),
            pass("create_date"),
            pass("write_date"),
        ],
    },
    Stream {
        name: "rewards",
        group: Group::NonCritical,
        source_table: "loyalty_reward",
        target_table: "rewards",
        addon: false,
        columns: &[
            pass("id"),
            col("program_id", Conv::Required),
            col("reward_type", Conv::Required),
            col(
                "discount_mode",
                Conv::OneOf {
                    required: true,
                    values: &["percent", "per_order", "per_point"],
                },
            ),
            col(
                "discount",
                Conv::FloatToNumeric {
                    required: false,
                    sign: Sign::NonNegative,
                },
            ),
            pass("discount_applicability"),
            col(
                "discount_max_amount",
                Conv::Numeric {
                    required: false,
                    sign: Sign::NonNegative,
                },
            ),
            col(
                "required_points",
                Conv::FloatToNumeric {
                    required: false,
                    sign: Sign::Positive,
                },
            ),
            col("description", Conv::Translated { required: true }),
            pass("active"),
            pass("create_date"),
            pass("write_date"),
        ],
    },
    Stream {
        name: "cards",
        group: Group::Critical,
        source_table: "loyalty_card",
        target_table: "cards",
        addon: false,
        columns: &[
            pass("id"),
            pass("program_id"),
            pass("partner_id"),
            col("code", Conv::Required),
            pass("active"),
            pass("expiration_date"),
            Column {
                source: "points",
                target: "odoo_points",
                conv: Conv::FloatToNumeric {
                    required: false,
                    sign: Sign::Any,
                },
                optional: false,
            },
            pass("create_date"),
            pass("write_date"),
        ],
    },
    Stream {
        name: "moves",
        group: Group::Critical,
        source_table: "aba_loyalty_point_move",
        target_table: "point_moves",
        addon: true,
        columns: &[
            pass("id"),
            // No foreign key in the addon: the id of a card Odoo deleted stays, with its code.
            col("card_id", Conv::Required),
            optional(pass("card_code")),
            pass("partner_id"),
            pass("program_id"),
            pass("order_uid"),
            pass("pos_order_id"),
            col(
                "kind",
                Conv::OneOf {
                    required: true,
                    values: MOVE_KINDS,
                },
            ),
            col(
                "points",
                Conv::Numeric {
                    required: true,
                    sign: Sign::Any,
                },
            ),
            col(
                "balance_after",
                Conv::Numeric {
                    required: false,
                    sign: Sign::Any,
                },
            ),
            col(
                "unrecovered",
                Conv::Numeric {
                    required: false,
                    sign: Sign::NonNegative,
                },
            ),
            // What a card could not cover when a paid order was posted down to zero.
            optional(col(
                "shortfall",
                Conv::Numeric {
                    required: false,
                    sign: Sign::NonNegative,
                },
            )),
            pass("idempotency_key"),
            pass("engine"),
            pass("create_date"),
            pass("write_date"),
        ],
    },
    Stream {
        name: "history",
        group: Group::Critical,
        source_table: "loyalty_history",
        target_table: "history",
        addon: false,
        columns: &[
            pass("id"),
            col("card_id", Conv::Required),
            pass("order_id"),
            pass("order_model"),
            pass("description"),
            col(
                "issued",
                Conv::FloatToNumeric {
                    required: false,
                    sign: Sign::Any,
                },
            ),
            col(
                "used",
                Conv::FloatToNumeric {
                    required: false,
                    sign: Sign::Any,
                },
            ),
            pass("create_date"),
            pass("write_date"),
        ],
    },
    Stream {
        name: "tiers",
        group: Group::NonCritical,
        source_table: "aba_loyalty_tier",
        target_table: "tiers",
        addon: true,
        columns: &[
            pass("id"),
            col("code", Conv::Required),
            col("name", Conv::Translated { required: false }),
            pass("rank"),
            col(
                "multiplier",
                Conv::Numeric {
                    required: false,
                    sign: Sign::Positive,
                },
            ),
            col(
                "min_spend",
                Conv::Numeric {
                    required: false,
                    sign: Sign::NonNegative,
                },
            ),
            pass("active"),
            pass("create_date"),
            pass("write_date"),
        ],
    },
    Stream {
        name: "memberships",
        group: Group::NonCritical,
        source_table: "aba_loyalty_membership",
        target_table: "memberships",
        addon: true,
        columns: &[
            pass("id"),
            pass("partner_id"),
            pass("tier_id"),
            col(
                "spend",
                Conv::Numeric {
                    required: false,
                    sign: Sign::Any,
                },
            ),
            pass("evaluated_at"),
            pass("valid_until"),
            pass("create_date"),
            pass("write_date"),
        ],
    },
    Stream {
        name: "orders",
        group: Group::NonCritical,
        source_table: "pos_order",
        target_table: "orders",
        addon: true,
        columns: &[
            pass("id"),
            pass("name"),
            pass("uuid"),
            pass("partner_id"),
            pass("date_order"),
            pass("state"),
            col(
                "amount_total",
                Conv::Numeric {
                    required: false,
                    sign: Sign::Any,
                },
            ),
            pass("aba_membership_tier"),
            pass("aba_membership_evaluated_at"),
            pass("aba_membership_valid_until"),
            pass("aba_loyalty_status"),
            pass("create_date"),
            pass("write_date"),
        ],
    },
];

/// Streams by name, in load order (reference data first, the ledger last among the critical).
pub fn by_name(name: &str) -> Option<&'static Stream> {
    STREAMS.iter().find(|s| s.name == name)
}

/// Columns of Odoo's own tables that the addon adds (their absence means "no addon").
pub fn is_addon_column(table: &str, column: &str) -> bool {
    table == "pos_order" && column.starts_with("aba_")
}

/// Resolve a selection of stream names (`None`: all), keeping the canonical order.
pub fn select(names: Option<&[String]>) -> crate::Result<Vec<&'static Stream>> {
    let Some(names) = names else {
        return Ok(STREAMS.iter().collect());
    };
    for (i, name) in names.iter().enumerate() {
        if by_name(name).is_none() {
            return Err(crate::EtlError::InvalidArgument {
                field: format!("streams[{i}]"),
                reason: format!(
                    "unknown stream {name:?}; known: {}",
                    STREAMS
                        .iter()
                        .map(|s| s.name)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            });
        }
    }
    Ok(STREAMS
        .iter()
        .filter(|s| names.iter().any(|n| n == s.name))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_stream_starts_with_id_and_has_write_date() {
        for s in STREAMS {
            assert_eq!(s.columns[0].source, "id", "{}", s.name);
            assert!(
                s.columns.iter().any(|c| c.source == "write_date"),
                "{}",
                s.name
            );
        }
    }

    #[test]
    fn optional_columns_the_source_lacks_are_read_as_null() {
        use crate::source::SourceShape;
        let moves = by_name("moves").expect("moves");
        let all: Vec<&str> = moves.columns.iter().map(|c| c.source).collect();
        let full = SourceShape::of(&[("aba_loyalty_point_move", &all)]);
        assert_eq!(moves.source_select(&full), None);
        let old: Vec<&str> = all
            .iter()
            .copied()
            .filter(|c| !["card_code", "shortfall"].contains(c))
            .collect();
        let select = moves
            .source_select(&SourceShape::of(&[("aba_loyalty_point_move", &old)]))
            .expect("a select list");
        assert!(select.starts_with("\"id\", \"card_id\", NULL AS \"card_code\", "));
        assert!(select.contains("NULL AS \"shortfall\""), "{select}");
        assert_eq!(select.matches(", ").count() + 1, moves.columns.len());
        // Only the ledger's new columns are optional: Odoo's own tables are read as they are.
        for s in STREAMS.iter().filter(|s| s.name != "moves") {
            assert!(s.columns.iter().all(|c| !c.optional), "{}", s.name);
        }
    }

    #[test]
    fn selection_names_the_bad_entry() {
        let err = select(Some(&["cards".into(), "nope".into()])).expect_err("unknown");
        assert!(err.to_string().contains("streams[1]"), "{err}");
        let picked = select(Some(&["moves".into(), "cards".into()])).expect("known");
        assert_eq!(
            picked.iter().map(|s| s.name).collect::<Vec<_>>(),
            ["cards", "moves"]
        );
    }
}
