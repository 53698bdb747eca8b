"""Billow: subscription billing and invoicing. The domain package shared by every Lambda."""
