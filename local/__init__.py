"""The embedded stack: everything Billow needs on one machine, no AWS account, no Docker."""
