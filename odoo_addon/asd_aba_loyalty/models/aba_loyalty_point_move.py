from odoo import api, fields, models
from odoo.exceptions import UserError

from ..aba_loyalty_lib.aba_ledger import (
    BALANCE_CHECK_SQL,
    CardNotFoundError,
    InsufficientBalanceError,
    InvalidMoveError,
    check_consistency,
    post_move,
)

POINTS_DIGITS = (16, 6)


class AbaLoyaltyPointMove(models.Model):
    """One change of a card's points. The ledger is the source of truth; `loyalty_card.points`
    is its cache, updated in the same transaction by `_post`.

    Only the cards of the programs the engine manages have moves. `card_id` is the card's id as
    a plain integer, with no foreign key: Odoo deletes cards in its own flows (a cancelled sale
    order's coupons, gift cards), and a deleted card keeps its history here (`card_code` is its
    code at posting time)."""

    _name = "aba.loyalty.point.move"
    _description = "Loyalty Points Ledger Move"
    _order = "id desc"
    _rec_name = "idempotency_key"

    card_id = fields.Integer(
        "Card ID", required=True, index=True, readonly=True,
        help="Id of the loyalty card (kept after Odoo deletes the card).",
    )
    card_code = fields.Char(readonly=True, help="Code of the loyalty card when posted.")
    loyalty_card_id = fields.Many2one(
        "loyalty.card", "Card", compute="_compute_loyalty_card_id",
        help="The loyalty card, while it exists.",
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
            ("return", "Points Returned"),
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
    shortfall = fields.Float(
        digits=POINTS_DIGITS,
        readonly=True,
        help="Points a paid order spent that the card could not cover (posted down to zero).",
    )
    idempotency_key = fields.Char(required=True, readonly=True)
    engine = fields.Char(readonly=True, help="Engine path that computed the points.")

    _sql_constraints = [
        (
            "idempotency_key_unique",
            "UNIQUE(idempotency_key)",
            "A ledger move with this idempotency key already exists.",
        ),
        (
            "balance_non_negative",
            BALANCE_CHECK_SQL,
            "A loyalty card's balance cannot go below zero.",
        ),
    ]

    def _compute_loyalty_card_id(self):
        existing = set(
            self.env["loyalty.card"].sudo().browse(set(self.mapped("card_id"))).exists().ids
        )
        for move in self:
            move.loyalty_card_id = move.card_id if move.card_id in existing else False

    @api.depends("idempotency_key", "card_code")
    def _compute_display_name(self):
        for move in self:
            move.display_name = move.idempotency_key
    @api.model
    def _post(self, card, kind, points, order=None, key=None, engine=None, clamp=False):
        """Post one move through the ledger SQL; returns the `MoveResult`.

        Idempotent per key (by default derived from the order's uuid, the card and the kind).
        A card without moves gets its `opening` move first. Raises UserError for a redemption
        beyond the balance (nothing written), unless `clamp`: then it is posted down to zero
        and the rest is the move's `shortfall`.
        """
        self.env.flush_all()
        try:
            result = post_move(
                self.env.cr,
                card_id=card.id,
                clamp=clamp,
                open_missing=True,
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
        """Per card, cache == ledger sum, for the given cards or else every card of a program the
        engine manages that has moves. Returns the `ConsistencyReport`."""
        self.env.flush_all()
        if cards is not None:
            return check_consistency(self.env.cr, cards.ids)
        program_ids = self.env["aba.loyalty.engine"]._all_managed_loyalty_program_ids()
        return check_consistency(self.env.cr, None, program_ids=program_ids)

    @api.ondelete(at_uninstall=False)
    def _unlink_never(self):
        raise UserError(self.env._("Ledger moves cannot be deleted; post an adjustment instead."))

    def write(self, vals):
        if vals:
            raise UserError(
                self.env._("Ledger moves cannot be modified; post an adjustment instead.")
            )
        return super().write(vals)
