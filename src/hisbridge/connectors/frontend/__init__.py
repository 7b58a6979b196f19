"""The national front-end software: data API, db sink, secret keys, messages, SSO."""
