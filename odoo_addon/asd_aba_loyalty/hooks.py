import logging

from .aba_loyalty_lib.aba_ledger import drop_card_check, post_opening_moves

_logger = logging.getLogger(__name__)


def post_init_hook(env):
    """Start the ledger equal to the cache for the cards the engine manages: one `opening` move
    per card of a managed loyalty program. Odoo's other cards (coupons, gift cards, eWallets,
    programs the engine cannot express) get nothing and are never changed by the addon."""
    env.flush_all()
    program_ids = env["aba.loyalty.engine"]._all_managed_loyalty_program_ids()
    result = post_opening_moves(env.cr, env.uid, program_ids=program_ids)
    if result["repaired_negative"]:
        # Balances the old read-modify-write flow took below zero; each repair is an `adjust`
        # move in the ledger.
        _logger.warning(
            "asd_aba_loyalty: %d loyalty card(s) had a negative balance, set to 0 by an adjust "
            "move: %s", len(result["repaired_negative"]), result["repaired_negative"])
    env["loyalty.card"].invalidate_model(["points"])
    _logger.info("asd_aba_loyalty: %d opening move(s) written", result["opened"])


def uninstall_hook(env):
    """Leave Odoo's loyalty_card as stock: without v1's CHECK constraint, if it is still there
    (the ledger table itself goes with the model, and it has no foreign key into Odoo's
    loyalty_card)."""
    drop_card_check(env.cr)
