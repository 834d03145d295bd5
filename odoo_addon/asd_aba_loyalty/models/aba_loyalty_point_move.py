from odoo import api, fields, models
from odoo.exceptions import UserError

from ..lib.aba_ledger import (
    CardNotFoundError,
    InsufficientBalanceError,
    InvalidMoveError,
    check_consistency,
    post_move,
)

POINTS_DIGITS = (16, 6)


class AbaLoyaltyPointMove(models.Model):
    """One change of a card's points. The ledger is the source of truth; `loyalty_card.points`
    is its cache, updated in the same transaction by `_post`."""

    _name = "aba.loyalty.point.move"
    _description = "Loyalty Points Ledger Move"
    _order = "id desc"
    _rec_name = "idempotency_key"

    card_id = fields.Many2one(
        "loyalty.card", required=True, ondelete="restrict", index=True, readonly=True
    )
    partner_id = fields.Many2one("res.partner", readonly=True, index="btree_not_null")
    program_id = fields.Many2one("loyalty.program", readonly=True)
    order_uid = fields.Char(readonly=True, index="btree_not_null")
    pos_order_id = fields.Many2one("pos.order", readonly=True, index="btree_not_null")
    kind = fields.Selection(
        [
            ("earn", "Earn"),
            ("redeem", "Redeem"),
            ("refund", "Refund"),
            ("adjust", "Adjustment"),
            ("opening", "Opening"),
        ],
        required=True,
        readonly=True,
    )
    points = fields.Float(digits=POINTS_DIGITS, required=True, readonly=True)
    balance_after = fields.Float(digits=POINTS_DIGITS, readonly=True)
    unrecovered = fields.Float(
        digits=POINTS_DIGITS,
        readonly=True,
        help="Refund points that could not be taken back because the balance was too low.",
    )
    idempotency_key = fields.Char(required=True, readonly=True)
    engine = fields.Char(readonly=True, help="Engine path that computed the points.")

    _sql_constraints = [
        (
            "idempotency_key_unique",
            "UNIQUE(idempotency_key)",
            "A ledger move with this idempotency key already exists.",
        ),
    ]

    @api.model
    def _post(self, card, kind, points, order=None, key=None, engine=None):
        """Post one move through the ledger SQL; returns the `MoveResult`.

        Idempotent per key (by default derived from the order's uuid, the card and the kind).
        Raises UserError for a redemption beyond the balance (nothing written).
        """
        self.env.flush_all()
        try:
            result = post_move(
                self.env.cr,
                card_id=card.id,
                kind=kind,
                points=points,
                key=key,
                order_uid=order.uuid if order else None,
                pos_order_id=order.id if order else None,
                engine=engine,
                user_id=self.env.uid,
                partner_id=(order.partner_id.id or None) if order else None,
            )
        except InsufficientBalanceError as exc:
            raise UserError(
                self.env._(
                    "Not enough loyalty points on card %(card)s: %(error)s",
                    card=card.display_name,
                    error=exc,
                )
            ) from exc
        except (CardNotFoundError, InvalidMoveError) as exc:
            raise UserError(str(exc)) from exc
        # The SQL changed rows behind the ORM's back.
        card.invalidate_recordset(["points"])
        self.invalidate_model()
        self.env["pos.order"].invalidate_model(["aba_point_move_ids"])
        return result

    @api.model
    def _check_consistency(self, cards=None):
        """Per card, cache == ledger sum. Returns the `ConsistencyReport`."""
        self.env.flush_all()
        return check_consistency(self.env.cr, cards.ids if cards is not None else None)

    @api.ondelete(at_uninstall=False)
    def _unlink_never(self):
        raise UserError(self.env._("Ledger moves cannot be deleted; post an adjustment instead."))

    def write(self, vals):
        if vals:
            raise UserError(
                self.env._("Ledger moves cannot be modified; post an adjustment instead.")
            )
        return super().write(vals)
