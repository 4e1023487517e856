-- Indexes for the per-account query, created after the load.
CREATE INDEX accounts_tree_root ON accounts (tree_root);
CREATE INDEX sites_account ON sites (account_id);
CREATE INDEX stakeholders_account ON stakeholders (account_id);
CREATE INDEX roles_stakeholder ON roles (stakeholder);
ANALYZE;
