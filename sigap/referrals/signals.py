"""Signals other capabilities listen to, so that referrals never import them."""

from django.dispatch import Signal

# Sent by `services._move` inside the transaction that moved the referral, after the event
# and the audit record are written; kwargs: referral, action, from_status, actor, now.
# A receiver that raises rolls the move back, so receivers keep to their own bookkeeping.
referral_moved = Signal()
