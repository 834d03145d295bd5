"""Ledger exceptions: the documented errors of `post_move` and friends."""


class LedgerError(Exception):
    """Base class of every ledger error."""


class CardNotFoundError(LedgerError, LookupError):
    """The loyalty card named by a move does not exist."""


class InsufficientBalanceError(LedgerError):
    """A redemption (or a negative adjustment) asks for more points than the card holds.

    Nothing is written: the move is refused as a whole. Refunds never raise this (they take the
    balance to zero and record the rest as `unrecovered`).
    """

    def __init__(self, card_id, balance, requested):
        self.card_id = card_id
        self.balance = balance
        self.requested = requested
        super().__init__(
            f"card {card_id}: balance {balance} is below the {requested} points requested"
        )


class InvalidMoveError(LedgerError, ValueError):
    """A move whose arguments break the ledger's rules (unknown kind, wrong sign, ...)."""


class RetryExhaustedError(LedgerError):
    """Every attempt of a transaction failed with a transient concurrency error."""
