"""Configuration: the YAML/TOML file (accounts, limits, deployments), validated per account with
the provider's own settings model. Internal layout; ``cloudrig`` exports ``Config``,
``AccountConfig`` and ``load_config``, ``cloudrig.engine`` the deployment options."""
